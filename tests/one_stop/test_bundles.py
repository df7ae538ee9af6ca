"""Bundled life events (一件事一次办): one combined form feeding each matter, one case whose
parts move independently, one evaluation."""

from __future__ import annotations

from tests.support.citizens import citizen_at
from tests.support.errors import assert_error

from .conftest import ADMIN, PUBLIC, add_matter


def newborn_bundle(operator) -> tuple[dict, list[dict]]:
    matters = [add_matter(operator, code="B-WJ-1", name="出生医学证明首次签发", department="佛山市南海区卫生健康局"),
               add_matter(operator, code="B-GA-1", name="出生登记（入户）"),
               add_matter(operator, code="B-YB-1", name="城乡居民医疗保险参保登记", department="佛山市南海区医疗保障局")]
    answer = operator.post(f"{ADMIN}/bundles", json={
        "code": "B-YJS-1", "name": "新生儿出生一件事", "description": "一张表单，一次办结。",
        "matter_codes": ["B-WJ-1", "B-GA-1", "B-YB-1"],
        "fields": [{"name": "baby_name", "label": "新生儿姓名", "matters": ["B-WJ-1", "B-GA-1", "B-YB-1"]},
                   {"name": "birth_hospital", "label": "出生医院", "matters": ["B-WJ-1"]},
                   {"name": "household_address", "label": "户籍地址", "matters": ["B-GA-1"]},
                   {"name": "note", "label": "备注", "required": False, "matters": ["B-YB-1"]}]})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json(), matters


ANSWERS = {"baby_name": "陈小南", "birth_hospital": "南海区人民医院", "household_address": "桂城街道南海大道1号"}


def test_one_form_feeds_each_matter_and_the_parts_move_independently(client, operator, citizen):
    bundle, matters = newborn_bundle(operator)
    assert [b["name"] for b in client.get(f"{PUBLIC}/bundles").get_json()["items"]] == ["新生儿出生一件事"]
    answer = citizen.post(f"{PUBLIC}/bundles/{bundle['id']}/applications", json={"answers": ANSWERS})
    assert answer.status_code == 201, answer.get_json()
    case = answer.get_json()
    assert (case["channel"], case["status"], case["matter_name"]) == ("bundle", "submitted", "新生儿出生一件事")
    parts = {p["matter_id"]: p for p in case["parts"]}
    assert set(parts) == {m["id"] for m in matters}
    # Each part's application got the answers of the fields feeding it, and only those.
    forms = {p["matter_id"]: operator.get(f"{ADMIN}/cases/{p['id']}").get_json()["form"] for p in case["parts"]}
    assert forms[matters[0]["id"]] == {"baby_name": "陈小南", "birth_hospital": "南海区人民医院"}
    assert forms[matters[1]["id"]] == {"baby_name": "陈小南", "household_address": "桂城街道南海大道1号"}
    assert forms[matters[2]["id"]] == {"baby_name": "陈小南"}

    first, second, third = (parts[m["id"]]["id"] for m in matters)

    def move(part_id, status):
        answer = operator.post(f"{ADMIN}/cases/{part_id}/status", json={"status": status})
        assert answer.status_code == 200, answer.get_json()

    move(first, "accepted")
    seen = citizen.get(f"{PUBLIC}/cases/{case['id']}").get_json()
    assert seen["status"] == "accepted"
    assert {p["matter_id"]: p["status"] for p in seen["parts"]} == {
        matters[0]["id"]: "accepted", matters[1]["id"]: "submitted", matters[2]["id"]: "submitted"}
    move(first, "completed")
    move(second, "accepted")
    seen = citizen.get(f"{PUBLIC}/cases/{case['id']}").get_json()
    assert [p["status"] for p in seen["parts"] if p["id"] in (first, second, third)].count("completed") == 1
    assert seen["status"] == "accepted" and seen["deadline"]
    assert_error(citizen.post(f"{PUBLIC}/cases/{case['id']}/evaluation", json={"level": 5}), 409, "case_not_closed")
    move(second, "completed")
    move(third, "accepted")
    move(third, "completed")
    done = citizen.get(f"{PUBLIC}/cases/{case['id']}").get_json()
    assert done["status"] == "completed" and [e["status"] for e in done["history"]] == [
        "submitted", "accepted", "completed"]
    # One evaluation, of the whole; the parts are not the person's to rate.
    assert citizen.post(f"{PUBLIC}/cases/{case['id']}/evaluation", json={"level": 5}).status_code == 201
    assert_error(citizen.post(f"{PUBLIC}/cases/{first}/evaluation", json={"level": 1}), 404, "case_not_found")
    assert_error(citizen.post(f"{PUBLIC}/cases/{case['id']}/evaluation", json={"level": 1}), 409, "already_evaluated")
    assert_error(operator.post(f"{ADMIN}/cases/{case['id']}/status", json={"status": "completed"}), 409,
                 "bundle_follows_parts")
    assert [c["id"] for c in citizen.get(f"{PUBLIC}/cases").get_json()["items"]] == [case["id"]]


def test_missing_or_unknown_answers_are_422_naming_them(operator, citizen):
    bundle, _ = newborn_bundle(operator)
    body = assert_error(citizen.post(f"{PUBLIC}/bundles/{bundle['id']}/applications",
                                     json={"answers": {"baby_name": "陈小南", "colour": "红"}}), 422)
    assert set(body["details"]["fields"]) == {"birth_hospital", "household_address", "colour"}
    assert citizen.get(f"{PUBLIC}/cases").get_json()["items"] == []


def test_bundles_are_checked_when_defined(operator):
    add_matter(operator, code="B-1")
    base = {"code": "B-X", "name": "一件事", "description": "说明", "matter_codes": ["B-1", "B-NONE"],
            "fields": [{"name": "a", "label": "甲", "matters": ["B-1"]}]}
    assert_error(operator.post(f"{ADMIN}/bundles", json=base), 422)
    add_matter(operator, code="B-2")
    good = {**base, "matter_codes": ["B-1", "B-2"]}
    assert operator.post(f"{ADMIN}/bundles", json=good).status_code == 201
    assert_error(operator.post(f"{ADMIN}/bundles", json=good), 409, "bundle_code_taken")
    assert_error(operator.post(f"{ADMIN}/bundles", json={**good, "code": "B-Y", "fields": [
        {"name": "a", "label": "甲", "matters": ["B-3"]}]}), 422)


def test_a_stranger_sees_nothing_of_the_bundle_case(operator, citizen, sign_in):
    bundle, _ = newborn_bundle(operator)
    case = citizen.post(f"{PUBLIC}/bundles/{bundle['id']}/applications", json={"answers": ANSWERS}).get_json()
    stranger, _ = citizen_at(sign_in, level=2)
    assert_error(stranger.get(f"{PUBLIC}/cases/{case['id']}"), 404, "case_not_found")
