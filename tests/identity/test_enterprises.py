"""Registering an enterprise against the registry, and reading one's enterprises.

The helpers at the top are shared by test_members.py and test_act_as.py.
"""

from __future__ import annotations

import json

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from integrations.sandbox.demo_data import CITIZENS, ENTERPRISES_BY_USCC
from nanhaitong import db
from nanhaitong.audit.models import AuditEvent
from nanhaitong.identity.models import Enterprise, EnterpriseMember, User
from nanhaitong.timeutil import utcnow
from schemas.identity_numbers import org_code_check_char, uscc_check_char

from .conftest import assert_error

CHEN, LIANG, HUANG, LI, HE, OU = CITIZENS  # see integrations/sandbox/demo_data.py
GUICHENG = "91440605MA4UJ2K83Y"  # active, legal representative 陈家豪 (CHEN)
SHISHAN = "914406057321746127"  # active, 黄志强 (HUANG)
DALI_REVOKED = "91440605MA51QP3R7B"  # revoked, 何俊杰 (HE)
DANZAO = "91440605MA53C7HT9N"  # active, 梁雅婷 (LIANG)
_UNKNOWN_17 = "91440605MA4UJ2K9" + org_code_check_char("MA4UJ2K9")  # with its organisation-code check
UNKNOWN_USCC = _UNKNOWN_17 + uscc_check_char(_UNKNOWN_17)  # valid, not at the registry
STRANGER_PHONE = "13900139000"  # signs in, never verifies


def verified(sign_in, person):
    """Sign a demo citizen in and verify their real name (assurance level 2)."""
    citizen = sign_in(person.phone)
    answer = citizen.post("/api/v1/me/real-name-verification", json={"name": person.name, "id_number": person.id_number})
    assert answer.status_code == 200 and answer.get_json()["assurance_level"] == 2, answer.get_json()
    return citizen


def register(citizen, uscc: str = GUICHENG):
    return citizen.post("/api/v1/enterprises", json={"uscc": uscc})


def registered(citizen, uscc: str = GUICHENG) -> str:
    answer = register(citizen, uscc)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()["id"]


def user_id(citizen) -> str:
    return citizen.get("/api/v1/me").get_json()["id"]


def audit_events(app, action: str) -> list[AuditEvent]:
    with app.app_context():
        return db.session().execute(
            select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.seq)).scalars().all()


def assert_no_personal_data(event: AuditEvent, *people) -> None:
    text = json.dumps([event.details, event.object_id, event.actor, event.on_behalf_of], ensure_ascii=False)
    for person in people:
        assert person.id_number not in text and person.phone not in text and person.name not in text, text


# -- registration ---------------------------------------------------------------------

def test_legal_representative_registers_a_demo_enterprise(app, sign_in):
    chen = verified(sign_in, CHEN)
    answer = register(chen)
    assert answer.status_code == 201, answer.get_json()
    body = answer.get_json()
    demo = ENTERPRISES_BY_USCC[GUICHENG]
    assert body["uscc"] == GUICHENG and body["name"] == demo.name
    assert (body["industry_code"], body["town"], body["size"], body["registered_on"]) == (
        demo.industry_code, demo.town, demo.size, demo.registered_on)
    assert body["role"] == "legal_representative" and body["verified_at"].endswith("Z")
    assert len(body["id"]) == 26 and body["id"] != GUICHENG

    assert chen.get(f"/api/v1/enterprises/{body['id']}").get_json() == body
    listed = chen.get("/api/v1/enterprises").get_json()
    assert listed == {"enterprises": [body], "next_cursor": None}
    me = chen.get("/api/v1/me").get_json()
    assert me["enterprises"] == [{"id": body["id"], "name": demo.name, "uscc": GUICHENG, "role": "legal_representative"}]

    [event] = audit_events(app, "enterprise.registration")
    assert (event.result, event.object_type, event.object_id) == ("success", "enterprise", body["id"])
    assert event.actor == f"citizen:{me['id']}" and event.on_behalf_of == f"enterprise:{body['id']}"
    assert_no_personal_data(event, CHEN)


def test_registering_again_is_idempotent_for_its_legal_representative(app, sign_in):
    chen = verified(sign_in, CHEN)
    first = register(chen)
    again = register(chen, GUICHENG.lower())  # normalised by the schema
    assert first.status_code == 201 and again.status_code == 200
    assert again.get_json() == first.get_json()
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Enterprise)) == 1
        assert db.session().scalar(select(func.count()).select_from(EnterpriseMember)) == 1
    assert [e.result for e in audit_events(app, "enterprise.registration")] == ["success", "success"]


def test_someone_else_cannot_register_an_enterprise(app, sign_in):
    li = verified(sign_in, LI)  # a demo citizen who is nobody's legal representative
    assert_error(register(li), 403, "not_legal_representative")
    liang = verified(sign_in, LIANG)  # the legal representative of another enterprise
    assert_error(register(liang), 403, "not_legal_representative")
    with app.app_context():
        assert db.session().scalar(select(func.count()).select_from(Enterprise)) == 0
    events = audit_events(app, "enterprise.registration")
    assert [(e.result, json.loads(e.details)["reason"]) for e in events] == [
        ("denied", "not_legal_representative"), ("denied", "not_legal_representative")]
    for event in events:
        assert_no_personal_data(event, LI, LIANG, CHEN)


def test_an_enterprise_registered_by_its_legal_representative_is_refused_to_others(app, sign_in):
    registered(verified(sign_in, CHEN))
    li = verified(sign_in, LI)
    assert_error(register(li), 409, "enterprise_already_registered")
    assert li.get("/api/v1/enterprises").get_json()["enterprises"] == []


def test_registration_needs_real_name_verification(sign_in):
    chen = sign_in(CHEN.phone)  # level 1
    body = assert_error(register(chen), 403, "assurance_level_required")
    assert body["details"] == {"required": 2, "current": 1}


@pytest.mark.parametrize("uscc", [
    GUICHENG[:-1] + ("X" if GUICHENG[-1] != "X" else "W"),  # wrong check character
    "91440605MA4UJ2K83",  # too short
    "",
    "Z1440605MA4UJ2K83Y",  # unknown registration authority
])
def test_an_invalid_code_is_422_naming_uscc(sign_in, uscc):
    chen = verified(sign_in, CHEN)
    body = assert_error(register(chen, uscc), 422, "validation_failed")
    assert set(body["details"]["fields"]) == {"uscc"}


def test_a_code_unknown_to_the_registry_is_422(app, sign_in):
    chen = verified(sign_in, CHEN)
    body = assert_error(register(chen, UNKNOWN_USCC), 422, "enterprise_not_registered")
    assert set(body["details"]["fields"]) == {"uscc"}
    [event] = audit_events(app, "enterprise.registration")
    assert event.result == "failure" and json.loads(event.details) == {
        "uscc": UNKNOWN_USCC, "reason": "enterprise_not_registered"}


def test_a_revoked_enterprise_cannot_be_registered(sign_in):
    he = verified(sign_in, HE)
    body = assert_error(register(he, DALI_REVOKED), 409, "enterprise_not_active")
    assert body["details"] == {"status": "revoked"}
    assert he.get("/api/v1/enterprises").get_json()["enterprises"] == []


def test_registry_trouble_is_a_503_and_audited(app, sign_in):
    chen = verified(sign_in, CHEN)
    fault = requests.post(f"{app.config['SANDBOX_URL']}/_control/faults", timeout=5,
                          json={"path_prefix": "/ysst/", "status": 503, "times": 3})  # the call and its 2 retries
    assert fault.status_code in (200, 201), fault.text
    body = assert_error(register(chen), 503, "upstream_unavailable")
    assert body["details"]["upstream"] == "enterprise registry"
    [event] = audit_events(app, "enterprise.registration")
    assert event.result == "failure" and json.loads(event.details)["reason"] == "upstream_unavailable"
    assert register(chen).status_code == 201  # the registry is back


def test_registration_is_a_personal_act_not_one_while_acting_for_an_enterprise(app, sign_in, client):
    chen = verified(sign_in, CHEN)
    enterprise_id = registered(chen)
    pair = chen.post("/api/v1/auth/act-as", json={"enterprise_id": enterprise_id}).get_json()
    acting = {"Authorization": f"Bearer {pair['access_token']}"}
    answer = client.post("/api/v1/enterprises", json={"uscc": GUICHENG}, headers=acting)
    assert_error(answer, 403, "personal_context_required")
    refused = audit_events(app, "enterprise.registration")[-1]
    assert refused.result == "denied" and json.loads(refused.details)["reason"] == "personal_context_required"
    assert refused.on_behalf_of == f"enterprise:{enterprise_id}"


class _RacingRegistry:
    """The registry lookup, during which another request registers the same code first."""

    def __init__(self, real, app, winner_user_id: str | None):
        self.real, self.app, self.winner_user_id = real, app, winner_user_id

    def lookup_enterprise(self, uscc):
        record = self.real.lookup_enterprise(uscc)
        with Session(self.app.extensions["nht.engine"]) as other:
            enterprise = Enterprise(uscc=record.uscc, name=record.name, verified_at=utcnow())
            other.add(enterprise)
            other.flush()
            if self.winner_user_id:
                other.add(EnterpriseMember(enterprise_id=enterprise.id, user_id=self.winner_user_id,
                                           role="legal_representative"))
            other.commit()
        return record


# A request holds no lock until its first write (nanhaitong/db.py), so on either backend
# another writer can register the enterprise while the registry is being asked.
def test_losing_a_registration_race_to_someone_else_is_409_not_500(app, sign_in, monkeypatch):
    chen = verified(sign_in, CHEN)
    with app.app_context():
        other_user = User(phone="13700137000", phone_index="x" * 64)
        db.session().add(other_user)
        db.session().commit()
        other_id = other_user.id
    clients = app.extensions["nht.clients"]
    monkeypatch.setattr(clients, "yueshangtong", _RacingRegistry(clients.yueshangtong, app, other_id))
    assert_error(register(chen), 409, "enterprise_already_registered")
    assert [e.result for e in audit_events(app, "enterprise.registration")] == ["denied"]


def test_losing_a_registration_race_to_ones_own_double_submit_is_200(app, sign_in, monkeypatch):
    chen = verified(sign_in, CHEN)
    clients = app.extensions["nht.clients"]
    monkeypatch.setattr(clients, "yueshangtong", _RacingRegistry(clients.yueshangtong, app, user_id(chen)))
    answer = register(chen)
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["role"] == "legal_representative"


# -- reading --------------------------------------------------------------------------

def test_an_enterprise_is_404_to_non_members(sign_in):
    chen = verified(sign_in, CHEN)
    enterprise_id = registered(chen)
    stranger = sign_in(STRANGER_PHONE)
    for path in (f"/api/v1/enterprises/{enterprise_id}", f"/api/v1/enterprises/{enterprise_id}/members"):
        assert_error(stranger.get(path), 404, "enterprise_not_found")
    assert_error(chen.get("/api/v1/enterprises/01J0000000000000000000000X"), 404, "enterprise_not_found")
    assert stranger.get("/api/v1/enterprises").get_json() == {"enterprises": [], "next_cursor": None}


def test_enterprise_routes_need_a_token(client):
    assert_error(client.get("/api/v1/enterprises"), 401, "missing_token")
    assert_error(client.post("/api/v1/enterprises", json={"uscc": GUICHENG}), 401, "missing_token")


def test_the_list_pages_with_a_cursor(sign_in):
    chen = verified(sign_in, CHEN)
    guicheng = registered(chen)
    liang = verified(sign_in, LIANG)
    danzao = registered(liang, DANZAO)
    assert liang.post(f"/api/v1/enterprises/{danzao}/members",
                      json={"phone": CHEN.phone, "role": "handler"}).status_code == 201

    first = chen.get("/api/v1/enterprises?limit=1").get_json()
    assert [e["id"] for e in first["enterprises"]] == [guicheng] and first["next_cursor"]
    second = chen.get(f"/api/v1/enterprises?limit=1&cursor={first['next_cursor']}").get_json()
    assert [(e["id"], e["role"]) for e in second["enterprises"]] == [(danzao, "handler")]
    assert second["next_cursor"] is None
    whole = chen.get("/api/v1/enterprises").get_json()
    assert [e["id"] for e in whole["enterprises"]] == [guicheng, danzao] and whole["next_cursor"] is None
    assert_error(chen.get("/api/v1/enterprises?limit=0"), 422, "validation_failed")
    assert_error(chen.get("/api/v1/enterprises?limit=101"), 422, "validation_failed")
