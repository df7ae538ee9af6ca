"""Grants (issue 4): the scope vocabulary and its rules, constraints, enterprise grants
(业务授权), acting under a grant, revocation, listing, and the owner's access log.

Where no route consumes a scope yet (licences, payments, gov services come later), the
one decision point is asked directly, inside a request carrying the caller's token
(``helpers.authorize_as``), exactly as those routes will ask it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace

import pytest

from nanhaitong.authorizations import scopes as scope_table
from nanhaitong.authorizations.decide import Decision
from nanhaitong.errors import Forbidden, NotFound
from schemas.authorizations import SCOPE_NAMES
from tests.support.audit import audit_rows, details
from tests.support.citizens import (
    CHEN,
    HE,
    LI,
    LIANG,
    OU,
    Citizen,
    account,
    citizen_at,
    claims,
    refresh,
    user_id,
    verified,
)
from tests.support.enterprises import GUICHENG, act_for, registered
from tests.support.errors import assert_error
from tests.support.grants import (
    act_under,
    authorize_as,
    citizen_resource,
    create_grant,
    enterprise_resource,
    expire,
    grant_body,
    in_days,
    revoke,
)
from tests.support.settings import APP_SETTINGS, NO_SUCH_ID
from tests.support.verification import liveness_token

GRANTS = "/api/v1/authorizations"
ACCESS_LOG = "/api/v1/me/access-log"


@pytest.fixture
def app(make_app):
    return make_app(**APP_SETTINGS)


@pytest.fixture
def li(sign_in) -> Citizen:
    """The grantor in citizen delegation (代办)."""
    return verified(sign_in, LI)


@pytest.fixture
def ou(sign_in) -> Citizen:
    """The grantee: a family member acting for LI."""
    return verified(sign_in, OU)


def post_grant(grantor: Citizen, grantee, scopes, **kw):
    return grantor.post(GRANTS, json=grant_body(grantee, scopes, **kw))


def fields_of(answer, status: int = 422) -> set:
    return set(assert_error(answer, status, "validation_failed")["details"]["fields"])


@dataclass
class Firm:
    """Enterprise A (桂城智造) with its legal representative (CHEN), an admin and a handler."""
    id: str
    lr: Citizen
    lr_acting: Citizen
    admin: Citizen
    admin_id: str
    handler: Citizen
    handler_id: str


@pytest.fixture
def firm(app, sign_in) -> Firm:
    chen = verified(sign_in, CHEN)
    enterprise_id = registered(chen, GUICHENG)
    admin, admin_id = citizen_at(sign_in, level=2)
    handler = verified(sign_in, LIANG)
    for member, role in ((admin, "admin"), (handler, "handler")):
        added = chen.post(f"/api/v1/enterprises/{enterprise_id}/members", json={"phone": member.phone, "role": role})
        assert added.status_code == 201, added.get_json()
    return Firm(enterprise_id, chen, act_for(chen, enterprise_id), admin, admin_id, handler, user_id(handler))


def face_verified(app, citizen: Citizen, demo) -> None:
    answer = citizen.post("/api/v1/me/face-verification", json={"liveness_token": liveness_token(app, demo.id_number)})
    assert answer.status_code == 200 and answer.get_json()["assurance_level"] == 3, answer.get_json()


# -- the scope vocabulary -----------------------------------------------------------------

def test_the_scope_vocabulary_lists_every_scope_with_its_rules(client):
    # public: a client shows it before anyone signs in; descriptions in the reader's language
    answer = client.get(f"{GRANTS}/scopes", headers={"Accept-Language": "en"})
    assert answer.status_code == 200, answer.get_json()
    listed = {item["name"]: item for item in answer.get_json()["scopes"]}
    chinese = {item["name"]: item["description"] for item in client.get(f"{GRANTS}/scopes").get_json()["scopes"]}
    assert chinese["licences:read"] == "读取电子证照（可限定部分证照类型）"
    assert all(any("\u4e00" <= char <= "\u9fff" for char in text) for text in chinese.values()), chinese
    assert set(listed) == set(scope_table.SCOPES) == set(SCOPE_NAMES)
    for name, rule in scope_table.SCOPES.items():
        assert listed[name] == {
            "name": name, "description": rule.description, "grantable_by": sorted(rule.grantable_by),
            "grantees": sorted(rule.grantees), "grantee_level": rule.grantee_level,
            "sub_delegable": rule.sub_delegable, "max_days": rule.max_days, "roles": sorted(rule.roles),
            "level": rule.level}
        assert listed[name]["description"]
    # The examples are all there, and roles map onto scopes through this one table.
    assert {"licences:read", "licences:present", "gov_services:query", "gov_services:apply", "payments:pay",
            "esign:sign", "esign:seal", "members:manage"} <= set(listed)
    for role in scope_table.ALL_ROLES:
        assert scope_table.scopes_of_role(role) == {name for name, item in listed.items() if role in item["roles"]}
    assert "esign:seal" in scope_table.scopes_of_role("legal_representative")
    assert not {"esign:seal", "members:manage", "payments:pay"} & scope_table.scopes_of_role("handler")
    assert listed["esign:sign"]["grantable_by"] == []  # a personal signature is never delegated


@pytest.mark.parametrize("scopes", [["licences:delete"], ["licences:read", "LICENCES:READ"], [], ["licences"]])
def test_unknown_scopes_are_422_naming_scopes(li, ou, scopes):
    assert "scopes" in fields_of(post_grant(li, {"phone": ou.phone}, scopes))


@pytest.mark.parametrize("scope", ["esign:seal", "esign:sign", "enterprise:read", "members:manage", "profile:read"])
def test_a_citizen_cannot_grant_what_only_others_may(li, ou, scope):
    # esign:seal, enterprise:read and members:manage are an enterprise's; esign:sign is
    # nobody's to give; profile:read goes to partner platforms only.
    assert "scopes" in fields_of(post_grant(li, {"phone": ou.phone}, [scope], days=10))


@pytest.mark.parametrize("scope", ["esign:sign", "profile:read"])
def test_an_enterprise_cannot_grant_what_is_not_its_to_give(firm, scope):
    assert "scopes" in fields_of(post_grant(firm.lr_acting, firm.handler_id, [scope], days=10))


def test_a_duration_beyond_the_scopes_max_days_is_422_naming_expires_at(li, ou):
    present = scope_table.SCOPES["licences:present"].max_days  # 90
    assert fields_of(post_grant(li, {"phone": ou.phone}, ["licences:present"], days=present + 1)) == {"expires_at"}
    assert post_grant(li, {"phone": ou.phone}, ["licences:present"], days=present - 0.01).status_code == 201
    # With several scopes the shortest maximum holds.
    assert fields_of(post_grant(li, {"phone": ou.phone}, ["licences:read", "gov_services:apply"], days=181)) == {
        "expires_at"}
    # Not in the past, not before it starts; a later start counts from the start.
    assert fields_of(post_grant(li, {"phone": ou.phone}, ["licences:read"], days=-1)) == {"expires_at"}
    assert fields_of(post_grant(li, {"phone": ou.phone}, ["licences:read"], days=5, not_before=in_days(6))) == {
        "expires_at"}
    later = post_grant(li, {"phone": ou.phone}, ["licences:present"], days=present + 10, not_before=in_days(20))
    assert later.status_code == 201, later.get_json()
    # Times must carry their zone.
    naive = grant_body({"phone": ou.phone}, ["licences:read"], days=5)
    naive["expires_at"] = naive["expires_at"].rstrip("Z")
    assert "expires_at" in fields_of(li.post(GRANTS, json=naive))


def test_the_grantee_must_be_a_registered_citizen(li):
    assert fields_of(post_grant(li, {"phone": "13700009999"}, ["gov_services:query"])) == {"grantee"}
    assert fields_of(post_grant(li, {"user_id": NO_SUCH_ID}, ["gov_services:query"])) == {"grantee"}
    assert "grantee" in fields_of(post_grant(li, {"phone": "13700009999", "user_id": NO_SUCH_ID}, ["licences:read"]))
    assert "grantee" in fields_of(post_grant(li, {}, ["licences:read"]))
    assert "grantee" in fields_of(li.post(GRANTS, json={"scopes": ["licences:read"], "purpose": "代办",
                                                        "expires_at": in_days(3)}))


def test_the_grantee_must_be_verified_when_the_scope_demands(app, li, firm, sign_in):
    unverified, unverified_id = citizen_at(sign_in, level=1)
    assert fields_of(post_grant(li, {"phone": unverified.phone}, ["gov_services:query"])) == {"grantee"}
    # enterprise:read asks level 1 only: an enterprise may let an unverified agent look.
    created = post_grant(firm.lr_acting, unverified_id, ["enterprise:read"])
    assert created.status_code == 201, created.get_json()
    # The seal needs a face-verified grantee (level 3); the handler is at level 2.
    assert fields_of(post_grant(firm.lr_acting, firm.handler_id, ["esign:seal"], days=30)) == {"grantee"}


def test_no_one_grants_to_themself(li, firm):
    assert fields_of(post_grant(li, {"phone": LI.phone}, ["gov_services:query"])) == {"grantee"}
    assert fields_of(post_grant(li, user_id(li), ["gov_services:query"])) == {"grantee"}
    assert fields_of(post_grant(firm.lr_acting, user_id(firm.lr), ["licences:read"])) == {"grantee"}


def test_the_grantor_must_be_real_name_verified(sign_in, ou):
    unverified = sign_in("13700008888")
    body = assert_error(post_grant(unverified, {"phone": ou.phone}, ["gov_services:query"]), 403,
                        "assurance_level_required")
    assert body["details"] == {"required": 2, "current": 1}


def test_granting_is_audited_and_kept_as_history(app, li, ou):
    grant = create_grant(li, {"phone": ou.phone}, ["gov_services:query", "licences:read"], days=7,
                         constraints={"service_codes": ["A"]}, purpose="代办社保查询")
    li_id, ou_id = user_id(li), user_id(ou)
    assert grant["grantor"]["kind"] == "citizen" and grant["grantor"]["id"] == li_id
    assert grant["grantee"]["kind"] == "citizen" and grant["grantee"]["id"] == ou_id
    assert OU.name not in json.dumps(grant, ensure_ascii=False) and OU.phone not in json.dumps(grant)  # masked
    assert grant["scopes"] == ["gov_services:query", "licences:read"]
    assert grant["constraints"] == {"service_codes": ["A"]} and grant["purpose"] == "代办社保查询"
    assert grant["status"] == "active" and grant["revoked_at"] is None and grant["parent_id"] is None
    assert grant["expires_at"].endswith("Z") and grant["not_before"].endswith("Z")
    assert [(e["event"], e["actor"]) for e in grant["history"]] == [("created", f"citizen:{li_id}")]
    assert li.get(f"{GRANTS}/{grant['id']}").get_json() == grant
    [event] = audit_rows(app, "authorization.granted")
    assert (event.actor, event.object_type, event.object_id, event.result) == (
        f"citizen:{li_id}", "grant", grant["id"], "success")
    assert details(event) == {"scopes": grant["scopes"], "grantee": f"citizen:{ou_id}"}


# -- constraints ------------------------------------------------------------------------------

@pytest.fixture
def delegate_with(app, li, ou):
    """OU acting for LI under a grant of ``scopes`` with ``constraints``; returns (token, grant)."""

    def make(scopes, constraints):
        grant = create_grant(li, {"phone": ou.phone}, scopes, days=30, constraints=constraints)
        return act_under(ou, grant["id"]), grant

    return make


def test_service_codes_bound_a_delegate(app, li, delegate_with):
    acting, grant = delegate_with(["gov_services:query"], {"service_codes": ["A"]})
    li_id = user_id(li)
    inside = authorize_as(app, acting, "gov_services:query", citizen_resource(li_id, "gov_service", service_code="A"))
    assert inside == Decision("delegate", grant["id"])
    for attrs in ({"service_code": "B"}, {}):
        with pytest.raises(Forbidden) as refused:
            authorize_as(app, acting, "gov_services:query", citizen_resource(li_id, "gov_service", **attrs))
        assert refused.value.code == "outside_grant_constraints"
        assert refused.value.details == {"constraint": "service_code", "grant_id": grant["id"]}


def test_an_amount_ceiling_bounds_a_delegates_payments(app, li, delegate_with):
    acting, grant = delegate_with(["payments:pay"], {"amount_ceiling_fen": 5000})
    li_id = user_id(li)
    assert authorize_as(app, acting, "payments:pay", citizen_resource(li_id, "payment", amount_fen=5000)).grant_id == \
        grant["id"]
    with pytest.raises(Forbidden) as refused:
        authorize_as(app, acting, "payments:pay", citizen_resource(li_id, "payment", amount_fen=5001))
    assert refused.value.code == "outside_grant_constraints" and refused.value.details["constraint"] == "amount_fen"


def test_licence_types_bound_a_delegates_reading(app, li, delegate_with):
    acting, grant = delegate_with(["licences:read"], {"licence_types": ["driving_licence", "household_register"]})
    li_id = user_id(li)
    assert authorize_as(app, acting, "licences:read", citizen_resource(li_id, licence_type="driving_licence"))
    with pytest.raises(Forbidden) as refused:
        authorize_as(app, acting, "licences:read", citizen_resource(li_id, licence_type="resident_id_card"))
    assert refused.value.code == "outside_grant_constraints" and refused.value.details["constraint"] == "licence_type"
    # The owner is bound by no constraint of a grant they gave.
    assert authorize_as(app, li, "licences:read", citizen_resource(li_id, licence_type="resident_id_card")) == \
        Decision("owner")


def test_a_refusal_outside_the_constraints_is_audited(app, li, delegate_with):
    acting, grant = delegate_with(["gov_services:query"], {"service_codes": ["A"]})
    with pytest.raises(Forbidden):
        authorize_as(app, acting, "gov_services:query", citizen_resource(user_id(li), "gov_service", service_code="B"))
    [denied] = audit_rows(app, "authorization.denied")
    assert denied.result == "denied" and details(denied)["action"] == "gov_services:query"


def test_a_delegate_does_only_what_the_grant_names_for_whom_it_names(app, li, ou, sign_in, delegate_with):
    acting, _ = delegate_with(["gov_services:query"], {})
    with pytest.raises(Forbidden) as refused:
        authorize_as(app, acting, "payments:pay", citizen_resource(user_id(li), "payment", amount_fen=1))
    assert refused.value.code == "not_authorized"
    he = verified(sign_in, HE)
    with pytest.raises(NotFound):  # someone else's object: as if it did not exist
        authorize_as(app, acting, "gov_services:query", citizen_resource(user_id(he), "gov_service"))
    with pytest.raises(NotFound):  # the delegate's own token does not reach the grantor's objects
        authorize_as(app, ou, "gov_services:query", citizen_resource(user_id(li), "gov_service"))


@pytest.mark.parametrize("constraints", [
    {"amount_ceiling_fen": 0}, {"amount_ceiling_fen": "100"}, {"amount_ceiling_fen": 1.5},
    {"service_codes": []}, {"licence_types": [""]}, {"regions": ["440605"]},
])
def test_malformed_constraints_are_422(li, ou, constraints):
    assert "constraints" in fields_of(post_grant(li, {"phone": ou.phone}, ["payments:pay"], constraints=constraints))


# -- enterprise grants (业务授权) ----------------------------------------------------------------

def test_the_legal_representative_grants_a_handler_the_seal(app, firm):
    face_verified(app, firm.handler, LIANG)
    seal_on = enterprise_resource(firm.id, "contract")
    handler_acting = act_for(firm.handler, firm.id)
    for token in (firm.handler, handler_acting):  # the handler's role alone does not hold the seal
        with pytest.raises(Forbidden) as refused:
            authorize_as(app, token, "esign:seal", seal_on)
        assert refused.value.code == "member_role_required"

    grant = create_grant(firm.lr_acting, firm.handler_id, ["esign:seal"], days=30, purpose="合同盖章")
    assert grant["grantor"]["kind"] == "enterprise" and grant["grantor"]["id"] == firm.id
    assert [e["actor"] for e in grant["history"]] == [f"citizen:{user_id(firm.lr)}"]
    [event] = audit_rows(app, "authorization.granted")
    assert event.actor == f"citizen:{user_id(firm.lr)}" and event.on_behalf_of == f"enterprise:{firm.id}"

    for token in (firm.handler, handler_acting):
        assert authorize_as(app, token, "esign:seal", seal_on) == Decision("delegate", grant["id"])
    # Acting under the grant itself works too (act-as with the authorization id).
    under = act_under(firm.handler, grant["id"])
    assert authorize_as(app, under, "esign:seal", seal_on) == Decision("delegate", grant["id"])
    # Another enterprise's objects stay out of reach.
    with pytest.raises(NotFound):
        authorize_as(app, handler_acting, "esign:seal", enterprise_resource(NO_SUCH_ID, "contract"))

    revoke(firm.lr_acting, grant["id"])
    with pytest.raises(Forbidden):
        authorize_as(app, handler_acting, "esign:seal", seal_on)


def test_enterprise_grant_constraints_bound_a_member(app, firm):
    grant = create_grant(firm.lr_acting, firm.handler_id, ["payments:pay"], constraints={"amount_ceiling_fen": 10_000})
    bill = enterprise_resource(firm.id, "bill", amount_fen=10_000)
    assert authorize_as(app, firm.handler, "payments:pay", bill) == Decision("delegate", grant["id"])
    with pytest.raises(Forbidden) as refused:
        authorize_as(app, firm.handler, "payments:pay", enterprise_resource(firm.id, "bill", amount_fen=10_001))
    assert refused.value.code == "outside_grant_constraints"
    # The admin's role holds payments:pay outright: no grant, no ceiling.
    assert authorize_as(app, act_for(firm.admin, firm.id), "payments:pay",
                        enterprise_resource(firm.id, "bill", amount_fen=10_001)) == Decision("member")


def test_a_member_holding_two_grants_is_allowed_by_either(app, firm):
    create_grant(firm.lr_acting, firm.handler_id, ["payments:pay"], constraints={"amount_ceiling_fen": 100})
    larger = create_grant(firm.lr_acting, firm.handler_id, ["payments:pay"], constraints={"amount_ceiling_fen": 10_000})
    assert authorize_as(app, firm.handler, "payments:pay", enterprise_resource(firm.id, "bill", amount_fen=5_000)) == \
        Decision("delegate", larger["id"])


def test_an_admin_cannot_grant_the_seal_or_member_management(firm):
    admin_acting = act_for(firm.admin, firm.id)
    for scopes in (["esign:seal"], ["members:manage"], ["licences:read", "members:manage"]):
        body = assert_error(post_grant(admin_acting, firm.handler_id, scopes, days=30), 403, "member_role_required")
        assert set(body["details"]["scopes"]) == set(scopes) & {"esign:seal", "members:manage"}
    created = post_grant(admin_acting, firm.handler_id, ["licences:read", "payments:pay"], days=30)
    assert created.status_code == 201 and created.get_json()["grantor"]["id"] == firm.id


def test_a_handler_cannot_grant_for_the_enterprise(firm):
    handler_acting = act_for(firm.handler, firm.id)
    assert_error(post_grant(handler_acting, firm.admin_id, ["licences:read"]), 403, "member_role_required")
    # With their personal token a handler grants only their own authority.
    own = create_grant(firm.handler, firm.admin_id, ["licences:read"])
    assert (own["grantor"]["kind"], own["grantor"]["id"]) == ("citizen", firm.handler_id)


def test_enterprise_grants_are_listed_for_the_enterprise(firm):
    grant = create_grant(firm.lr_acting, firm.handler_id, ["payments:pay"])
    for token in (firm.lr_acting, act_for(firm.admin, firm.id)):
        listed = token.get(f"{GRANTS}?direction=granted").get_json()
        assert [g["id"] for g in listed["items"]] == [grant["id"]]
        assert token.get(f"{GRANTS}/{grant['id']}").status_code == 200
    assert firm.lr.get(f"{GRANTS}?direction=granted").get_json()["items"] == []  # personal: CHEN's own grants
    assert [g["id"] for g in firm.handler.get(f"{GRANTS}?direction=received").get_json()["items"]] == [grant["id"]]
    assert_error(act_for(firm.handler, firm.id).get(f"{GRANTS}?direction=granted"), 403, "member_role_required")


# -- acting under a grant -------------------------------------------------------------------------

def test_acting_under_a_grant_names_who_acts_for_whom(app, li, ou, client):
    grant = create_grant(li, {"phone": ou.phone}, ["gov_services:query"])
    acting = act_under(ou, grant["id"])
    token = claims(acting.tokens["access_token"])
    assert token["sub"] == user_id(li) and token["sub_type"] == "citizen"
    assert token["act"] == {"sub": user_id(ou), "grant": grant["id"]}
    refreshed = refresh(client, acting.tokens["refresh_token"])
    assert refreshed.status_code == 200, refreshed.get_json()
    assert claims(refreshed.get_json()["access_token"])["act"] == token["act"]
    [event] = audit_rows(app, "auth.act_as")
    assert event.on_behalf_of == f"citizen:{user_id(li)}" and details(event)["grant_id"] == grant["id"]


def test_acting_under_an_enterprise_grant(firm, sign_in):
    outsider, outsider_id = citizen_at(sign_in, level=2)  # an agency clerk, not a member
    grant = create_grant(firm.lr_acting, outsider_id, ["enterprise:read"])
    acting = act_under(outsider, grant["id"])
    token = claims(acting.tokens["access_token"])
    assert token["sub"] == firm.id and token["sub_type"] == "enterprise"
    assert token["act"] == {"sub": outsider_id, "grant": grant["id"]}  # no role: not a member
    assert acting.get(f"/api/v1/enterprises/{firm.id}/members").status_code == 200
    revoke(firm.lr_acting, grant["id"])
    assert_error(acting.get(f"/api/v1/enterprises/{firm.id}/members"), 401, "authorization_ended")


@pytest.mark.parametrize("ending", ["revoked", "renounced", "expired"])
def test_an_ended_grant_ends_its_tokens_on_the_next_request(app, li, ou, client, ending):
    grant = create_grant(li, {"phone": ou.phone}, ["gov_services:query"])
    acting = act_under(ou, grant["id"])
    spare = act_under(ou, grant["id"])  # a second acting session, to try refreshing with
    assert acting.get("/api/v1/me").status_code == 200
    if ending == "revoked":
        revoke(li, grant["id"])
    elif ending == "renounced":
        revoke(ou, grant["id"])
    else:
        expire(app, grant["id"])
    assert_error(acting.get("/api/v1/me"), 401, "authorization_ended")
    assert_error(acting.get(f"{GRANTS}?direction=received"), 401, "authorization_ended")
    assert_error(refresh(client, spare.tokens["refresh_token"]), 401, "authorization_ended")
    assert ou.get("/api/v1/me").status_code == 200  # the delegate's own session lives on


def test_act_as_answers_404_for_grants_one_cannot_act_under(app, li, ou, sign_in):
    he = verified(sign_in, HE)
    live = create_grant(li, {"phone": ou.phone}, ["gov_services:query"])
    expired = create_grant(li, {"phone": ou.phone}, ["gov_services:query"])
    expire(app, expired["id"])
    revoked = create_grant(li, {"phone": ou.phone}, ["gov_services:query"])
    revoke(li, revoked["id"])
    future = create_grant(li, {"phone": ou.phone}, ["gov_services:query"], days=20, not_before=in_days(10))
    cases = [
        (he, live["id"]),  # someone else's grant
        (li, live["id"]),  # the grantor's own grant: they act as themself
        (ou, expired["id"]), (ou, revoked["id"]), (ou, future["id"]), (ou, NO_SUCH_ID),
    ]
    for caller, grant_id in cases:
        assert_error(caller.post("/api/v1/auth/act-as", json={"authorization_id": grant_id}), 404,
                     "authorization_not_found")
    assert ou.post("/api/v1/auth/act-as", json={"authorization_id": live["id"]}).status_code == 200


# -- revocation -------------------------------------------------------------------------------------

def test_the_grantor_revokes(app, li, ou):
    grant = create_grant(li, {"phone": ou.phone}, ["gov_services:query"])
    revoked = revoke(li, grant["id"])
    li_id = user_id(li)
    assert revoked["status"] == "revoked" and revoked["revoked_at"].endswith("Z")
    assert [(e["event"], e["actor"]) for e in revoked["history"]] == [
        ("created", f"citizen:{li_id}"), ("revoked", f"citizen:{li_id}")]
    assert ou.get(f"{GRANTS}/{grant['id']}").get_json()["status"] == "revoked"
    [event] = audit_rows(app, "authorization.revoked")
    assert (event.actor, event.object_id) == (f"citizen:{li_id}", grant["id"])
    assert details(event) == {"by": "grantor", "also_revoked": []}


def test_the_grantee_renounces(app, li, ou):
    grant = create_grant(li, {"phone": ou.phone}, ["gov_services:query"])
    renounced = revoke(ou, grant["id"])
    assert renounced["status"] == "revoked"
    assert [(e["event"], e["actor"]) for e in renounced["history"]][-1] == ("revoked", f"citizen:{user_id(ou)}")
    [event] = audit_rows(app, "authorization.revoked")
    assert event.actor == f"citizen:{user_id(ou)}" and details(event)["by"] == "grantee"


def test_revoking_twice_is_the_same_as_once(app, li, ou):
    grant = create_grant(li, {"phone": ou.phone}, ["gov_services:query"])
    first = revoke(li, grant["id"])
    again = revoke(li, grant["id"])
    assert again == first
    assert revoke(ou, grant["id"]) == first  # the grantee renouncing afterwards changes nothing either
    assert len(audit_rows(app, "authorization.revoked")) == 1


def test_an_expired_grant_can_still_be_revoked(app, li, ou):
    grant = create_grant(li, {"phone": ou.phone}, ["gov_services:query"])
    expire(app, grant["id"])
    assert li.get(f"{GRANTS}/{grant['id']}").get_json()["status"] == "expired"
    assert revoke(li, grant["id"])["status"] == "revoked"


def test_sub_delegation_is_refused_while_no_scope_may_be_passed_on(li, ou, sign_in):
    assert not [name for name, rule in scope_table.SCOPES.items() if rule.sub_delegable]
    grant = create_grant(li, {"phone": ou.phone}, ["gov_services:query", "licences:read"])
    acting = act_under(ou, grant["id"])
    he = verified(sign_in, HE)
    answer = post_grant(acting, {"phone": he.phone}, ["gov_services:query"], days=5)
    assert_error(answer, 403, "sub_delegation_not_allowed")
    assert he.get(f"{GRANTS}?direction=received").get_json()["items"] == []


@pytest.fixture
def passable(monkeypatch):
    """Make gov_services:query sub-delegable for the test (no scope is today)."""
    rule = scope_table.SCOPES["gov_services:query"]
    monkeypatch.setitem(scope_table.SCOPES, "gov_services:query", replace(rule, sub_delegable=True))


def test_revocation_cascades_to_what_was_passed_on(app, li, ou, sign_in, passable):
    he = verified(sign_in, HE)
    parent = create_grant(li, {"phone": ou.phone}, ["gov_services:query", "licences:read"], days=30)
    acting = act_under(ou, parent["id"])
    # Only sub-delegable scopes pass on, and never past the parent's end.
    assert_error(post_grant(acting, {"phone": he.phone}, ["licences:read"], days=5), 403, "sub_delegation_not_allowed")
    assert fields_of(post_grant(acting, {"phone": he.phone}, ["gov_services:query"], days=40)) == {"expires_at"}
    child = create_grant(acting, {"phone": he.phone}, ["gov_services:query"], days=5)
    assert child["parent_id"] == parent["id"] and child["grantor"]["id"] == user_id(li)
    assert child["history"][0]["actor"] == f"citizen:{user_id(ou)}"
    he_acting = act_under(he, child["id"])
    assert he_acting.get("/api/v1/me").status_code == 200

    revoke(li, parent["id"])
    assert he.get(f"{GRANTS}/{child['id']}").get_json()["status"] == "revoked"
    assert [(e["event"], e["actor"]) for e in he.get(f"{GRANTS}/{child['id']}").get_json()["history"]][-1] == (
        "revoked", f"citizen:{user_id(li)}")
    assert_error(he_acting.get("/api/v1/me"), 401, "authorization_ended")
    [event] = audit_rows(app, "authorization.revoked")
    assert details(event)["also_revoked"] == [child["id"]]


def test_a_sub_delegation_cannot_widen_the_parents_constraints(app, li, ou, sign_in, passable):
    he = verified(sign_in, HE)
    parent = create_grant(li, {"phone": ou.phone}, ["gov_services:query"], constraints={"service_codes": ["A"]})
    acting = act_under(ou, parent["id"])
    answer = post_grant(acting, {"phone": he.phone}, ["gov_services:query"], days=5)
    if answer.status_code == 201:  # acceptable only if the child inherits the parent's bounds
        he_acting = act_under(he, answer.get_json()["id"])
        with pytest.raises(Forbidden):
            authorize_as(app, he_acting, "gov_services:query",
                         citizen_resource(user_id(li), "gov_service", service_code="B"))
    else:
        assert answer.status_code in (403, 422), answer.get_json()


# -- listing ------------------------------------------------------------------------------------------

@pytest.fixture
def several(app, li, ou, sign_in):
    """LI's grants: three to OU (one live, one revoked, one expired) and one live to HE."""
    he = verified(sign_in, HE)
    made = {
        "live": create_grant(li, {"phone": ou.phone}, ["gov_services:query"]),
        "revoked": create_grant(li, {"phone": ou.phone}, ["licences:read"]),
        "expired": create_grant(li, {"phone": ou.phone}, ["payments:pay"]),
        "to_he": create_grant(li, {"phone": he.phone}, ["licences:read"]),
    }
    revoke(li, made["revoked"]["id"])
    expire(app, made["expired"]["id"])
    return {name: grant["id"] for name, grant in made.items()}, he


def ids(answer) -> list[str]:
    assert answer.status_code == 200, answer.get_json()
    return [item["id"] for item in answer.get_json()["items"]]


def test_listing_by_direction_and_status(li, ou, several):
    made, he = several
    newest_first = [made["to_he"], made["expired"], made["revoked"], made["live"]]
    assert ids(li.get(GRANTS)) == newest_first  # direction=granted by default
    assert ids(li.get(f"{GRANTS}?direction=granted")) == newest_first
    assert ids(li.get(f"{GRANTS}?direction=received")) == []
    assert ids(ou.get(f"{GRANTS}?direction=received")) == [made["expired"], made["revoked"], made["live"]]
    assert ids(ou.get(f"{GRANTS}?direction=granted")) == []
    assert ids(he.get(f"{GRANTS}?direction=received")) == [made["to_he"]]
    assert ids(li.get(f"{GRANTS}?status=active")) == [made["to_he"], made["live"]]
    assert ids(li.get(f"{GRANTS}?status=revoked")) == [made["revoked"]]
    assert ids(li.get(f"{GRANTS}?status=expired")) == [made["expired"]]
    assert ids(ou.get(f"{GRANTS}?direction=received&status=active")) == [made["live"]]
    statuses = {item["id"]: item["status"] for item in li.get(GRANTS).get_json()["items"]}
    assert statuses == {made["to_he"]: "active", made["live"]: "active", made["revoked"]: "revoked",
                        made["expired"]: "expired"}


def test_cursor_pagination_walks_every_page(li, several):
    made, _ = several
    for query in ("", "&status=active"):
        everything = ids(li.get(f"{GRANTS}?limit=100{query}"))
        seen, cursor = [], None
        for _ in range(10):
            page = li.get(f"{GRANTS}?limit=1{query}" + (f"&cursor={cursor}" if cursor else "")).get_json()
            assert len(page["items"]) <= 1
            seen += [item["id"] for item in page["items"]]
            cursor = page["next_cursor"]
            if cursor is None:
                break
        assert seen == everything and len(set(seen)) == len(seen)
    two = li.get(f"{GRANTS}?limit=2").get_json()
    assert len(two["items"]) == 2 and two["next_cursor"] == two["items"][-1]["id"]
    last = li.get(f"{GRANTS}?limit=2&cursor={two['next_cursor']}").get_json()
    assert len(last["items"]) == 2 and last["next_cursor"] is None


@pytest.mark.parametrize("query, field", [
    ("limit=0", "limit"), ("limit=101", "limit"), ("limit=x", "limit"), ("direction=sideways", "direction"),
    ("status=pending", "status"), ("cursor=" + "0" * 27, "cursor"),
])
def test_bad_list_arguments_are_422(li, query, field):
    assert field in fields_of(li.get(f"{GRANTS}?{query}"))


def test_listing_needs_a_token(client):
    assert_error(client.get(GRANTS), 401)
    assert_error(client.post(GRANTS, json={}), 401)
    assert_error(client.get(ACCESS_LOG), 401)


def test_a_delegate_does_not_list_the_grantors_grants(li, ou, several):
    # Acting for LI, OU sees neither one of LI's grants to others (404) nor their list.
    made, _ = several
    acting = act_under(ou, made["live"])
    assert_error(acting.get(f"{GRANTS}/{made['to_he']}"), 404, "authorization_not_found")
    assert_error(acting.get(f"{GRANTS}?direction=granted"), 403, "not_authorized")
    assert made["live"] in ids(acting.get(f"{GRANTS}?direction=received"))  # what OU holds, OU sees


# -- the access log ----------------------------------------------------------------------------------

def log_of(citizen: Citizen, query: str = "") -> list[dict]:
    answer = citizen.get(f"{ACCESS_LOG}{query}")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]


def test_a_delegates_use_is_in_the_grantors_access_log_and_the_audit_log(app, li, ou):
    grant = create_grant(li, {"phone": ou.phone}, ["gov_services:query", "licences:read"])
    acting = act_under(ou, grant["id"])
    li_id, ou_id = user_id(li), user_id(ou)
    authorize_as(app, acting, "gov_services:query", citizen_resource(li_id, "gov_service", service_code="S1"))
    authorize_as(app, li, "licences:read", citizen_resource(li_id))  # the owner's own use: not logged
    authorize_as(app, acting, "licences:read", citizen_resource(li_id))

    entries = log_of(li)
    assert [e["action"] for e in entries] == ["licences:read", "gov_services:query"]  # newest first
    for entry in entries:
        assert entry["accessor"]["kind"] == "citizen" and entry["accessor"]["id"] == ou_id
        assert OU.name not in entry["accessor"]["display"]  # masked
        assert entry["acting_as"] == "delegate" and entry["grant_id"] == grant["id"]
        assert entry["at"].endswith("Z")
    assert (entries[1]["object_type"], entries[1]["object_id"]) == ("gov_service", "gov_service-1")
    assert log_of(ou) == []  # the delegate's own log: nobody used OU's data

    uses = audit_rows(app, prefix="access.")
    assert [u.action for u in uses] == ["access.gov_services:query", "access.licences:read"]
    for use in uses:
        assert use.actor == f"citizen:{ou_id}" and use.on_behalf_of == f"citizen:{li_id}"
        assert details(use) == {"via": "delegate", "grant_id": grant["id"]}


def test_a_delegate_cannot_read_the_grantors_access_log(li, ou):
    grant = create_grant(li, {"phone": ou.phone}, ["gov_services:query"])
    assert_error(act_under(ou, grant["id"]).get(ACCESS_LOG), 403, "not_authorized")


def test_refusals_are_audited_though_the_request_failed(app, li, ou, firm):
    grant = create_grant(li, {"phone": ou.phone}, ["gov_services:query"])
    acting = act_under(ou, grant["id"])
    with pytest.raises(Forbidden):  # the request's transaction is rolled back
        authorize_as(app, acting, "payments:pay", citizen_resource(user_id(li), "payment", amount_fen=100))
    [denied] = audit_rows(app, "authorization.denied")
    assert (denied.result, denied.actor, denied.on_behalf_of) == (
        "denied", f"citizen:{user_id(ou)}", f"citizen:{user_id(li)}")
    assert details(denied) == {"action": "payments:pay"}
    assert log_of(li) == []  # a refused use is no use

    # Through a route: a handler trying to add a member.
    handler_acting = act_for(firm.handler, firm.id)
    answer = handler_acting.post(f"/api/v1/enterprises/{firm.id}/members", json={"phone": HE.phone, "role": "handler"})
    assert_error(answer, 403, "member_role_required")
    denied = audit_rows(app, "authorization.denied")[-1]
    assert (denied.actor, denied.on_behalf_of, denied.object_id) == (
        f"citizen:{firm.handler_id}", f"enterprise:{firm.id}", firm.id)
    assert details(denied) == {"action": "members:manage"}


def test_a_members_use_is_in_the_enterprises_access_log(app, firm, sign_in):
    handler_acting = act_for(firm.handler, firm.id)
    document = enterprise_resource(firm.id, "document")
    authorize_as(app, handler_acting, "licences:read", document)
    authorize_as(app, firm.lr_acting, "licences:read", document)  # the legal representative: the enterprise itself
    new_id, new_phone = account(app)
    admin_acting = act_for(firm.admin, firm.id)
    assert admin_acting.post(f"/api/v1/enterprises/{firm.id}/members",
                             json={"phone": new_phone, "role": "handler"}).status_code == 201

    entries = log_of(firm.lr_acting)
    assert [(e["accessor"]["id"], e["acting_as"], e["action"], e["object_type"]) for e in entries] == [
        (firm.admin_id, "member", "members:manage", "enterprise"),
        (firm.handler_id, "member", "licences:read", "document"),
    ]
    assert [e["id"] for e in log_of(admin_acting)] == [e["id"] for e in entries]
    assert log_of(firm.lr) == [] and log_of(firm.handler) == []  # personal logs: not the enterprise's
    assert_error(handler_acting.get(ACCESS_LOG), 403, "not_authorized")
    assert [u.action for u in audit_rows(app, prefix="access.")] == ["access.licences:read", "access.members:manage"]


def test_a_use_under_an_enterprise_grant_is_in_its_access_log(app, firm):
    face_verified(app, firm.handler, LIANG)
    grant = create_grant(firm.lr_acting, firm.handler_id, ["esign:seal"], days=30)
    authorize_as(app, firm.handler, "esign:seal", enterprise_resource(firm.id, "contract"))
    [entry] = log_of(firm.lr_acting)
    assert (entry["accessor"]["id"], entry["acting_as"], entry["action"], entry["grant_id"]) == (
        firm.handler_id, "delegate", "esign:seal", grant["id"])


def test_reading_the_enterprise_through_its_routes_is_logged(app, firm):
    # Read-only routes commit nothing themselves: the use must be recorded all the same.
    handler_acting = act_for(firm.handler, firm.id)
    assert handler_acting.get(f"/api/v1/enterprises/{firm.id}").status_code == 200
    assert handler_acting.get(f"/api/v1/enterprises/{firm.id}/members").status_code == 200
    assert [e["action"] for e in log_of(firm.lr_acting)] == ["enterprise:read", "enterprise:read"]
    assert len(audit_rows(app, "access.enterprise:read")) == 2


def test_the_access_log_pages(app, li, ou):
    grant = create_grant(li, {"phone": ou.phone}, ["licences:read"])
    acting = act_under(ou, grant["id"])
    for _ in range(3):
        authorize_as(app, acting, "licences:read", citizen_resource(user_id(li)))
    everything = [e["id"] for e in log_of(li)]
    assert len(everything) == 3
    seen, cursor = [], None
    while True:
        page = li.get(f"{ACCESS_LOG}?limit=1" + (f"&cursor={cursor}" if cursor else "")).get_json()
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == everything
    for query in ("limit=0", "limit=101"):
        assert "limit" in fields_of(li.get(f"{ACCESS_LOG}?{query}"))
