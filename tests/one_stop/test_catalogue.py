"""The matters catalogue: operators manage it, the public reads and searches it in Chinese."""

from __future__ import annotations

import json

from tests.support.audit import audit_rows
from tests.support.errors import assert_error
from tests.support.one_stop import matter_body
from tests.support.settings import NO_SUCH_ID
from tests.support.staff import create_staff, sign_in_staff

from .conftest import ADMIN, PUBLIC, add_matter


def test_the_seven_centres_are_there(client):
    centres = client.get(f"{PUBLIC}/centres").get_json()["items"]
    assert sorted(c["town"] for c in centres) == sorted(
        ["桂城街道", "九江镇", "西樵镇", "丹灶镇", "狮山镇", "大沥镇", "里水镇"])
    assert all(c["morning"] == "09:00-12:00" for c in centres)


def test_an_operator_adds_a_matter_and_the_public_reads_it(app, client, operator):
    made = add_matter(operator, name="居民身份证换领")
    assert made["centres"] == ["guicheng", "shishan"] and made["fee_fen"] == 2000
    shown = client.get(f"{PUBLIC}/matters/{made['id']}").get_json()
    assert shown["name"] == "居民身份证换领" and shown["materials"][0]["name"] == "居民户口簿"
    assert shown["updated_at"].endswith("Z")
    assert [e.action for e in audit_rows(app, prefix="one_stop.")] == ["one_stop.matter_created"]


def test_the_same_code_twice_is_409(operator):
    add_matter(operator, code="NH-X-1")
    assert_error(operator.post(f"{ADMIN}/matters", json=matter_body(code="NH-X-1")), 409, "matter_code_taken")


def test_bad_matters_are_422(operator):
    for broken in ({"centres": ["beijing"]}, {"centres": []}, {"legal_days": -1}, {"fee_fen": 1.5},
                   {"promised_days": 30, "legal_days": 20}, {"colour": "red"}):
        assert_error(operator.post(f"{ADMIN}/matters", json=matter_body(**broken)), 422, "validation_failed")
    assert operator.get(f"{ADMIN}/matters").get_json()["items"] == []


def test_chinese_search_finds_by_character_pairs(client, operator):
    licence = add_matter(operator, name="食品经营许可", department="佛山市南海区市场监督管理局",
                         materials=[{"name": "营业执照"}])
    add_matter(operator, name="居民身份证换领")
    add_matter(operator, name="结婚登记", department="佛山市南海区民政局", centres=["dali"])

    def found(**query):
        answer = client.get(f"{PUBLIC}/matters", query_string=query)
        assert answer.status_code == 200, answer.get_json()
        return [m["name"] for m in answer.get_json()["items"]]

    assert found(q="食品") == ["食品经营许可"]
    assert found(q="营业执照") == ["食品经营许可"]  # in its materials
    assert found(q="经营许可") == ["食品经营许可"]
    assert found(q="品食") == []  # no such pair
    assert found(q="身份证") == ["居民身份证换领"]
    assert found(centre="dali") == ["结婚登记"]
    assert found(department="佛山市南海区民政局") == ["结婚登记"]
    assert found(q="！！") == []
    page = client.get(f"{PUBLIC}/matters", query_string={"limit": 2}).get_json()
    assert len(page["items"]) == 2 and page["next_cursor"] == "2"
    rest = client.get(f"{PUBLIC}/matters", query_string={"limit": 2, "cursor": "2"}).get_json()
    assert len(rest["items"]) == 1 and rest["next_cursor"] is None
    assert licence["id"] in {m["id"] for m in page["items"] + rest["items"]}
    assert_error(client.get(f"{PUBLIC}/matters", query_string={"colour": "red"}), 422)


def test_retiring_hides_a_matter_from_the_public(client, operator):
    matter = add_matter(operator)
    answer = operator.post(f"{ADMIN}/matters/{matter['id']}/status", json={"status": "retired"})
    assert answer.status_code == 200 and answer.get_json()["status"] == "retired"
    assert_error(client.get(f"{PUBLIC}/matters/{matter['id']}"), 404, "matter_not_found")
    assert client.get(f"{PUBLIC}/matters").get_json()["items"] == []
    assert [m["id"] for m in operator.get(f"{ADMIN}/matters", query_string={"status": "retired"})
            .get_json()["items"]] == [matter["id"]]


def test_updating_keeps_the_code(operator):
    matter = add_matter(operator, code="NH-Y-1")
    changed = operator.put(f"{ADMIN}/matters/{matter['id']}", json=matter_body(code="NH-Y-1", name="户口迁入",
                                                                              centres=["lishui"]))
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["centres"] == ["lishui"] and changed.get_json()["name"] == "户口迁入"
    assert_error(operator.put(f"{ADMIN}/matters/{matter['id']}", json=matter_body(code="NH-Y-2")), 422)
    assert_error(operator.put(f"{ADMIN}/matters/{NO_SUCH_ID}", json=matter_body()), 404, "matter_not_found")


def test_only_operators_manage_matters(app, client, sign_in):
    create_staff(app, "13900139022", "policy_editor")
    editor = sign_in_staff(app, client, "13900139022")
    assert_error(editor.post(f"{ADMIN}/matters", json=matter_body()), 403, "staff_role_required")
    citizen = sign_in("13700000999")
    assert_error(citizen.post(f"{ADMIN}/matters", json=matter_body()), 401)
    assert_error(client.get(f"{ADMIN}/matters"), 401)


def test_demo_seed_adds_at_least_40_matters_across_departments_and_two_bundles_once(runner, client):
    first = json.loads(runner.invoke(args=["demo", "seed"]).output)
    assert first["one_stop_matters_added"] >= 40
    assert first["one_stop_bundles_added"] == 2
    again = json.loads(runner.invoke(args=["demo", "seed"]).output)
    assert (again["one_stop_matters_added"], again["one_stop_bundles_added"]) == (0, 0)
    assert {b["name"] for b in client.get(f"{PUBLIC}/bundles").get_json()["items"]} == {"新生儿出生一件事", "企业开办一件事"}
    departments = client.get(f"{PUBLIC}/departments").get_json()["items"]
    assert len(departments) >= 10 and sum(d["matters"] for d in departments) == first["one_stop_matters_added"]
    assert "企业设立登记" in [m["name"] for m in client.get(f"{PUBLIC}/matters", query_string={"q": "企业设立"})
                               .get_json()["items"]]
