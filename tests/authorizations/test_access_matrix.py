"""The access matrix (issue 4), kept as data: every caller against every object-bearing route.

A route with a path parameter names an object; who may reach it is decided by
``authorizations.authorize`` (through the domain services). The table below says, for
each such route and method, for each kind of caller, the status expected. Objects a
caller may not see answer 404, never 403 (a 403 would confirm the id exists), and that
404 reads exactly like the one for an id that exists nowhere.

``test_every_object_route_is_in_the_matrix`` walks the app's url_map: a new route with
a path parameter (or a new method on one) fails it until a row is added here.

Cells known to be wrong are listed in ``BUGS`` with the correct value kept in the
matrix; each has its own strict xfail, so fixing the bug makes that test XPASS (and
fail) until the entry is removed.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, field
from typing import Callable

import pytest

from nanhaitong import create_app
from nanhaitong.ids import new_id
from tests.conftest import LiveServer, app_settings, empty_database, empty_redis
from tests.database_snapshot import DatabaseSnapshot
from tests.support.citizens import (
    CHEN,
    HE,
    HUANG,
    LI,
    LIANG,
    OU,
    Citizen,
    account,
    bearer,
    citizen_at,
    open_session,
    read_code,
    sign_in_with,
    user_id,
    verified,
)
from tests.support.enterprises import GUICHENG, SHISHAN, act_for, add_member, registered
from tests.support.grants import act_under, create_grant, expire, revoke
from tests.support.messages import send_to_enterprise, send_to_user
from tests.support.partners import client_credentials
from tests.support.partners import register as register_partner
from tests.support.settings import APP_SETTINGS, NO_SUCH_ID
from tests.support.staff import create_staff, sign_in_staff

# Not API operations (as in the route-auth test): spec/docs pages, their assets, static files.
NOT_API_ENDPOINTS = {"static", "docs_assets.asset",
                     # public PKI: CA certificates and OCSP answers are public by design (RFC 5280, RFC 6960)
                     "esign.CaCertificate", "esign.OcspGet"}
NOT_API_PREFIXES = ("api-docs.", "console.")  # the staff console's pages call the same services

# -- the callers ------------------------------------------------------------------------
# owner            a citizen (LI) who owns the objects: their sessions, the grants they gave
# other_citizen    a verified citizen with no relation to anything here (HE)
# delegate         the grantee of the owner's grants (OU), with their own personal token
# delegate_live    the same person acting for the owner under a live grant (gov_services:query)
# delegate_expired ... under a grant that has since expired
# delegate_revoked ... under a grant the owner has since revoked
# ent_delegate     a citizen who is no member of enterprise A, acting under A's grant of
#                  enterprise:read + members:manage (业务授权 to an outsider, e.g. an agent)
# lr_/admin_/handler_A   the legal representative, an admin, a handler of enterprise A,
#                  with their personal token; the "@A" variants act for A (act-as)
# ..._B            the same for another enterprise B
# anonymous        no token;  staff: a staff (operator) token;  partner: a partner
#                  platform's client-credentials token (scope esign:envelopes)
CALLERS = (
    "anonymous", "partner", "staff",
    "owner", "other_citizen", "delegate", "delegate_live", "delegate_expired", "delegate_revoked", "ent_delegate",
    "lr_A", "lr_A@A", "admin_A", "admin_A@A", "handler_A", "handler_A@A",
    "lr_B", "lr_B@B", "admin_B", "admin_B@B", "handler_B", "handler_B@B",
)

# -- the matrix -------------------------------------------------------------------------
# (method, rule) -> {object: statuses in CALLERS order}
MATRIX: dict[tuple[str, str], dict[str, tuple[int, ...]]] = {
    #   anon part staf ownr othr dlg  dLiv dExp dRev eDlg lrA  lrA@ adA  adA@ hdA  hdA@ lrB  lrB@ adB  adB@ hdB  hdB@
    ("DELETE", "/api/v1/me/sessions/<session_id>"): {
        "a session of the owner": (
        401, 401, 401, 204, 404, 404, 404, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    },
    ("GET", "/api/v1/enterprises/<enterprise_id>"): {
        "enterprise A": (
        401, 401, 401, 404, 404, 404, 404, 401, 401, 200, 200, 200, 200, 200, 200, 200, 404, 404, 404, 404, 404, 404),
    },
    ("GET", "/api/v1/enterprises/<enterprise_id>/members"): {
        "enterprise A": (
        401, 401, 401, 404, 404, 404, 404, 401, 401, 200, 200, 200, 200, 200, 200, 200, 404, 404, 404, 404, 404, 404),
    },
    ("POST", "/api/v1/enterprises/<enterprise_id>/members"): {
        "enterprise A": (
        401, 401, 401, 404, 404, 404, 404, 401, 401, 201, 201, 201, 201, 201, 403, 403, 404, 404, 404, 404, 404, 404),
    },
    ("DELETE", "/api/v1/enterprises/<enterprise_id>/members/<user_id>"): {
        "a handler of enterprise A": (
        401, 401, 401, 404, 404, 404, 404, 401, 401, 204, 204, 204, 204, 204, 403, 403, 404, 404, 404, 404, 404, 404),
    },
    ("GET", "/api/v1/authorizations/<grant_id>"): {
        # the grantor and the grantee see a grant; nobody else learns it exists
        "the owner's live grant to the delegate": (
        401, 401, 401, 200, 404, 200, 200, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
        # an enterprise's grant is seen acting for it (legal rep, admin) or by its grantee
        # (personal token: acting for the enterprise, one is the enterprise, not oneself)
        "enterprise A's grant to its handler": (
        401, 401, 401, 404, 404, 404, 404, 401, 401, 404, 404, 200, 404, 200, 200, 404, 404, 404, 404, 404, 404, 404),
    },
    ("POST", "/api/v1/authorizations/<grant_id>/revoke"): {
        "a new grant of the owner to a third citizen": (
        401, 401, 401, 200, 404, 404, 404, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
        # the grantee may renounce (also while acting under another grant of theirs)
        "a new grant of the owner to the delegate": (
        401, 401, 401, 200, 404, 200, 200, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
        "a new grant of enterprise A to its handler": (
        401, 401, 401, 404, 404, 404, 404, 401, 401, 404, 404, 200, 404, 200, 200, 404, 404, 404, 404, 404, 404, 404),
    },
    # A citizen's licence: the holder only; a delegate acting for them needs a grant that
    # names the action (the live one grants gov_services:query only: 403, not 404).
    ("GET", "/api/v1/licences/<ulid:licence_id>"): {
        "the owner's licence": (
        401, 401, 401, 200, 404, 404, 403, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
        # an enterprise's licence: every member, by role; an outside agent's grant lacks licences:read
        "enterprise A's business licence": (
        401, 401, 401, 404, 404, 404, 404, 401, 401, 403, 200, 200, 200, 200, 200, 200, 404, 404, 404, 404, 404, 404),
    },
    ("POST", "/api/v1/licences/<ulid:licence_id>/reveal"): {
        "the owner's licence": (
        401, 401, 401, 200, 404, 404, 403, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    },
    ("POST", "/api/v1/licences/<ulid:licence_id>/presentations"): {
        "the owner's licence": (
        401, 401, 401, 201, 404, 404, 403, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    },
    ("GET", "/api/v1/licences/<ulid:licence_id>/presentations"): {
        "the owner's licence": (
        401, 401, 401, 200, 404, 404, 403, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    },
    ("POST", "/api/v1/licences/<ulid:licence_id>/presentations/<ulid:presentation_id>/revoke"): {
        "a presentation of the owner's licence": (
        401, 401, 401, 200, 404, 404, 403, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    },
    ("GET", "/api/v1/licences/<ulid:licence_id>/presentations/<ulid:presentation_id>/qr.png"): {
        "a presentation of the owner's licence": (
        401, 401, 401, 200, 404, 404, 403, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    },
    ("GET", "/api/v1/licences/<ulid:licence_id>/presentations/<ulid:presentation_id>/qr.svg"): {
        "a presentation of the owner's licence": (
        401, 401, 401, 200, 404, 404, 403, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    },
    # Provincial services (issue 7). The catalogue is public. A query or application is
    # for whom the caller acts: a citizen service for a citizen (themself, or the grantor
    # under a grant naming the action), an enterprise service acting for the enterprise.
    # Members made with citizen_at have level 2 but no verified real name: 403.
    ("GET", "/api/v1/gov-services/<code>"): {
        "a citizen service": (
        200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200, 200),
    },
    ("POST", "/api/v1/gov-services/<code>/queries"): {
        "a citizen service": (
        401, 401, 401, 200, 200, 200, 200, 401, 401, 403, 200, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403, 403),
        "an enterprise service": (
        401, 401, 401, 403, 403, 403, 403, 401, 401, 403, 403, 200, 403, 200, 403, 200, 403, 200, 403, 200, 403, 200),
    },
    ("POST", "/api/v1/gov-services/<code>/applications"): {
        "a citizen application service": (
        401, 401, 401, 201, 201, 201, 403, 401, 401, 403, 201, 403, 403, 403, 403, 403, 201, 403, 403, 403, 403, 403),
    },
    ("GET", "/api/v1/applications/<ulid:application_id>"): {
        "an application of the owner": (
        401, 401, 401, 200, 404, 404, 403, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    },
    ("PATCH", "/api/v1/admin/gov-services/<code>"): {
        "a citizen service": (
        401, 401, 200, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401, 401),
    },
    # The inbox is the subject's own: a personal token reads the personal inbox, a token
    # acting for an enterprise reads the enterprise's. A token acting under a grant is
    # refused (403) whatever the message: no grant carries the inbox, and the refusal
    # comes before any lookup, so it says nothing of the message.
    ("GET", "/api/v1/messages/<ulid:message_id>"): {
        "a message to the owner": (
        401, 401, 401, 200, 404, 404, 403, 401, 401, 403, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
        "a message to enterprise A": (
        401, 401, 401, 404, 404, 404, 403, 401, 401, 403, 404, 200, 404, 200, 404, 200, 404, 404, 404, 404, 404, 404),
    },
    ("POST", "/api/v1/messages/<ulid:message_id>/read"): {
        "a message to the owner": (
        401, 401, 401, 200, 404, 404, 403, 401, 401, 403, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
        "a message to enterprise A": (
        401, 401, 401, 404, 404, 404, 403, 401, 401, 403, 404, 200, 404, 200, 404, 200, 404, 404, 404, 404, 404, 404),
    },
    # A phone belongs to whoever holds it, whatever context their token acts in.
    ("DELETE", "/api/v1/me/devices/<ulid:device_id>"): {
        "a device of the owner": (
        401, 401, 401, 204, 404, 404, 404, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    },
}

# Payments (issue 8): the owner, or a delegate whose grant names payments:pay (the live
# one grants gov_services:query only: 403); nobody else learns the object exists.
MATRIX.update({
    ("DELETE", "/api/v1/utility-accounts/<ulid:account_id>"): {
        "the owner's bus card": (
        401, 401, 401, 204, 404, 404, 403, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    },
    ("GET", "/api/v1/utility-accounts/<ulid:account_id>/balance"): {
        "the owner's bus card": (
        401, 401, 401, 200, 404, 404, 403, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    },
    ("GET", "/api/v1/utility-accounts/<ulid:account_id>/bills"): {
        "the owner's gas account": (
        401, 401, 401, 200, 404, 404, 403, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    },
    ("GET", "/api/v1/payment-orders/<ulid:order_id>"): {
        "the owner's payment order": (
        401, 401, 401, 200, 404, 404, 403, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    },
    ("POST", "/api/v1/payment-orders/<ulid:order_id>/cancel"): {
        "a new payment order of the owner": (
        401, 401, 401, 200, 404, 404, 403, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    },
})

# (method, rule, object, caller) -> what is wrong. The matrix holds the correct status.
BUGS: dict[tuple[str, str, str, str], str] = {}


# -- the world ------------------------------------------------------------------------------

@dataclass
class World:
    app: object
    client: object
    headers: dict[str, dict] = field(default_factory=dict)
    ids: dict[str, str] = field(default_factory=dict)
    people: dict[str, object] = field(default_factory=dict)

    def request(self, method: str, path: str, body: dict | None, caller: str):
        return self.client.open(path, method=method, headers=self.headers[caller], json=body)


def build_world(app, client, sign_in, server: LiveServer) -> World:
    world = World(app, client)
    people, ids = world.people, world.ids

    # Two enterprises, each with its legal representative (a demo citizen), an admin, a handler.
    for name, demo, uscc in (("A", CHEN, GUICHENG), ("B", HUANG, SHISHAN)):
        lr = verified(sign_in, demo)
        ids[name] = registered(lr, uscc)
        people[f"lr_{name}"] = lr
        for role in ("admin", "handler"):
            member, ids[f"{role}_{name}"] = citizen_at(sign_in, level=2)
            added = lr.post(f"/api/v1/enterprises/{ids[name]}/members", json={"phone": member.phone, "role": role})
            assert added.status_code == 201, added.get_json()
            people[f"{role}_{name}"] = member
        for role in ("lr", "admin", "handler"):
            people[f"{role}_{name}@{name}"] = act_for(people[f"{role}_{name}"], ids[name])

    owner, delegate = verified(sign_in, LI), verified(sign_in, OU)
    people.update(owner=owner, delegate=delegate, other_citizen=verified(sign_in, HE),
                  third=verified(sign_in, LIANG))
    for name in ("owner", "delegate", "third"):
        ids[name] = user_id(people[name])

    # The owner's grants to the delegate: one live, one to expire, one to revoke; the
    # delegate acts under each while it is live.
    for state in ("live", "expired", "revoked"):
        grant = create_grant(owner, ids["delegate"], ["gov_services:query"], purpose=f"代办查询 ({state})")
        ids[f"grant_{state}"] = grant["id"]
        people[f"delegate_{state}"] = act_under(delegate, grant["id"])
    expire(app, ids["grant_expired"])
    revoke(owner, ids["grant_revoked"])

    # Enterprise A's grants: to an outsider (who acts under it), and to its handler.
    outsider, ids["ent_delegate"] = citizen_at(sign_in, level=2)
    ent_grant = create_grant(people["lr_A@A"], ids["ent_delegate"], ["enterprise:read", "members:manage"])
    people["ent_delegate"] = act_under(outsider, ent_grant["id"])
    ids["ent_grant_handler"] = create_grant(people["lr_A@A"], ids["handler_A"], ["payments:pay"])["id"]

    # The owner's and enterprise A's e-licences, pulled from the sandbox library.
    assert owner.post("/api/v1/licences/sync").status_code == 200
    ids["owner_licence"] = owner.get("/api/v1/licences").get_json()["items"][0]["id"]
    assert people["lr_A@A"].post("/api/v1/licences/sync").status_code == 200
    ids["A_licence"] = people["lr_A@A"].get("/api/v1/licences?type_code=business_licence").get_json()["items"][0]["id"]

    create_staff(app, "13900139001", "operator")
    people["staff"] = sign_in_staff(app, client, "13900139001")

    world.headers = {name: people[name].headers for name in CALLERS if name in people}
    world.headers["anonymous"] = {}
    # Two partner platforms (esign:envelopes): the matrix's partner, and another one.
    for name in ("partner", "other_partner"):
        registered_partner = register_partner(people["staff"], name=f"矩阵测试合作方 {name}", scopes=["esign:envelopes"],
                                              optional_scopes=[])
        ids[f"{name}_token"] = client_credentials(server, registered_partner,
                                                  scope="esign:envelopes")["access_token"]
    world.headers["partner"] = bearer(ids["partner_token"])
    assert set(world.headers) == set(CALLERS)
    return world


# What each object is, made afresh for every cell when the route changes it.
OBJECTS: dict[str, Callable[[World], dict]] = {
    "a session of the owner": lambda w: {"session_id": open_session(w.app, w.ids["owner"])},
    "enterprise A": lambda w: {"enterprise_id": w.ids["A"]},
    "a handler of enterprise A": lambda w: {"enterprise_id": w.ids["A"], "user_id": add_member(w.app, w.ids["A"])},
    "the owner's live grant to the delegate": lambda w: {"grant_id": w.ids["grant_live"]},
    "enterprise A's grant to its handler": lambda w: {"grant_id": w.ids["ent_grant_handler"]},
    "a new grant of the owner to a third citizen": lambda w: {"grant_id": create_grant(
        w.people["owner"], w.ids["third"], ["gov_services:query"])["id"]},
    "a new grant of the owner to the delegate": lambda w: {"grant_id": create_grant(
        w.people["owner"], w.ids["delegate"], ["gov_services:query"])["id"]},
    "a new grant of enterprise A to its handler": lambda w: {"grant_id": create_grant(
        w.people["lr_A@A"], w.ids["handler_A"], ["payments:pay"])["id"]},
    "the owner's licence": lambda w: {"licence_id": w.ids["owner_licence"]},
    "enterprise A's business licence": lambda w: {"licence_id": w.ids["A_licence"]},
    "a presentation of the owner's licence": lambda w: {
        "licence_id": w.ids["owner_licence"], "presentation_id": w.people["owner"].post(
            f"/api/v1/licences/{w.ids['owner_licence']}/presentations", json={"fields": ["holder_name"]},
        ).get_json()["id"]},
    "a citizen service": lambda w: gov_service(w, "yss.housing_fund.balance"),
    "an enterprise service": lambda w: gov_service(w, "ysst.business_licence.status"),
    "a citizen application service": lambda w: gov_service(w, "yss.hukou.certificate"),
    "an application of the owner": lambda w: {"application_id": w.people["owner"].post(
        f"/api/v1/gov-services/{gov_service(w, 'yss.hukou.certificate')['code']}/applications",
        json={"form": {"purpose": "employment", "copies": 1}}).get_json()["id"]},
    "a message to the owner": lambda w: {"message_id": send_to_user(w.app, w.ids["owner"])},
    "a message to enterprise A": lambda w: {"message_id": send_to_enterprise(w.app, w.ids["A"], topic="payment")},
    "a device of the owner": lambda w: {"device_id": w.people["owner"].post(
        "/api/v1/me/devices", json={"platform": "android", "token": f"token-{new_id()}"}).get_json()["id"]},
}


def gov_service(world: World, code: str) -> dict:
    """A provincial service, once the catalogue is loaded (as `flask gov-services catalogue load` does)."""
    if "gov_catalogue" not in world.ids:
        from tests.support.gov_services import load_catalogue

        load_catalogue(world.app)
        world.ids["gov_catalogue"] = "loaded"
    return {"code": code}
# Payments (issue 8): the owner's accounts and orders, made through the API.
OBJECTS.update({
    "the owner's bus card": lambda w: {"account_id": _owner_account(w, "bus_card")},
    "the owner's gas account": lambda w: {"account_id": _owner_account(w, "gas")},
    "the owner's payment order": lambda w: {"order_id": w.ids.get("owner_order") or _owner_order(w, keep=True)},
    "a new payment order of the owner": lambda w: {"order_id": _owner_order(w)},
})
_order_keys = itertools.count(1)


def _owner_account(world: World, kind: str) -> str:
    """The owner's bound bus card or gas account (bound again when a cell unbound it)."""
    from integrations.sandbox.demo_data import BUS_CARDS, GAS_ACCOUNTS

    number = BUS_CARDS[0].card_no if kind == "bus_card" else GAS_ACCOUNTS[0].account_no
    answer = world.people["owner"].post("/api/v1/utility-accounts", json={"kind": kind, "number": number})
    assert answer.status_code in (201, 409), answer.get_json()
    body = answer.get_json()
    return body["id"] if answer.status_code == 201 else body["details"]["account_id"]


def _owner_order(world: World, keep: bool = False) -> str:
    """A new unpaid top-up order of the owner's (with the Idempotency-Key it requires)."""
    owner = world.people["owner"]
    answer = owner.client.post("/api/v1/payment-orders", json={
        "kind": "bus_card_topup", "account_id": _owner_account(world, "bus_card"), "amount_fen": 1000,
        "channel": "wechat"}, headers={**owner.headers, "Idempotency-Key": f"matrix-order-{next(_order_keys)}"})
    assert answer.status_code == 201, answer.get_json()
    if keep:
        world.ids["owner_order"] = answer.get_json()["id"]
    return answer.get_json()["id"]


# Request bodies, for the routes that take one (a new target each time).
BODIES: dict[tuple[str, str], Callable[[World], dict]] = {
    ("POST", "/api/v1/enterprises/<enterprise_id>/members"): lambda w: {"phone": account(w.app)[1], "role": "handler"},
    # the owner's step-up code: whoever else calls is stopped before the code is looked at
    ("POST", "/api/v1/licences/<ulid:licence_id>/reveal"): lambda w: {"step_up_code": step_up_code(w, "owner")},
    ("POST", "/api/v1/licences/<ulid:licence_id>/presentations"): lambda w: {"fields": ["holder_name"]},
    ("POST", "/api/v1/gov-services/<code>/queries"): lambda w: {"params": {}},
    ("POST", "/api/v1/gov-services/<code>/applications"): lambda w: {"form": {"purpose": "employment", "copies": 1}},
    ("PATCH", "/api/v1/admin/gov-services/<code>"): lambda w: {"fee_note": "不收费"},
}


# -- partner platforms (issue 9): the registry is for operators only --------------------------
def _partner_row(staff_status: int) -> tuple[int, ...]:
    return (401, 401, staff_status) + (401,) * (len(CALLERS) - 3)


def _make_partner(app) -> str:
    from nanhaitong.partners import registry

    with app.app_context():
        partner, _ = registry.create({"name": "矩阵测试合作方", "redirect_uris": ["https://bank.example.com/cb"],
                                      "scopes": ["openid", "licences:verify"],
                                      "webhook_url": "http://127.0.0.1:9/hook"})
        return partner.id


def _make_delivery(app) -> dict:
    from nanhaitong import db
    from nanhaitong.partners.models import WebhookDelivery, WebhookSubscription

    partner_id = _make_partner(app)
    with app.app_context():
        subscription = db.session().query(WebhookSubscription).filter_by(partner_id=partner_id).one()
        delivery = WebhookDelivery(partner_id=partner_id, subscription_id=subscription.id, event="consent.revoked",
                                   payload='{"event": "consent.revoked"}')
        db.session().add(delivery)
        db.session().commit()
        return {"partner_id": partner_id, "delivery_id": delivery.id}


def _make_subscription(app) -> dict:
    from nanhaitong.partners.models import WebhookSubscription

    partner_id = _make_partner(app)
    with app.app_context():
        from nanhaitong import db

        subscription = db.session().query(WebhookSubscription).filter_by(partner_id=partner_id).one()
        return {"partner_id": partner_id, "subscription_id": subscription.id}


_PARTNER = "/api/v1/admin/partners/<ulid:partner_id>"
MATRIX.update({
    ("GET", _PARTNER): {"a partner": _partner_row(200)},
    ("PATCH", _PARTNER): {"a partner": _partner_row(200)},
    ("POST", _PARTNER + "/rotate-credentials"): {"a partner": _partner_row(200)},
    ("POST", _PARTNER + "/suspend"): {"a partner": _partner_row(200)},
    ("POST", _PARTNER + "/reinstate"): {"a partner": _partner_row(200)},
    ("GET", _PARTNER + "/webhooks"): {"a partner": _partner_row(200)},
    ("POST", _PARTNER + "/webhooks"): {"a partner": _partner_row(201)},
    ("PATCH", _PARTNER + "/webhooks/<ulid:subscription_id>"): {
        "a webhook subscription of a partner": _partner_row(200)},
    ("GET", _PARTNER + "/webhook-deliveries"): {"a partner": _partner_row(200)},
    ("POST", _PARTNER + "/webhook-deliveries/<ulid:delivery_id>/replay"): {
        "a webhook delivery of a partner": _partner_row(200)},
})
OBJECTS.update({
    "a partner": lambda w: {"partner_id": _make_partner(w.app)},
    "a webhook delivery of a partner": lambda w: _make_delivery(w.app),
    "a webhook subscription of a partner": lambda w: _make_subscription(w.app),
})
BODIES.update({
    ("PATCH", _PARTNER): lambda w: {"name": "改名后的合作方"},
    ("POST", _PARTNER + "/webhooks"): lambda w: {"url": "https://bank.example.com/hook", "events": ["consent.revoked"]},
    ("PATCH", _PARTNER + "/webhooks/<ulid:subscription_id>"): lambda w: {"active": False},
})

# -- policy push (issue 10) -------------------------------------------------------------------
# Published policies are public; drafts are 404 to everyone there. Editing needs a staff
# token with policy_editor: the operator is 403, citizen and partner tokens 401. An
# enterprise's matches are read like the enterprise itself (enterprise:read).
from tests.support.policies import make_policy, policy_body

_POLICY_ADMIN = (401, 401, 403) + (401,) * 19
MATRIX.update({
    ("GET", "/api/v1/policies/<ulid:policy_id>"): {
        "a published policy": (200,) * 22,
        "a draft policy": (404,) * 22,
    },
    ("GET", "/api/v1/admin/policies/<ulid:policy_id>"): {"a draft policy": _POLICY_ADMIN},
    ("PUT", "/api/v1/admin/policies/<ulid:policy_id>"): {"a draft policy": _POLICY_ADMIN},
    ("POST", "/api/v1/admin/policies/<ulid:policy_id>/publish"): {"a draft policy": _POLICY_ADMIN},
    ("POST", "/api/v1/admin/policies/<ulid:policy_id>/withdraw"): {"a published policy": _POLICY_ADMIN},
    ("GET", "/api/v1/admin/policies/<ulid:policy_id>/fanouts"): {"a published policy": _POLICY_ADMIN},
    ("GET", "/api/v1/enterprises/<ulid:enterprise_id>/policy-matches"): {
        "enterprise A": (
        401, 401, 401, 404, 404, 404, 404, 401, 401, 200, 200, 200, 200, 200, 200, 200, 404, 404, 404, 404, 404, 404),
    },
})
OBJECTS.update({
    "a published policy": lambda w: {"policy_id": make_policy(w.app)},
    "a draft policy": lambda w: {"policy_id": make_policy(w.app, publish_it=False)},
})
BODIES.update({
    ("PUT", "/api/v1/admin/policies/<ulid:policy_id>"): lambda w: policy_body(),
})


# -- the staff's admin API (issue 24) ------------------------------------------------------------
# Citizen and partner tokens are 401 (not staff tokens). The "staff" caller is an operator:
# the payments, refund and audit routes are another role's (403, decided before any lookup,
# so an id says nothing); staff accounts are the operator's own work.
_staff_ids = iter(range(20, 100))
_OTHER_ROLE = _partner_row(403)


def _make_staff_account(app) -> dict:
    from tests.support.staff import create_staff

    return {"staff_id": create_staff(app, f"139001390{next(_staff_ids):02d}", "auditor")["id"]}


def _any_ids(_world) -> dict:
    return {name: NO_SUCH_ID for name in ("order_id", "request_id", "run_id", "mismatch_id", "event_id")}


MATRIX.update({
    ("GET", "/api/v1/admin/payment-orders/<ulid:order_id>"): {"any admin object": _OTHER_ROLE},
    ("POST", "/api/v1/admin/payment-orders/<ulid:order_id>/refunds"): {"any admin object": _OTHER_ROLE},
    ("POST", "/api/v1/admin/refund-requests/<ulid:request_id>/approval"): {"any admin object": _OTHER_ROLE},
    ("POST", "/api/v1/admin/refund-requests/<ulid:request_id>/rejection"): {"any admin object": _OTHER_ROLE},
    ("GET", "/api/v1/admin/reconciliation-runs/<ulid:run_id>"): {"any admin object": _OTHER_ROLE},
    ("PUT", "/api/v1/admin/reconciliation-mismatches/<ulid:mismatch_id>/resolution"): {
        "any admin object": _OTHER_ROLE},
    ("GET", "/api/v1/admin/audit/events/<ulid:event_id>"): {"any admin object": _OTHER_ROLE},
    ("POST", "/api/v1/admin/staff/<ulid:staff_id>/deactivation"): {"a staff account": _partner_row(200)},
    ("PUT", "/api/v1/admin/staff/<ulid:staff_id>/second-factor"): {"a staff account": _partner_row(200)},
})
OBJECTS.update({
    "any admin object": _any_ids,
    "a staff account": lambda w: _make_staff_account(w.app),
})
BODIES.update({
    ("POST", "/api/v1/admin/payment-orders/<ulid:order_id>/refunds"): lambda w: {"reason": "矩阵测试退款"},
    ("POST", "/api/v1/admin/refund-requests/<ulid:request_id>/approval"): lambda w: {},
    ("POST", "/api/v1/admin/refund-requests/<ulid:request_id>/rejection"): lambda w: {},
    ("PUT", "/api/v1/admin/reconciliation-mismatches/<ulid:mismatch_id>/resolution"): lambda w: {"note": "已处理"},
    ("PUT", "/api/v1/admin/staff/<ulid:staff_id>/second-factor"): lambda w: {
        "phone": f"139001391{next(_staff_ids):02d}"},
})


def step_up_code(world: World, who: str) -> str:
    phone = world.people[who].phone
    assert world.client.post("/api/v1/auth/sms-codes", json={"phone": phone, "purpose": "step_up"}).status_code == 202
    return read_code(world.app, phone)

# -- esign (issue 6) ------------------------------------------------------------------------
# A personal certificate and its signing requests are the owner's alone (esign:sign is not
# grantable: a delegate acting for the owner gets 403); an enterprise's seal certificate is
# revoked by its legal representative only (esign:manage).

def _esign_certificate(world: World, who: str, **body) -> str:
    answer = world.client.post("/api/v1/esign/certificates", headers=world.headers[who],
                               json={"kind": "personal", **body})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def _kept(world: World, key: str, make: Callable[[], str]) -> str:
    """The object made for the first cell of a test, kept for its other cells."""
    if key not in world.ids:
        world.ids[key] = make()
    return world.ids[key]


def _esign_request(world: World, *, confirmed: bool) -> str:
    import io

    from tests.support.documents import make_pdf

    if "owner_esign_certificate" not in world.ids:
        world.ids["owner_esign_certificate"] = _esign_certificate(world, "owner")
    asked = world.client.post("/api/v1/esign/signing-requests", headers=world.headers["owner"], data={
        "certificate_id": world.ids["owner_esign_certificate"], "file": (io.BytesIO(make_pdf()), "a.pdf")})
    assert asked.status_code == 202, asked.get_json()
    request_id = asked.get_json()["id"]
    if confirmed:
        done = world.client.post(f"/api/v1/esign/signing-requests/{request_id}/confirm", headers=world.headers["owner"],
                                 json={"code": read_code(world.app, world.people["owner"].phone)})
        assert done.status_code == 200, done.get_json()
    return request_id


OBJECTS.update({
    "a new personal certificate of the owner": lambda w: {"certificate_id": _esign_certificate(w, "owner")},
    "a new seal certificate of enterprise A": lambda w: {"certificate_id": _esign_certificate(
        w, "lr_A", kind="enterprise_seal", enterprise_id=w.ids["A"])},
    # Reading a request changes nothing: the reads share one (signing a PDF is slow); the
    # routes that act on a request get a new one for every cell.
    "the owner's signed signing request": lambda w: {"request_id": _kept(
        w, "owner_signed_request", lambda: _esign_request(w, confirmed=True))},
    "the owner's pending signing request": lambda w: {"request_id": _kept(
        w, "owner_pending_request", lambda: _esign_request(w, confirmed=False))},
    "a pending signing request of the owner": lambda w: {"request_id": _esign_request(w, confirmed=False)},
})
BODIES.update({
    ("POST", "/api/v1/esign/certificates/<ulid:certificate_id>/revoke"): lambda w: {},
    # the code texted to the owner for the request just made; others are stopped before it is looked at
    ("POST", "/api/v1/esign/signing-requests/<ulid:request_id>/confirm"): lambda w: {
        "code": read_code(w.app, w.people["owner"].phone)},
})
_OWNER_ONLY = (
    401, 401, 401, 200, 404, 404, 403, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404)
MATRIX.update({
    #   anon part staf ownr othr dlg  dLiv dExp dRev eDlg lrA  lrA@ adA  adA@ hdA  hdA@ lrB  lrB@ adB  adB@ hdB  hdB@
    ("POST", "/api/v1/esign/certificates/<ulid:certificate_id>/revoke"): {
        "a new personal certificate of the owner": _OWNER_ONLY,
        "a new seal certificate of enterprise A": (
        401, 401, 401, 404, 404, 404, 404, 401, 401, 403, 200, 200, 403, 403, 403, 403, 404, 404, 404, 404, 404, 404),
    },
    ("GET", "/api/v1/esign/signing-requests/<ulid:request_id>"): {
        "the owner's pending signing request": _OWNER_ONLY,
    },
    ("POST", "/api/v1/esign/signing-requests/<ulid:request_id>/confirm"): {
        "a pending signing request of the owner": _OWNER_ONLY,
    },
    ("POST", "/api/v1/esign/signing-requests/<ulid:request_id>/code"): {
        "a pending signing request of the owner": (
        401, 401, 401, 200, 404, 404, 403, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
    },
    ("GET", "/api/v1/esign/signing-requests/<ulid:request_id>/document"): {
        "the owner's signed signing request": _OWNER_ONLY,
    },
})

# Detached signatures are personal like signing requests (esign:sign, never delegated).
# An envelope is its creator's and its signers' (404 for anyone else, whatever context the
# token acts in): only the creator reminds (a signer: 403), only a signer whose turn it is
# signs or declines. The partner routes answer only the partner that created the envelope.
_SHA256 = "ab" * 32


def _detached(world: World) -> str:
    if "owner_esign_certificate" not in world.ids:
        world.ids["owner_esign_certificate"] = _esign_certificate(world, "owner")
    asked = world.client.post("/api/v1/esign/detached-signatures", headers=world.headers["owner"], json={
        "certificate_id": world.ids["owner_esign_certificate"], "sha256": _SHA256, "title": "矩阵测试摘要"})
    assert asked.status_code == 202, asked.get_json()
    return asked.get_json()["id"]


def _envelope(world: World, creator: str, signer: str, *, partner_token: str | None = None) -> str:
    import base64

    from tests.support.documents import make_pdf

    headers = bearer(partner_token) if partner_token else world.people[creator].headers
    prefix = "/open/v1" if partner_token else "/api/v1"
    answer = world.client.post(f"{prefix}/esign/envelopes", headers=headers, json={
        "title": "矩阵测试合同", "file_name": "contract.pdf", "document_base64": base64.b64encode(make_pdf()).decode(),
        "signers": [{"role": "citizen", "phone": world.people[signer].phone}]})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


OBJECTS.update({
    "the owner's pending detached signature": lambda w: {"request_id": _kept(w, "owner_detached", lambda: _detached(w))},
    "a pending detached signature of the owner": lambda w: {"request_id": _detached(w)},
    "the owner's envelope to a third citizen": lambda w: {"envelope_id": _kept(
        w, "owner_envelope", lambda: _envelope(w, "owner", "third"))},
    "a third citizen's envelope to the owner": lambda w: {"envelope_id": _kept(
        w, "third_envelope", lambda: _envelope(w, "third", "owner"))},
    "a new envelope of the owner to a third citizen": lambda w: {"envelope_id": _envelope(w, "owner", "third")},
    "a new envelope of a third citizen to the owner": lambda w: {"envelope_id": _envelope(w, "third", "owner")},
    "the partner's envelope to the owner": lambda w: {"envelope_id": _kept(
        w, "partner_envelope", lambda: _envelope(w, "partner", "owner", partner_token=w.ids["partner_token"]))},
    "another partner's envelope to the owner": lambda w: {"envelope_id": _kept(
        w, "other_partner_envelope", lambda: _envelope(w, "partner", "owner",
                                                       partner_token=w.ids["other_partner_token"]))},
})
BODIES.update({
    ("POST", "/api/v1/esign/detached-signatures/<ulid:request_id>/confirm"): lambda w: {
        "code": read_code(w.app, w.people["owner"].phone)},
    ("POST", "/api/v1/esign/envelopes/<ulid:envelope_id>/decline"): lambda w: {"reason": "条款有误"},
    ("POST", "/api/v1/esign/envelopes/<ulid:envelope_id>/sign"): lambda w: {
        "certificate_id": _kept(w, "owner_esign_certificate", lambda: _esign_certificate(w, "owner"))},
})
_ENVELOPE = "/api/v1/esign/envelopes/<ulid:envelope_id>"
_OPEN_ENVELOPE = "/open/v1/esign/envelopes/<ulid:envelope_id>"


def _envelope_row(status: int) -> tuple[int, ...]:
    return (401, 401, 401, status, 404, 404, 404, 401, 401) + (404,) * 13


def _open_row(status: int) -> tuple[int, ...]:
    return (401, status) + (401,) * 20


MATRIX.update({
    #   anon part staf ownr othr dlg  dLiv dExp dRev eDlg lrA  lrA@ adA  adA@ hdA  hdA@ lrB  lrB@ adB  adB@ hdB  hdB@
    ("POST", "/api/v1/esign/certificates/<ulid:certificate_id>/renew"): {
        "a new personal certificate of the owner": (
        401, 401, 401, 201, 404, 404, 403, 401, 401, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404, 404),
        "a new seal certificate of enterprise A": (
        401, 401, 401, 404, 404, 404, 404, 401, 401, 403, 201, 201, 403, 403, 403, 403, 404, 404, 404, 404, 404, 404),
    },
    ("GET", "/api/v1/esign/detached-signatures/<ulid:request_id>"): {
        "the owner's pending detached signature": _OWNER_ONLY,
    },
    ("POST", "/api/v1/esign/detached-signatures/<ulid:request_id>/code"): {
        "a pending detached signature of the owner": _OWNER_ONLY,
    },
    ("POST", "/api/v1/esign/detached-signatures/<ulid:request_id>/confirm"): {
        "a pending detached signature of the owner": _OWNER_ONLY,
    },
    ("GET", _ENVELOPE): {
        "the owner's envelope to a third citizen": _envelope_row(200),
        "a third citizen's envelope to the owner": _envelope_row(200),
        "the partner's envelope to the owner": _envelope_row(200),
    },
    ("GET", _ENVELOPE + "/document"): {
        "the owner's envelope to a third citizen": _envelope_row(200),
        "a third citizen's envelope to the owner": _envelope_row(200),
    },
    ("POST", _ENVELOPE + "/remind"): {
        "a new envelope of the owner to a third citizen": _envelope_row(200),
        "a new envelope of a third citizen to the owner": _envelope_row(403),
    },
    ("POST", _ENVELOPE + "/decline"): {
        "a new envelope of a third citizen to the owner": _envelope_row(200),
    },
    ("POST", _ENVELOPE + "/sign"): {
        "a new envelope of a third citizen to the owner": _envelope_row(202),
    },
    ("GET", _OPEN_ENVELOPE): {
        "the partner's envelope to the owner": _open_row(200),
        "another partner's envelope to the owner": _open_row(404),
        "the owner's envelope to a third citizen": _open_row(404),
    },
    ("GET", _OPEN_ENVELOPE + "/document"): {
        "the partner's envelope to the owner": _open_row(200),
        "another partner's envelope to the owner": _open_row(404),
    },
    ("POST", _OPEN_ENVELOPE + "/remind"): {
        "the partner's envelope to the owner": _open_row(200),
        "another partner's envelope to the owner": _open_row(404),
    },
})
# A detached signature hidden from the caller answers 404 signing_request_not_found ("未找到该签署请求。",
# from authorize()'s resource type), one that exists nowhere detached_signature_not_found: the
# difference tells a stranger the id exists.
_DETACHED = "/api/v1/esign/detached-signatures/<ulid:request_id>"

# -- one-stop services (issue 27) -------------------------------------------------------------
# Matters and bundles are public. Appointments, cases and ratings are their owner's
# (one_stop:book, one_stop:apply, one_stop:evaluate: the live grant names none of them, so
# the delegate acting under it is refused, 403). A bundle is applied for by anyone at level
# 2 for whom they act. An enterprise's benefit offers are read like the enterprise
# (enterprise:read) and confirmed by its legal representative (one_stop:benefits). The
# staff routes take an operator's token; benefits take a policy editor's (operator: 403).
from tests.support.one_stop import matter_body, shift_appointment  # noqa: E402

_os_codes = itertools.count(1)
_OS = "/api/v1/one-stop"
_OS_ADMIN = "/api/v1/admin/one-stop"


def _os_matter(world: World) -> dict:
    answer = world.client.post(f"{_OS_ADMIN}/matters", headers=world.headers["staff"],
                               json=matter_body(code=f"MX-{next(_os_codes):05d}", slot_capacity=5))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def _os_appointment(world: World, *, today: bool = False, checked_in: bool = False) -> str:
    """A new appointment of the owner (for a new matter: one booking per matter)."""
    from nanhaitong.timeutil import china_today

    matter, owner = _os_matter(world), world.people["owner"]
    slots = world.client.get(f"{_OS}/slots", query_string={"centre": "guicheng", "matter_id": matter["id"],
                                                           "days": 2}).get_json()["items"]
    answer = owner.post(f"{_OS}/appointments", json={"centre": "guicheng", "matter_id": matter["id"],
                                                     "day": slots[0]["day"], "start": slots[0]["start"]})
    assert answer.status_code == 201, answer.get_json()
    appointment_id = answer.get_json()["id"]
    world.ids["os_other_slot"] = f"{slots[1]['day']} {slots[1]['start']}"
    world.ids["os_payload"] = owner.get(f"{_OS}/appointments/{appointment_id}/checkin-qr").get_json()["payload"]
    if today or checked_in:
        shift_appointment(world.app, appointment_id, china_today().isoformat())
    if checked_in:
        scanned = world.client.post(f"{_OS_ADMIN}/centres/guicheng/check-ins", headers=world.headers["staff"],
                                    json={"payload": world.ids["os_payload"]})
        assert scanned.status_code == 200, scanned.get_json()
    return appointment_id


def _os_case(world: World, *, closed: bool = False, rated: int | None = None, answered: bool = False) -> str:
    """A new counter case of the owner; closed, rated, its follow-up answered, as asked."""
    staff, owner = world.people["staff"], world.people["owner"]
    answer = staff.post(f"{_OS_ADMIN}/cases", json={"matter_id": _os_matter(world)["id"], "centre": "guicheng",
                                                    "applicant_phone": owner.phone})
    assert answer.status_code == 201, answer.get_json()
    case_id = answer.get_json()["id"]
    if closed or rated:
        assert staff.post(f"{_OS_ADMIN}/cases/{case_id}/status", json={"status": "completed"}).status_code == 200
    if rated:
        rating = owner.post(f"{_OS}/cases/{case_id}/evaluation", json={"level": rated})
        assert rating.status_code == 201, rating.get_json()
        world.ids["os_followup"] = (rating.get_json()["followup"] or {}).get("id", "")
        if answered:
            done = staff.post(f"{_OS_ADMIN}/followups/{world.ids['os_followup']}/answer", json={"answer": "已整改"})
            assert done.status_code == 200, done.get_json()
    return case_id


def _os_bundle(world: World) -> str:
    def make() -> str:
        codes = [_os_matter(world)["code"] for _ in range(2)]
        answer = world.people["staff"].post(f"{_OS_ADMIN}/bundles", json={
            "code": f"MB-{next(_os_codes):05d}", "name": "测试一件事", "description": "一表申请",
            "matter_codes": codes, "fields": [{"name": "applicant_name", "label": "申请人", "matters": codes}]})
        assert answer.status_code == 201, answer.get_json()
        return answer.get_json()["id"]

    return _kept(world, "os_bundle", make)


def _os_offer(world: World) -> dict:
    """A new benefit for everyone (a published policy with no rules), and enterprise A's offer."""
    from sqlalchemy import select

    from nanhaitong import db
    from nanhaitong.kernel import Principal
    from nanhaitong.one_stop import benefits
    from nanhaitong.one_stop.models import BenefitOffer

    editor = Principal(kind="staff", account_id="matrix-editor", session_id="-", audience="staff",
                       assurance_level=1, role="policy_editor")
    policy_id = make_policy(world.app)
    with world.app.test_request_context():
        benefit, _ = benefits.create_benefit(editor, policy_id, 100_000)
        offer_id = db.session().execute(select(BenefitOffer.id).where(
            BenefitOffer.benefit_id == benefit.id, BenefitOffer.enterprise_id == world.ids["A"])).scalar_one()
    world.ids["os_offer"] = offer_id
    return {"enterprise_id": world.ids["A"], "offer_id": offer_id, "benefit_id": benefit.id}


def _os_confirmation_code(world: World) -> dict:
    """The code texted to A's legal representative for the offer just made."""
    lr = world.people["lr_A"]
    sent = lr.post(f"/api/v1/enterprises/{world.ids['A']}/benefit-offers/{world.ids['os_offer']}/sms-codes")
    assert sent.status_code == 200, sent.get_json()
    return {"code": read_code(world.app, lr.phone)}


def _os_kept_matter(world: World) -> str:
    def make() -> str:
        matter = _os_matter(world)
        world.ids["os_matter_code"] = matter["code"]
        return matter["id"]

    return _kept(world, "os_matter", make)


OBJECTS.update({
    "an active matter": lambda w: {"matter_id": _os_kept_matter(w)},
    "a bundle": lambda w: {"bundle_id": _os_bundle(w)},
    "the owner's appointment": lambda w: {"appointment_id": _kept(w, "os_appointment", lambda: _os_appointment(w))},
    "a new appointment of the owner": lambda w: {"appointment_id": _os_appointment(w)},
    "the guicheng centre, with the owner's appointment today": lambda w: {
        "centre_code": "guicheng", "appointment_id": _os_appointment(w, today=True)},
    "a checked-in appointment of the owner": lambda w: {"appointment_id": _os_appointment(w, checked_in=True)},
    "the owner's case": lambda w: {"case_id": _kept(w, "os_case", lambda: _os_case(w))},
    "a new case of the owner": lambda w: {"case_id": _os_case(w)},
    "the owner's rated case": lambda w: {"case_id": _kept(w, "os_rated_case", lambda: _os_case(w, rated=4))},
    "a new closed case of the owner": lambda w: {"case_id": _os_case(w, closed=True)},
    "a new badly rated case of the owner, answered": lambda w: {"case_id": _os_case(w, rated=1, answered=True)},
    "a new follow-up": lambda w: {"followup_id": (_os_case(w, rated=2), w.ids["os_followup"])[1]},
    "a benefit": lambda w: {"benefit_id": new_id()},
    "enterprise A's new benefit offer": _os_offer,
    "a benefit offered to enterprise A": lambda w: {"enterprise_id": w.ids["A"], "benefit_id": _kept(
        w, "os_benefit", lambda: _os_offer(w)["benefit_id"])},
})
BODIES.update({
    ("PUT", f"{_OS_ADMIN}/matters/<ulid:matter_id>"): lambda w: matter_body(code=w.ids["os_matter_code"]),
    ("POST", f"{_OS_ADMIN}/matters/<ulid:matter_id>/status"): lambda w: {"status": "active"},
    ("POST", f"{_OS_ADMIN}/centres/<centre_code>/check-ins"): lambda w: {"payload": w.ids["os_payload"]},
    ("POST", f"{_OS_ADMIN}/appointments/<ulid:appointment_id>/case"): lambda w: {},
    ("POST", f"{_OS_ADMIN}/cases/<ulid:case_id>/status"): lambda w: {"status": "completed"},
    ("POST", f"{_OS_ADMIN}/followups/<ulid:followup_id>/answer"): lambda w: {"answer": "已优化流程"},
    ("POST", f"{_OS}/appointments/<ulid:appointment_id>/change"): lambda w: dict(zip(
        ("day", "start"), w.ids["os_other_slot"].split(" "))),
    ("POST", f"{_OS}/cases/<ulid:case_id>/evaluation"): lambda w: {"level": 5},
    ("POST", f"{_OS}/cases/<ulid:case_id>/evaluation/appraisal"): lambda w: {"appraisal": "satisfied"},
    ("POST", f"{_OS}/bundles/<ulid:bundle_id>/applications"): lambda w: {"answers": {"applicant_name": "李南"}},
    ("POST", "/api/v1/enterprises/<ulid:enterprise_id>/benefit-offers/<ulid:offer_id>/confirm"): _os_confirmation_code,
})


def _os_staff(status: int) -> tuple[int, ...]:
    return (401, 401, status) + (401,) * 19


def _owner_only(status: int) -> tuple[int, ...]:
    return (401, 401, 401, status, 404, 404, 403, 401, 401) + (404,) * 13


MATRIX.update({
    #   anon part staf ownr othr dlg  dLiv dExp dRev eDlg lrA  lrA@ adA  adA@ hdA  hdA@ lrB  lrB@ adB  adB@ hdB  hdB@
    ("GET", f"{_OS}/matters/<ulid:matter_id>"): {"an active matter": (200,) * 22},
    ("GET", f"{_OS}/bundles/<ulid:bundle_id>"): {"a bundle": (200,) * 22},
    ("POST", f"{_OS}/bundles/<ulid:bundle_id>/applications"): {"a bundle": (
        401, 401, 401, 201, 201, 201, 403, 401, 401, 403, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201, 201)},
    ("GET", f"{_OS}/appointments/<ulid:appointment_id>"): {"the owner's appointment": _owner_only(200)},
    ("GET", f"{_OS}/appointments/<ulid:appointment_id>/checkin-qr"): {"the owner's appointment": _owner_only(200)},
    ("POST", f"{_OS}/appointments/<ulid:appointment_id>/change"): {"a new appointment of the owner": _owner_only(200)},
    ("POST", f"{_OS}/appointments/<ulid:appointment_id>/cancel"): {"a new appointment of the owner": _owner_only(200)},
    ("GET", f"{_OS}/cases/<ulid:case_id>"): {"the owner's case": _owner_only(200)},
    ("GET", f"{_OS}/cases/<ulid:case_id>/evaluation"): {"the owner's rated case": _owner_only(200)},
    ("POST", f"{_OS}/cases/<ulid:case_id>/evaluation"): {"a new closed case of the owner": _owner_only(201)},
    ("POST", f"{_OS}/cases/<ulid:case_id>/evaluation/appraisal"): {
        "a new badly rated case of the owner, answered": _owner_only(200)},
    ("PUT", f"{_OS_ADMIN}/matters/<ulid:matter_id>"): {"an active matter": _os_staff(200)},
    ("POST", f"{_OS_ADMIN}/matters/<ulid:matter_id>/status"): {"an active matter": _os_staff(200)},
    ("POST", f"{_OS_ADMIN}/centres/<centre_code>/check-ins"): {
        "the guicheng centre, with the owner's appointment today": _os_staff(200)},
    ("POST", f"{_OS_ADMIN}/appointments/<ulid:appointment_id>/case"): {
        "a checked-in appointment of the owner": _os_staff(201)},
    ("GET", f"{_OS_ADMIN}/cases/<ulid:case_id>"): {"the owner's case": _os_staff(200)},
    ("POST", f"{_OS_ADMIN}/cases/<ulid:case_id>/status"): {"a new case of the owner": _os_staff(200)},
    ("POST", f"{_OS_ADMIN}/followups/<ulid:followup_id>/answer"): {"a new follow-up": _os_staff(200)},
    ("POST", f"{_OS_ADMIN}/benefits/<ulid:benefit_id>/offers"): {"a benefit": (401, 401, 403) + (401,) * 19},
    ("GET", "/api/v1/enterprises/<ulid:enterprise_id>/benefit-offers"): {"enterprise A": (
        401, 401, 401, 404, 404, 404, 404, 401, 401, 200, 200, 200, 200, 200, 200, 200, 404, 404, 404, 404, 404, 404)},
    ("GET", "/api/v1/enterprises/<ulid:enterprise_id>/benefits/<ulid:benefit_id>/eligibility"): {
        "a benefit offered to enterprise A": (
        401, 401, 401, 404, 404, 404, 404, 401, 401, 200, 200, 200, 200, 200, 200, 200, 404, 404, 404, 404, 404, 404)},
    ("POST", "/api/v1/enterprises/<ulid:enterprise_id>/benefit-offers/<ulid:offer_id>/sms-codes"): {
        "enterprise A's new benefit offer": (
        401, 401, 401, 404, 404, 404, 404, 401, 401, 403, 200, 200, 403, 403, 403, 403, 404, 404, 404, 404, 404, 404)},
    ("POST", "/api/v1/enterprises/<ulid:enterprise_id>/benefit-offers/<ulid:offer_id>/confirm"): {
        "enterprise A's new benefit offer": (
        401, 401, 401, 404, 404, 404, 404, 401, 401, 403, 200, 200, 403, 403, 403, 403, 404, 404, 404, 404, 404, 404)},
})

# -- privacy (issue 23) ---------------------------------------------------------------------
# Personal-information rights are the person's own: with a personal token each citizen
# reaches their own (another's export is 404); a token acting for an enterprise or under a
# grant is refused (privacy:manage: no role holds it, no grant carries it).


def _published_terms(world: World) -> dict:
    from nanhaitong import db
    from nanhaitong.privacy.models import LegalDocument

    with world.app.app_context():  # a correction nobody need agree to: other cells stay open
        if db.session().query(LegalDocument).count() == 0:
            db.session().add(LegalDocument(kind="terms", version=1, title="南海通用户服务协议", body="协议正文",
                                           requires_agreement=False, published_by="staff:matrix"))
            db.session().commit()
    return {"kind": "terms"}


def _owner_partner_consent(world: World) -> dict:
    from nanhaitong import db
    from nanhaitong.authorizations.service import create_partner_consent

    partner_id = _make_partner(world.app)
    with world.app.app_context():
        grant = create_partner_consent(world.ids["owner"], partner_id, ["profile:read"], "矩阵测试")
        db.session().commit()
        return {"grant_id": grant.id}


def _owner_export(world: World) -> dict:
    import base64
    from datetime import timedelta

    from nanhaitong import db
    from nanhaitong.privacy.models import DataExport
    from nanhaitong.timeutil import utcnow

    if "owner_export" not in world.ids:
        with world.app.app_context():
            row = DataExport(user_id=world.ids["owner"], status="ready", progress=100,
                             archive=base64.b64encode(b"PK\x05\x06" + bytes(18)).decode(), confirmed_at=utcnow(),
                             ready_at=utcnow(), expires_at=utcnow() + timedelta(days=7))
            db.session().add(row)
            db.session().commit()
            world.ids["owner_export"] = row.id
    return {"export_id": world.ids["owner_export"]}


OBJECTS.update({
    "the published terms": _published_terms,
    "the marketing consent": lambda w: {"name": "marketing"},
    "a new partner consent of the owner": _owner_partner_consent,
    "the owner's data export": _owner_export,
})
BODIES.update({
    ("POST", "/api/v1/me/data-exports/<ulid:export_id>/confirmation"): lambda w: {"code": step_up_code(w, "owner")},
})
_EACH_THEIR_OWN = (
    401, 401, 401, 200, 200, 200, 403, 401, 401, 403, 200, 403, 200, 403, 200, 403, 200, 403, 200, 403, 200, 403)
_OWNER_PERSONALLY = (
    401, 401, 401, 200, 404, 404, 403, 401, 401, 403, 404, 403, 404, 403, 404, 403, 404, 403, 404, 403, 404, 403)
MATRIX.update({
    ("GET", "/api/v1/legal-documents/<any(terms, privacy_policy):kind>"): {"the published terms": (200,) * 22},
    ("PUT", "/api/v1/me/consents/<any(policy_push, marketing):name>"): {"the marketing consent": _EACH_THEIR_OWN},
    ("DELETE", "/api/v1/me/consents/<any(policy_push, marketing):name>"): {"the marketing consent": _EACH_THEIR_OWN},
    ("DELETE", "/api/v1/me/consents/partners/<ulid:grant_id>"): {
        "a new partner consent of the owner": _OWNER_PERSONALLY},
    ("GET", "/api/v1/me/data-exports/<ulid:export_id>"): {"the owner's data export": _OWNER_PERSONALLY},
    ("GET", "/api/v1/me/data-exports/<ulid:export_id>/archive"): {"the owner's data export": _OWNER_PERSONALLY},
    ("POST", "/api/v1/me/data-exports/<ulid:export_id>/confirmation"): {"the owner's data export": _OWNER_PERSONALLY},
})


ERROR_KEYS = {"code", "message", "details", "request_id"}


def path_of(rule: str, params: dict) -> str:
    return re.sub(r"<(?:[^:<>]+:)?([^<>]+)>", lambda m: params[m.group(1)], rule)


def object_routes(app):
    """(method, rule) of every API route with a path parameter."""
    for rule in app.url_map.iter_rules():
        if not rule.arguments or rule.endpoint in NOT_API_ENDPOINTS or rule.endpoint.startswith(NOT_API_PREFIXES):
            continue
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            yield method, rule.rule


def check_cell(world: World, route: tuple[str, str], obj: str, caller: str, expected: int) -> str | None:
    """Make the request; return what is wrong with the answer, or None."""
    method, rule = route
    body_of = BODIES.get(route)
    answer = world.request(method, path_of(rule, OBJECTS[obj](world)), body_of(world) if body_of else None, caller)
    where = f"{method} {rule} [{obj}] as {caller}"
    payload = answer.get_json(silent=True)
    if answer.status_code != expected:
        return f"{where}: {answer.status_code} (expected {expected}) {payload}"
    if expected >= 400:
        if not (isinstance(payload, dict) and set(payload) == ERROR_KEYS):
            return f"{where}: not the one error shape: {payload}"
        if expected == 401 and not answer.headers.get("WWW-Authenticate", "").startswith("Bearer"):
            return f"{where}: 401 without WWW-Authenticate"
    if expected == 404:
        # Hidden reads like missing: the same answer as for ids that exist nowhere.
        params = {name: NO_SUCH_ID for name in re.findall(r"<(?:[^:<>]+:)?([^<>]+)>", rule)}
        missing = world.request(method, path_of(rule, params), body_of(world) if body_of else None, caller)
        theirs = missing.get_json(silent=True) or {}
        if missing.status_code != 404 or (theirs.get("code"), theirs.get("message")) != (
                payload["code"], payload["message"]):
            return f"{where}: the 404 differs from a missing id's {missing.status_code} {theirs}: {payload}"
    return None


# Building the world takes a few dozen API calls, so it is built once for the module and
# its database restored for every test, under a fresh app (new sandbox, empty Redis): each
# test starts from the same world, whatever another test did to its own. Its tokens
# outlive the module's run however slow the machine.
MATRIX_SETTINGS = {**APP_SETTINGS, "ACCESS_TOKEN_TTL_SECONDS": 3600}


@pytest.fixture
def app(make_app):
    return make_app(**MATRIX_SETTINGS)


@pytest.fixture(scope="module")
def built_world(database_template, _cleanup_engine, secrets_dir, tmp_path_factory):
    directory = tmp_path_factory.mktemp("matrix-world")
    url, server = empty_database(database_template, _cleanup_engine, directory), LiveServer()
    app = create_app(app_settings(url, empty_redis(), secrets_dir, server, **MATRIX_SETTINGS))
    server.start(app)
    try:
        client = app.test_client()
        world = build_world(app, client, sign_in_with(app, client), server)
        snapshot = DatabaseSnapshot(url, directory, "matrix")
    finally:
        server.stop()
        app.extensions["nht.engine"].dispose()
    yield world, snapshot
    snapshot.drop()


@pytest.fixture
def world(built_world, database_url, make_app) -> World:
    built, snapshot = built_world
    snapshot.restore(database_url)
    app = make_app(**MATRIX_SETTINGS)
    client = app.test_client()
    people = {name: Citizen(client, app, who.phone, who.tokens) for name, who in built.people.items()}
    return World(app, client, headers=dict(built.headers), ids=dict(built.ids), people=people)


# -- the tests ------------------------------------------------------------------------------

def test_the_matrix_is_well_formed():
    for route, objects in MATRIX.items():
        assert objects, route
        for obj, row in objects.items():
            assert len(row) == len(CALLERS), (route, obj, len(row))
            assert obj in OBJECTS, obj
            assert all(status in (200, 201, 202, 204, 401, 403, 404) for status in row), (route, obj)
    for method, rule, obj, caller in BUGS:
        assert obj in MATRIX[(method, rule)] and caller in CALLERS


def test_every_object_route_is_in_the_matrix(app):
    present = set(object_routes(app))
    missing = sorted(present - set(MATRIX))
    assert not missing, f"object-bearing routes missing from the access matrix: {missing}"
    stale = sorted(set(MATRIX) - present)
    assert not stale, f"matrix rows for routes that no longer exist: {stale}"


def test_a_new_object_route_is_caught(app):
    # What the check above would say of a domain that adds a route and forgets the matrix.
    from flask.views import MethodView

    from nanhaitong.api import Blueprint

    blp = Blueprint("widgets", __name__, url_prefix="/api/v1/widgets")

    @blp.route("/<widget_id>")
    class Widget(MethodView):
        @blp.login_required("citizen")
        @blp.response(204)
        def delete(self, widget_id):
            """Remove a widget."""

    app.extensions["nht.api"].register_blueprint(blp)
    assert set(object_routes(app)) - set(MATRIX) == {("DELETE", "/api/v1/widgets/<widget_id>")}


@pytest.mark.parametrize("route", sorted(MATRIX), ids=lambda route: f"{route[0]} {route[1]}")
def test_access_matrix(world, route):
    problems = []
    for obj, row in MATRIX[route].items():
        for caller, expected in zip(CALLERS, row):
            if (*route, obj, caller) in BUGS:
                continue
            problem = check_cell(world, route, obj, caller, expected)
            if problem:
                problems.append(problem)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("cell", [
    pytest.param(cell, marks=pytest.mark.xfail(strict=True, reason=reason), id=f"{cell[0]} {cell[1]} as {cell[3]}")
    for cell, reason in BUGS.items()
])
def test_known_bug_cells(world, cell):
    method, rule, obj, caller = cell
    expected = MATRIX[(method, rule)][obj][CALLERS.index(caller)]
    problem = check_cell(world, (method, rule), obj, caller, expected)
    assert problem is None, problem
