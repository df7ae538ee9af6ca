"""Queries: every query service answers in the one shape, for whom the caller acts."""

from __future__ import annotations

import json

import pytest
import requests

from tests.crypto_suite import FIELD_TOKEN_PREFIX
from tests.support.audit import audit_rows, details
from tests.support.citizens import CHEN, LI, OU, citizen_at, user_id, verified
from tests.support.enterprises import GUICHENG, act_for, registered
from tests.support.errors import assert_error
from tests.support.gov_services import SAMPLES
from tests.support.grants import act_under, create_grant

from .conftest import fault, query

QUERY_ITEMS = sorted(code for code in SAMPLES if code in {
    "yss.social_insurance.contribution_record", "yss.housing_fund.balance", "yss.medical_insurance.account",
    "yss.vehicle.violations", "yss.driving_licence.points", "yss.pension.payment_record",
    "yss.tax.individual_income_record", "ysst.business_licence.status", "ysst.tax.credit_rating",
    "ysst.social_insurance.enterprise_contributions", "ysst.credit.report"})


def caller_for(sign_in, code: str):
    chen = verified(sign_in, CHEN)
    if code.startswith("ysst."):
        return act_for(chen, registered(chen, GUICHENG))
    return chen


def check_shape(result: dict, code: str) -> None:
    assert set(result) == {"service_code", "provider", "summary", "fields", "records", "upstream_request_id",
                           "queried_at", "cached"}
    assert result["service_code"] == code
    assert result["provider"] == ("yueshangtong" if code.startswith("ysst.") else "yueshengshi")
    assert result["summary"] and result["fields"] and result["upstream_request_id"]
    assert result["queried_at"].endswith("Z")
    for field in result["fields"]:
        assert set(field) == {"key", "label", "value"} and field["label"]
        if field["key"].endswith("_fen"):
            assert isinstance(field["value"], int)  # money in integer fen
    assert all(isinstance(record, dict) for record in result["records"])


def test_the_query_list_matches_the_catalogue(client):
    codes = {i["code"] for i in client.get("/api/v1/gov-services?kind=query&limit=100").get_json()["items"]}
    assert codes == set(QUERY_ITEMS)


@pytest.mark.parametrize("code", QUERY_ITEMS)
def test_happy_path(app, sign_in, code):
    caller = caller_for(sign_in, code)
    first = query(caller, code, SAMPLES[code])
    check_shape(first, code)
    assert first["cached"] is False
    again = query(caller, code, SAMPLES[code])
    assert (again["fields"], again["records"]) == (first["fields"], first["records"])  # the same question, answer
    [event, *_] = audit_rows(app, "gov_services.query")
    assert details(event)["service_code"] == code and event.result == "success"
    # The audit log names the service, never the question or the answer (personal data).
    for value in SAMPLES[code].values():
        if isinstance(value, str) and len(value) > 4:
            assert value not in event.details


@pytest.mark.parametrize("params, field", [
    ({}, "params.year"),  # required
    ({"year": "2025", "insurance_type": "pension"}, "params.year"),  # a string is no integer
    ({"year": 1999, "insurance_type": "pension"}, "params.year"),  # below the minimum
    ({"year": 2025, "insurance_type": "dental"}, "params.insurance_type"),  # not in the enum
    ({"year": 2025, "insurance_type": "pension", "extra": 1}, "params.extra"),  # unknown field
])
def test_bad_parameters_are_422(sign_in, params, field):
    chen = verified(sign_in, CHEN)
    body = assert_error(chen.post("/api/v1/gov-services/yss.social_insurance.contribution_record/queries",
                                  json={"params": params}), 422, "validation_failed")
    assert field in body["details"]["fields"], body


def test_pattern_and_shape_are_checked(sign_in):
    chen = verified(sign_in, CHEN)
    url = "/api/v1/gov-services/yss.vehicle.violations/queries"
    body = assert_error(chen.post(url, json={"params": {"plate_number": "京A12345", "vehicle_type": "small"}}), 422)
    assert "params.plate_number" in body["details"]["fields"]
    assert_error(chen.post(url, json={"params": ["not", "an", "object"]}), 422)
    assert_error(chen.client.post(url, data="{", headers={**chen.headers, "Content-Type": "application/json"}), 400)
    assert_error(chen.post("/api/v1/gov-services/yss.hukou.certificate/queries", json={"params": {}}), 409,
                 "not_a_query_service")
    assert_error(chen.post("/api/v1/gov-services/yss.none.such/queries", json={"params": {}}), 404)


def test_real_name_verification_is_required(sign_in):
    citizen, _ = citizen_at(sign_in, level=1)
    assert_error(citizen.post("/api/v1/gov-services/yss.housing_fund.balance/queries", json={"params": {}}),
                 403, "assurance_level_required")


def test_audiences_follow_the_acting_context(sign_in):
    chen = verified(sign_in, CHEN)
    for_guicheng = act_for(chen, registered(chen, GUICHENG))
    assert_error(chen.post("/api/v1/gov-services/ysst.credit.report/queries", json={"params": {}}), 403,
                 "enterprise_context_required")
    assert_error(for_guicheng.post("/api/v1/gov-services/yss.housing_fund.balance/queries", json={"params": {}}),
                 403, "personal_context_required")


def test_a_services_audience_is_decided_by_the_one_decision_and_a_refusal_kept(app, sign_in):
    chen = verified(sign_in, CHEN)
    for_guicheng = act_for(chen, registered(chen, GUICHENG))
    personal, enterprise = "yss.housing_fund.balance", "ysst.credit.report"
    assert chen.post(f"/api/v1/gov-services/{personal}/queries", json={"params": {}}).status_code == 200
    assert for_guicheng.post(f"/api/v1/gov-services/{enterprise}/queries", json={"params": {}}).status_code == 200
    assert_error(for_guicheng.post(f"/api/v1/gov-services/{personal}/queries", json={"params": {}}),
                 403, "personal_context_required")
    [denied] = audit_rows(app, "authorization.denied")
    assert (denied.actor, denied.object_type, denied.object_id) == (f"citizen:{user_id(chen)}", "gov_service", personal)
    assert details(denied) == {"action": "gov_services:query", "reason": "personal_context_required"}


def test_the_upstream_gets_whom_the_call_is_for(app, sign_in):
    """A delegate querying under a grant sees the grantor's data (the grantor's identity went
    upstream), not their own; the grantor's access log shows it."""
    li, ou = verified(sign_in, LI), verified(sign_in, OU)
    own = query(li, "yss.housing_fund.balance")
    grant = create_grant(li, user_id(ou), ["gov_services:query"], purpose="代查公积金")
    delegate = act_under(ou, grant["id"])
    for_li = query(delegate, "yss.housing_fund.balance")
    assert for_li["fields"] == own["fields"]
    assert query(ou, "yss.housing_fund.balance")["fields"] != own["fields"]
    log = li.get("/api/v1/me/access-log?limit=100").get_json()["items"]
    assert any(entry["action"] == "gov_services:query" for entry in log), log
    # The grant allows queries only.
    assert_error(delegate.post("/api/v1/gov-services/yss.hukou.certificate/applications",
                               json={"form": SAMPLES["yss.hukou.certificate"]}), 403)


def test_enterprise_queries_carry_the_uscc(app, sign_in):
    chen = verified(sign_in, CHEN)
    result = query(act_for(chen, registered(chen, GUICHENG)), "ysst.tax.credit_rating", {"year": 2025})
    # Ask the gateway directly, signed as the enterprise: the same answer.
    from integrations.gov_gateway import ForwardedIdentity
    from integrations.yueshangtong import YueshangtongServicesClient
    client = YueshangtongServicesClient(app.config["SANDBOX_URL"], app_key="nanhaitong-sandbox",
                                        app_secret=app.config["YUESHANGTONG_GATEWAY_APP_SECRET"], timeout=5)
    direct = client.query("ysst.tax.credit_rating", {"year": 2025},
                          ForwardedIdentity("enterprise", None, None, GUICHENG, "x"))
    assert direct.fields == result["fields"]


def test_cacheable_results_are_cached_briefly_per_user(app, sign_in):
    chen, li = verified(sign_in, CHEN), verified(sign_in, LI)
    first = query(chen, "yss.housing_fund.balance")
    fault(app, "/yss/gateway/", status=503, times=10)  # the upstream is down now...
    cached = query(chen, "yss.housing_fund.balance")  # ...but the answer is in the cache
    assert cached["cached"] is True and cached["fields"] == first["fields"]
    assert_error(li.post("/api/v1/gov-services/yss.housing_fund.balance/queries", json={"params": {}}), 503)
    # Not cacheable: always asked afresh.
    assert_error(chen.post("/api/v1/gov-services/yss.tax.individual_income_record/queries",
                           json={"params": {"year": 2025}}), 503, "upstream_unavailable")
    assert [details(e)["cached"] for e in audit_rows(app, "gov_services.query") if e.result == "success"] == [
        False, True]


def test_the_cache_expires(app, sign_in, monkeypatch):
    import time as time_module

    chen = verified(sign_in, CHEN)
    query(chen, "yss.housing_fund.balance")
    if app.config["REDIS_URL"]:
        import redis

        store = redis.Redis.from_url(app.config["REDIS_URL"])
        [key] = store.keys("nht:gov:query:*")
        assert 0 < store.ttl(key) <= 300  # the item's cache time
        sealed = store.get(key).decode()
        assert sealed.startswith(FIELD_TOKEN_PREFIX) and "balance_fen" not in sealed  # personal data sealed at rest
        store.pexpire(key, 1)
        time_module.sleep(0.01)
    else:
        real = time_module.monotonic
        monkeypatch.setattr(time_module, "monotonic", lambda: real() + 301)  # past the item's 300 s
    assert query(chen, "yss.housing_fund.balance")["cached"] is False


def test_the_gateway_refuses_unsigned_requests(app):
    url = f"{app.config['SANDBOX_URL']}/yss/gateway/v1/services/yss.housing_fund.balance/queries"
    answer = requests.post(url, timeout=5, json={"params": {}})
    assert answer.status_code == 401 and answer.json()["code"] == "invalid_signature"
    assert json.loads(answer.text)["message"] == "missing_signature_headers"
