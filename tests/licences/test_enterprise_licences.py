"""Enterprise licences (issue 5): the enterprise's wallet, seen by members according to their role."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from integrations.sandbox.demo_data import ENTERPRISES_BY_USCC
from tests.support.audit import audit_rows
from tests.support.citizens import CHEN, HUANG, LI, LIANG, Citizen, user_id, verified
from tests.support.enterprises import GUICHENG, SHISHAN, act_for, registered
from tests.support.errors import assert_error
from tests.support.licences import LICENCES, present, sync, verify, wallet

from .conftest import access_log, by_type, step_up_code


@dataclass
class Firm:
    """狮山精工 (SHISHAN, a business licence and a food business permit), its legal
    representative 黄志强 (HUANG) and a handler, 梁雅婷 (LIANG)."""
    id: str
    lr: Citizen
    lr_acting: Citizen
    handler: Citizen
    handler_acting: Citizen


@pytest.fixture
def firm(app, sign_in) -> Firm:
    huang = verified(sign_in, HUANG)
    enterprise_id = registered(huang, SHISHAN)
    liang = verified(sign_in, LIANG)
    added = huang.post(f"/api/v1/enterprises/{enterprise_id}/members", json={"phone": liang.phone, "role": "handler"})
    assert added.status_code == 201, added.get_json()
    return Firm(enterprise_id, huang, act_for(huang, enterprise_id), liang, act_for(liang, enterprise_id))


def test_the_legal_representative_syncs_the_enterprise_wallet(app, firm):
    result = sync(firm.lr_acting)
    assert len(result["added"]) == 2 and result["refused"] == []
    listed = wallet(firm.lr_acting)
    assert sorted(i["type_code"] for i in listed) == ["business_licence", "food_business_permit"]
    licence = by_type(firm.lr_acting, "business_licence")
    assert licence["holder_kind"] == "enterprise" and licence["fields"]["uscc"] == SHISHAN
    # Public register data: nothing on an enterprise licence is masked.
    assert licence["fields"]["name"] == ENTERPRISES_BY_USCC[SHISHAN].name
    [event] = audit_rows(app, "licence.synced")
    assert event.on_behalf_of == f"enterprise:{firm.id}" and event.actor == f"citizen:{user_id(firm.lr)}"
    assert sync(firm.lr_acting)["added"] == []

    # The personal wallet is another wallet: the personal token syncs the citizen's own licences.
    personal = sync(firm.lr)
    assert len(personal["added"]) == 3 and all("business_licence" not in c for c in personal["added"])
    assert {i["holder_kind"] for i in wallet(firm.lr)} == {"citizen"}
    # With the personal token the legal representative still reads the enterprise's licences by id.
    answer = firm.lr.get(f"{LICENCES}/{licence['id']}")
    assert answer.status_code == 200 and answer.get_json() == licence


def test_the_legal_representative_reveals_and_presents_an_enterprise_licence(app, firm):
    sync(firm.lr_acting)
    licence = by_type(firm.lr_acting, "food_business_permit")
    answer = firm.lr_acting.post(f"{LICENCES}/{licence['id']}/reveal", json={"step_up_code": step_up_code(firm.lr)})
    assert answer.status_code == 200 and answer.get_json()["holder_name"] == ENTERPRISES_BY_USCC[SHISHAN].name
    shown = present(firm.lr_acting, licence["id"], ["permit_number", "business_items"])
    checked = verify(firm.handler, shown["token"])
    assert checked["valid"] is True and set(checked["disclosed"]) == {"permit_number", "business_items"}


def test_a_handler_reads_the_enterprise_licences_but_cannot_reveal_them(app, firm):
    sync(firm.lr_acting)
    licence = by_type(firm.lr_acting, "business_licence")
    assert {i["id"] for i in wallet(firm.handler_acting)} == {i["id"] for i in wallet(firm.lr_acting)}
    assert firm.handler_acting.get(f"{LICENCES}/{licence['id']}").get_json() == licence
    assert firm.handler.get(f"{LICENCES}/{licence['id']}").status_code == 200  # personal token, as a member
    assert wallet(firm.handler) == []  # the handler's own wallet, never synced

    body = assert_error(firm.handler_acting.post(f"{LICENCES}/{licence['id']}/reveal",
                                                 json={"step_up_code": step_up_code(firm.handler)}),
                        403, "member_role_required")
    assert body["details"]["roles"] == ["legal_representative"]

    # A handler's reads are uses of the enterprise's data: in its access log, as a member.
    entries = access_log(firm.lr_acting)
    assert entries and all(e["accessor"]["id"] == user_id(firm.handler) for e in entries)
    assert {(e["acting_as"], e["action"], e["object_type"]) for e in entries} == {("member", "licences:read", "licence")}
    assert licence["id"] in {e["object_id"] for e in entries}


def test_a_non_member_sees_nothing_of_the_enterprise(app, firm, sign_in):
    sync(firm.lr_acting)
    licence = by_type(firm.lr_acting, "business_licence")
    li = verified(sign_in, LI)
    assert_error(li.get(f"{LICENCES}/{licence['id']}"), 404, "licence_not_found")
    assert_error(li.post("/api/v1/auth/act-as", json={"enterprise_id": firm.id}), 404)
    assert_error(li.post(f"{LICENCES}/{licence['id']}/presentations", json={"fields": ["name"]}), 404,
                 "licence_not_found")
    assert wallet(li) == []
    # The legal representative of another enterprise is no member of this one either.
    chen = verified(sign_in, CHEN)
    registered(chen, GUICHENG)
    assert_error(chen.get(f"{LICENCES}/{licence['id']}"), 404, "licence_not_found")
