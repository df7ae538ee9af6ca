"""Enterprise members: who may list, add and remove them, and the one legal representative."""

from __future__ import annotations

import json

import pytest

from tests.support.audit import assert_no_personal_data, audit_rows
from tests.support.citizens import CHEN, HUANG, LI, LIANG, OU, STRANGER_PHONE, user_id, verified
from tests.support.enterprises import DANZAO, registered
from tests.support.errors import assert_error


def members_path(enterprise_id: str) -> str:
    return f"/api/v1/enterprises/{enterprise_id}/members"


def add(actor, enterprise_id: str, role: str = "handler", **grantee):
    return actor.post(members_path(enterprise_id), json={"role": role, **grantee})


def remove(actor, enterprise_id: str, member_user_id: str):
    return actor.delete(f"{members_path(enterprise_id)}/{member_user_id}")


@pytest.fixture
def guicheng(sign_in):
    """陈家豪's enterprise: (legal representative, enterprise id)."""
    chen = verified(sign_in, CHEN)
    return chen, registered(chen)


def test_legal_representative_adds_by_phone_and_by_user_id_and_lists_masked(app, sign_in, guicheng):
    chen, enterprise_id = guicheng
    li = sign_in(LI.phone)  # a registered citizen, not yet verified
    huang = verified(sign_in, HUANG)

    added = add(chen, enterprise_id, "handler", phone=LI.phone)
    assert added.status_code == 201, added.get_json()
    assert added.get_json()["user_id"] == user_id(li) and added.get_json()["role"] == "handler"
    assert added.get_json()["phone"] == "138****8004" and added.get_json()["real_name"] is None
    by_id = add(chen, enterprise_id, "admin", user_id=user_id(huang))
    assert by_id.status_code == 201 and by_id.get_json()["real_name"] == "黄**"

    listed = chen.get(members_path(enterprise_id)).get_json()
    assert listed["next_cursor"] is None
    assert [(m["user_id"], m["role"], m["phone"], m["real_name"]) for m in listed["members"]] == [
        (user_id(chen), "legal_representative", "138****8001", "陈**"),
        (user_id(li), "handler", "138****8004", None),
        (user_id(huang), "admin", "138****8003", "黄**"),
    ]
    assert all(m["added_at"].endswith("Z") for m in listed["members"])
    body = json.dumps(listed, ensure_ascii=False)
    for person in (CHEN, LI, HUANG):
        assert person.phone not in body and person.name not in body

    # the handler sees the enterprise and its members
    assert li.get(f"/api/v1/enterprises/{enterprise_id}").get_json()["role"] == "handler"
    assert li.get(members_path(enterprise_id)).get_json() == listed
    page = chen.get(members_path(enterprise_id) + "?limit=2").get_json()
    assert len(page["members"]) == 2 and page["next_cursor"]
    rest = chen.get(members_path(enterprise_id) + f"?limit=2&cursor={page['next_cursor']}").get_json()
    assert [m["user_id"] for m in rest["members"]] == [user_id(huang)] and rest["next_cursor"] is None

    events = audit_rows(app, "enterprise.member_added")
    assert [(e.object_id, json.loads(e.details)) for e in events] == [
        (user_id(li), {"role": "handler"}), (user_id(huang), {"role": "admin"})]
    for event in events:
        assert event.actor == f"citizen:{user_id(chen)}" and event.on_behalf_of == f"enterprise:{enterprise_id}"
        assert_no_personal_data(event, CHEN, LI, HUANG)


def test_the_grantee_must_have_an_account(guicheng):
    chen, enterprise_id = guicheng
    body = assert_error(add(chen, enterprise_id, phone="13900000001"), 422, "grantee_not_registered")
    assert set(body["details"]["fields"]) == {"phone"}
    body = assert_error(add(chen, enterprise_id, user_id="01J0000000000000000000000X"), 422, "grantee_not_registered")
    assert set(body["details"]["fields"]) == {"user_id"}


def test_non_members_get_404_before_any_account_lookup(sign_in, guicheng):
    chen, enterprise_id = guicheng
    outsider = verified(sign_in, LIANG)
    # the same answer whether or not the phone has an account: no oracle for outsiders
    assert_error(add(outsider, enterprise_id, phone="13900000001"), 404, "enterprise_not_found")
    assert_error(add(outsider, enterprise_id, phone=CHEN.phone), 404, "enterprise_not_found")
    assert_error(remove(outsider, enterprise_id, user_id(chen)), 404, "enterprise_not_found")
    assert_error(add(outsider, "01J0000000000000000000000X", phone=CHEN.phone), 404, "enterprise_not_found")


def test_bad_member_bodies_are_422(guicheng):
    chen, enterprise_id = guicheng
    body = assert_error(add(chen, enterprise_id, "legal_representative", phone=LI.phone), 422, "validation_failed")
    assert "法定代表人" in body["details"]["fields"]["role"][0]  # Chinese by default
    assert_error(add(chen, enterprise_id, "owner", phone=LI.phone), 422, "validation_failed")
    assert_error(add(chen, enterprise_id), 422, "validation_failed")  # neither phone nor user_id
    assert_error(add(chen, enterprise_id, phone=LI.phone, user_id="x"), 422, "validation_failed")
    assert_error(add(chen, enterprise_id, phone="12345"), 422, "validation_failed")


def test_adding_an_existing_member_is_409(sign_in, guicheng):
    chen, enterprise_id = guicheng
    sign_in(LI.phone)
    assert add(chen, enterprise_id, phone=LI.phone).status_code == 201
    assert_error(add(chen, enterprise_id, "admin", phone=LI.phone), 409, "member_exists")
    # the legal representative cannot be added again, e.g. as a second role
    assert_error(add(chen, enterprise_id, "admin", phone=CHEN.phone), 409, "member_exists")


def test_a_handler_may_not_manage_members(sign_in, guicheng):
    chen, enterprise_id = guicheng
    ou = verified(sign_in, OU)
    li = sign_in(LI.phone)
    assert add(chen, enterprise_id, "handler", phone=OU.phone).status_code == 201
    assert add(chen, enterprise_id, "handler", phone=LI.phone).status_code == 201
    body = assert_error(add(ou, enterprise_id, phone=HUANG.phone), 403, "member_role_required")
    assert body["details"] == {"action": "members:manage", "roles": ["admin", "legal_representative"]}
    assert_error(remove(ou, enterprise_id, user_id(li)), 403, "member_role_required")
    assert_error(remove(ou, enterprise_id, user_id(ou)), 403, "member_role_required")


def test_managing_members_needs_real_name_verification(sign_in, guicheng):
    chen, enterprise_id = guicheng
    li = sign_in(LI.phone)  # level 1
    assert add(chen, enterprise_id, "admin", phone=LI.phone).status_code == 201
    assert_error(add(li, enterprise_id, phone=OU.phone), 403, "assurance_level_required")


def test_admins_manage_handlers_but_only_the_legal_representative_removes_admins(app, sign_in, guicheng):
    chen, enterprise_id = guicheng
    huang, li, ou = verified(sign_in, HUANG), verified(sign_in, LI), verified(sign_in, OU)
    assert add(chen, enterprise_id, "admin", phone=HUANG.phone).status_code == 201
    assert add(chen, enterprise_id, "admin", phone=LI.phone).status_code == 201

    assert add(huang, enterprise_id, "handler", phone=OU.phone).status_code == 201  # an admin adds
    assert remove(huang, enterprise_id, user_id(ou)).status_code == 204  # and removes a handler
    assert_error(remove(huang, enterprise_id, user_id(li)), 403, "legal_representative_required")
    assert_error(remove(huang, enterprise_id, "01J0000000000000000000000X"), 404, "member_not_found")
    assert_error(remove(huang, enterprise_id, user_id(ou)), 404, "member_not_found")  # already gone
    assert remove(chen, enterprise_id, user_id(li)).status_code == 204  # the legal representative may
    assert remove(huang, enterprise_id, user_id(huang)).status_code == 204  # an admin may leave
    assert_error(huang.get(f"/api/v1/enterprises/{enterprise_id}"), 404, "enterprise_not_found")

    assert [m["role"] for m in chen.get(members_path(enterprise_id)).get_json()["members"]] == [
        "legal_representative"]
    events = audit_rows(app, "enterprise.member_removed")
    assert [(e.actor, e.object_id, json.loads(e.details)["role"]) for e in events] == [
        (f"citizen:{user_id(huang)}", user_id(ou), "handler"),
        (f"citizen:{user_id(chen)}", user_id(li), "admin"),
        (f"citizen:{user_id(huang)}", user_id(huang), "admin"),
    ]
    assert all(e.on_behalf_of == f"enterprise:{enterprise_id}" for e in events)


def test_there_is_always_exactly_one_legal_representative(sign_in, guicheng):
    chen, enterprise_id = guicheng
    huang = verified(sign_in, HUANG)
    assert add(chen, enterprise_id, "admin", phone=HUANG.phone).status_code == 201
    for actor in (huang, chen):  # an admin, or the legal representative themselves
        assert_error(remove(actor, enterprise_id, user_id(chen)), 409, "legal_representative_not_removable")
    assert_error(add(chen, enterprise_id, "legal_representative", phone=LI.phone), 422, "validation_failed")
    roles = [m["role"] for m in chen.get(members_path(enterprise_id)).get_json()["members"]]
    assert roles.count("legal_representative") == 1


def test_a_token_acting_for_one_enterprise_cannot_manage_another(sign_in, client, guicheng):
    chen, guicheng_id = guicheng
    liang = verified(sign_in, LIANG)
    danzao_id = registered(liang, DANZAO)
    assert add(liang, danzao_id, "admin", phone=CHEN.phone).status_code == 201
    sign_in(STRANGER_PHONE)

    # with his personal token 陈家豪 manages both
    assert chen.get(members_path(danzao_id)).status_code == 200
    pair = chen.post("/api/v1/auth/act-as", json={"enterprise_id": guicheng_id}).get_json()
    acting = {"Authorization": f"Bearer {pair['access_token']}"}
    assert_error(client.post(members_path(danzao_id), headers=acting,
                             json={"role": "handler", "phone": STRANGER_PHONE}), 404, "enterprise_not_found")
    assert_error(client.get(members_path(danzao_id), headers=acting), 404, "enterprise_not_found")
    assert_error(client.get(f"/api/v1/enterprises/{danzao_id}", headers=acting), 404, "enterprise_not_found")
    listed = client.get("/api/v1/enterprises", headers=acting).get_json()
    assert [e["id"] for e in listed["enterprises"]] == [guicheng_id]
    # ...and manages the enterprise it acts for
    added = client.post(members_path(guicheng_id), headers=acting, json={"role": "handler", "phone": STRANGER_PHONE})
    assert added.status_code == 201, added.get_json()
