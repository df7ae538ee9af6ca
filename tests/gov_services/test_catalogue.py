"""The catalogue: seeded items, filters, paging, the guide, and the operators' administration."""

from __future__ import annotations

import json

from nanhaitong.gov_services.service import CATALOGUE_FILE
from tests.support.errors import assert_error
from tests.support.gov_services import CATALOGUE, SAMPLES, load_catalogue
from tests.support.staff import create_staff, sign_in_staff

ADMIN = "/api/v1/admin/gov-services"


def all_items(client, query: str = "") -> list[dict]:
    items, cursor = [], None
    while True:
        answer = client.get(f"{CATALOGUE}?limit=7{query}" + (f"&cursor={cursor}" if cursor else ""))
        assert answer.status_code == 200, answer.get_json()
        body = answer.get_json()
        items += body["items"]
        cursor = body["next_cursor"]
        if cursor is None:
            return items


def test_the_seeded_catalogue_spans_both_providers(client):
    items = all_items(client)
    assert len(items) >= 20
    assert len({item["code"] for item in items}) == len(items)  # paging neither repeats nor skips
    by_provider = {p: [i for i in items if i["provider"] == p] for p in ("yueshengshi", "yueshangtong")}
    assert len(by_provider["yueshengshi"]) >= 8 and len(by_provider["yueshangtong"]) >= 8
    assert {i["audience"] for i in by_provider["yueshengshi"]} == {"citizen"}
    assert {i["audience"] for i in by_provider["yueshangtong"]} == {"enterprise"}
    assert {i["kind"] for i in items} == {"query", "application"}
    assert set(SAMPLES) == {item["code"] for item in items}, "every item needs a sample in conftest.SAMPLES"


def test_filters_and_text_search(client):
    enterprise = all_items(client, "&audience=enterprise")
    assert enterprise and all(i["audience"] == "enterprise" for i in enterprise)
    assert all(i["provider"] == "yueshengshi" for i in all_items(client, "&provider=yueshengshi"))
    housing = all_items(client, "&category=housing_fund")
    assert {i["code"] for i in housing} == {"yss.housing_fund.balance", "yss.housing_fund.withdrawal",
                                            "ysst.housing_fund.enterprise_deposit"}
    found = all_items(client, "&q=公积金&audience=citizen")
    assert {i["code"] for i in found} == {"yss.housing_fund.balance", "yss.housing_fund.withdrawal"}
    assert all_items(client, "&q=%25") == []  # LIKE wildcards are searched for, not obeyed
    assert_error(client.get(f"{CATALOGUE}?audience=martian"), 422, "validation_failed")
    assert_error(client.get(f"{CATALOGUE}?limit=1000"), 422, "validation_failed")


def test_the_guide(client):
    answer = client.get(f"{CATALOGUE}/yss.housing_fund.withdrawal")
    assert answer.status_code == 200
    guide = answer.get_json()
    assert guide["name"] == "住房公积金提取（租房）" and guide["provider_name"] == "粤省事"
    assert guide["eligibility"] and guide["department"] == "佛山市住房公积金管理中心"
    assert {"name": "居民身份证", "licence_type": "resident_id_card"} in guide["materials"]
    assert guide["fee_fen"] == 0 and guide["legal_time_limit_days"] == 5 and guide["promised_time_limit_days"] == 3
    schema = guide["form_schema"]
    assert schema["type"] == "object" and schema["additionalProperties"] is False
    assert set(schema["required"]) == {"amount_fen", "bank_account", "frequency"}
    assert schema["properties"]["frequency"]["enum"] == ["monthly", "yearly"]
    assert all(prop["title"] for prop in schema["properties"].values())
    assert_error(client.get(f"{CATALOGUE}/yss.no_such.service"), 404, "gov_service_not_found")


def test_loading_again_changes_nothing(app):
    assert load_catalogue(app) == {"created": 0, "updated": 0, "unchanged": len(json.loads(
        CATALOGUE_FILE.read_text(encoding="utf-8"))["items"])}


def new_item(**changes) -> dict:
    return {"code": "yss.marriage.registration_appointment", "provider": "yueshengshi", "kind": "application",
            "category": "civil_affairs", "name": "婚姻登记预约", "department": "佛山市南海区民政局",
            "description": "预约到婚姻登记处办理结婚登记。", "eligibility": "双方均为内地居民、达到法定婚龄。",
            "materials": [{"name": "居民身份证", "licence_type": "resident_id_card"}, {"name": "居民户口簿"}],
            "legal_time_limit_days": 0, "form_schema": {
                "type": "object", "additionalProperties": False, "required": ["date"],
                "properties": {"date": {"type": "string", "title": "预约日期", "format": "date"}}},
            "attachable_licence_types": ["resident_id_card"], **changes}


def test_operators_manage_the_catalogue(app, client):
    create_staff(app, "13900139011", "operator")
    operator = sign_in_staff(app, client, "13900139011")
    created = client.post(ADMIN, headers=operator.headers, json=new_item())
    assert created.status_code == 201, created.get_json()
    assert client.get(f"{CATALOGUE}/yss.marriage.registration_appointment").get_json()["audience"] == "citizen"
    assert_error(client.post(ADMIN, headers=operator.headers, json=new_item()), 409, "gov_service_exists")

    changed = client.patch(f"{ADMIN}/yss.marriage.registration_appointment", headers=operator.headers,
                           json={"fee_note": "免费", "promised_time_limit_days": 0})
    assert changed.status_code == 200 and changed.get_json()["fee_note"] == "免费"

    retired = client.patch(f"{ADMIN}/yss.marriage.registration_appointment", headers=operator.headers,
                           json={"status": "retired"})
    assert retired.status_code == 200 and retired.get_json()["status"] == "retired"
    assert_error(client.get(f"{CATALOGUE}/yss.marriage.registration_appointment"), 404, "gov_service_not_found")
    assert "yss.marriage.registration_appointment" not in {i["code"] for i in all_items(client)}
    listed = client.get(f"{ADMIN}?limit=100", headers=operator.headers).get_json()["items"]
    assert {"yss.marriage.registration_appointment": "retired"}.items() <= {i["code"]: i["status"] for i in listed}.items()


def test_the_catalogue_refuses_bad_items(app, client):
    create_staff(app, "13900139012", "operator")
    operator = sign_in_staff(app, client, "13900139012")
    bad_schema = new_item(form_schema={"type": "object", "properties": {"x": {"type": "array", "title": "x"}}})
    assert_error(client.post(ADMIN, headers=operator.headers, json=bad_schema), 422, "validation_failed")
    wrong_prefix = new_item(provider="yueshangtong")
    assert_error(client.post(ADMIN, headers=operator.headers, json=wrong_prefix), 422, "validation_failed")
    assert_error(client.post(ADMIN, headers=operator.headers, json={**new_item(), "extra": 1}), 422)
    assert_error(client.patch(f"{ADMIN}/yss.nothing.here", headers=operator.headers, json={"fee_fen": 1}), 404)


def test_only_operators_manage_it(app, client, sign_in):
    create_staff(app, "13900139013", "auditor")
    auditor = sign_in_staff(app, client, "13900139013")
    assert_error(client.post(ADMIN, headers=auditor.headers, json=new_item()), 403, "staff_role_required")
    assert_error(client.post(ADMIN, json=new_item()), 401)
    citizen = sign_in("13800138004")
    assert_error(client.post(ADMIN, headers=citizen.headers, json=new_item()), 401)


def test_demo_seed_loads_the_catalogue(app):
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.output)["gov_services_catalogue"]["unchanged"] == len(SAMPLES)
