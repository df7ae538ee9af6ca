"""Versioned terms and privacy policy, agreement at sign-up (the demo seed publishes them
for `make run`; production takes no sign-up before both are published), 428 until a new
version is agreed to (app and mini-program alike), and optional consents withdrawn in one
call."""

from __future__ import annotations

import json

import pytest

from tests.support.audit import audit_rows as audit_events
from tests.support.citizens import Citizen, fresh_phone, read_code, request_code
from tests.support.errors import assert_error
from tests.support.settings import APP_SETTINGS
from tests.support.staff import create_staff, sign_in_staff

from .conftest import (
    ADMIN_DOCS,
    DOCS,
    OPERATOR_PHONE,
    PRIVACY_TEXT,
    current_agreements,
    publish,
    sign_up,
    token_request,
)


def test_staff_publish_versions_and_the_public_reads_the_current_ones(client, operator, sign_in):
    assert client.get(DOCS).get_json() == {"items": []}
    first = publish(operator, "terms")
    publish(operator, "privacy_policy")
    second = publish(operator, "terms", body="南海通用户服务协议（2026年修订）", summary_of_changes="新增账号注销条款")
    assert (first["version"], second["version"]) == (1, 2)
    items = client.get(DOCS).get_json()["items"]
    assert [(d["kind"], d["version"]) for d in items] == [("privacy_policy", 1), ("terms", 2)]
    assert client.get(f"{DOCS}/privacy_policy").get_json()["body"] == PRIVACY_TEXT
    assert client.get(f"{DOCS}/terms?version=1").get_json()["id"] == first["id"]
    assert_error(client.get(f"{DOCS}/terms?version=9"), 404, "legal_document_not_found")
    assert len(operator.get(ADMIN_DOCS).get_json()["items"]) == 3
    assert [e.details for e in audit_events(operator.app, "privacy.legal_document_published")][0].count('"version":1')


def test_only_operators_publish(app, client, operator, sign_in):
    citizen = sign_in("13700000901")
    assert_error(citizen.post(ADMIN_DOCS, json={"kind": "terms", "body": "x"}), 401)
    assert_error(client.post(ADMIN_DOCS, json={"kind": "terms", "body": "x"}), 401)


def test_sign_up_needs_agreement_to_the_current_versions_and_records_it(app, client, operator):
    publish(operator, "terms")
    publish(operator, "privacy_policy")
    phone = "13700000902"
    refused = assert_error(token_request(app, client, phone), 428, "terms_agreement_required")
    assert {d["kind"] for d in refused["details"]["required"]} == {"terms", "privacy_policy"}
    stale = [{"kind": "terms", "version": 1}]  # the privacy policy is missing
    assert_error(token_request(app, client, phone, agreements=stale), 428, "terms_agreement_required")
    citizen = sign_up(app, client, phone, "miniprogram")
    recorded = citizen.get("/api/v1/me/agreements").get_json()
    assert recorded["pending"] == []
    assert {(a["kind"], a["version"], a["context"], a["channel"], a["client"]) for a in recorded["agreements"]} == {
        ("terms", 1, "sign_up", "miniprogram", "NanhaiTong/5.2"), ("privacy_policy", 1, "sign_up", "miniprogram",
                                                                  "NanhaiTong/5.2")}
    assert all(a["agreed_at"].endswith("Z") for a in recorded["agreements"])
    # An existing account signs in without naming versions.
    answer = token_request(app, client, phone)
    assert answer.status_code == 200, answer.get_json()


@pytest.mark.parametrize("client_kind", ["app", "miniprogram"])
def test_a_new_version_forces_428_until_agreed(app, client, operator, client_kind):
    publish(operator, "terms")
    citizen = sign_up(app, client, "13700000903", client_kind)
    assert citizen.get("/api/v1/messages").status_code == 200
    publish(operator, "terms", body="南海通用户服务协议（第二版）")
    body = assert_error(citizen.get("/api/v1/messages"), 428, "terms_update_required")
    assert body["details"]["required"] == [{"kind": "terms", "version": 2, "title": "南海通用户服务协议"}]
    assert_error(citizen.post("/api/v1/authorizations", json={}), 428, "terms_update_required")
    # Open meanwhile: reading the account, the agreements, signing out is too.
    assert citizen.get("/api/v1/me").status_code == 200
    assert citizen.get("/api/v1/me/agreements").get_json()["pending"][0]["version"] == 2
    assert_error(citizen.post("/api/v1/me/agreements", json={"agreements": [{"kind": "terms", "version": 1}]}),
                 422, "validation_failed")
    agreed = citizen.post("/api/v1/me/agreements", json={"agreements": [{"kind": "terms", "version": 2}]})
    assert agreed.status_code == 200 and agreed.get_json()["pending"] == []
    assert citizen.get("/api/v1/messages").status_code == 200
    # A correction that needs no agreement changes nothing.
    publish(operator, "terms", body="南海通用户服务协议（第二版，勘误）", requires_agreement=False)
    assert citizen.get("/api/v1/messages").status_code == 200
    assert [a["context"] for a in citizen.get("/api/v1/me/agreements").get_json()["agreements"]] == ["update", "sign_up"]


def test_a_refused_sign_up_keeps_the_code_and_creates_nothing(app, client, operator):
    publish(operator, "terms")
    phone = "13700000904"
    assert token_request(app, client, phone).status_code == 428
    retry = client.post("/api/v1/auth/tokens", json={"grant_type": "sms_code", "phone": phone, "code": read_code(
        app, phone), "client": "app", "agreements": current_agreements(client)})
    assert retry.status_code == 200, retry.get_json()
    assert len(audit_events(app, "account.created")) == 1


def test_optional_consents_are_withdrawn_in_one_call_each(app, client, sign_in):
    citizen: Citizen = sign_in("13700000905")
    consents = citizen.get("/api/v1/me/consents").get_json()
    assert {c["name"]: c["granted"] for c in consents["optional"]} == {"policy_push": True, "marketing": False}
    assert citizen.put("/api/v1/me/consents/marketing").get_json()["optional"][1]["granted"] is True
    after = citizen.delete("/api/v1/me/consents/policy_push").get_json()
    assert {c["name"]: c["granted"] for c in after["optional"]} == {"policy_push": False, "marketing": True}
    assert "policy" not in citizen.get("/api/v1/messages/subscriptions").get_json()["topics"]
    after = citizen.delete("/api/v1/me/consents/marketing").get_json()
    assert {c["name"]: c["granted"] for c in after["optional"]} == {"policy_push": False, "marketing": False}
    assert len(audit_events(app, "privacy.consent_withdrawn")) == 2
    assert_error(citizen.delete("/api/v1/me/consents/partners/01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404, "consent_not_found")


def test_the_demo_seed_publishes_terms_a_sign_up_must_agree_to(app, client, runner):
    """`make run` seeds them: a person signing up there agrees to real texts, recorded."""
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert json.loads(first.output)["legal_documents_published"] == ["terms", "privacy_policy"]
    assert json.loads(runner.invoke(args=["demo", "seed"]).output)["legal_documents_published"] == []
    items = {d["kind"]: d for d in client.get(DOCS).get_json()["items"]}
    assert {(k, d["version"], d["title"], d["requires_agreement"]) for k, d in items.items()} == {
        ("terms", 1, "南海通用户服务协议", True), ("privacy_policy", 1, "南海通隐私政策", True)}
    assert "账号注销" in items["terms"]["body"] and "敏感个人信息" in items["privacy_policy"]["body"]
    phone = fresh_phone()
    assert_error(token_request(app, client, phone), 428, "terms_agreement_required")
    citizen = sign_up(app, client, phone)
    recorded = citizen.get("/api/v1/me/agreements").get_json()
    assert recorded["pending"] == []
    assert {(a["kind"], a["version"], a["context"]) for a in recorded["agreements"]} == {
        ("terms", 1, "sign_up"), ("privacy_policy", 1, "sign_up")}


def production_client(make_app):
    """A production app (run insecurely: sandbox upstreams, SQLite allowed) whose public
    host is the test client's, the only host production trusts."""
    prod = make_app(ENV="production", ALLOW_INSECURE=True, PUBLIC_URL="http://localhost", **APP_SETTINGS)
    return prod, prod.test_client()


def test_production_refuses_sign_up_until_both_documents_are_published(make_app):
    prod, client = production_client(make_app)
    phone = fresh_phone()
    assert request_code(client, phone).status_code == 202
    code = read_code(prod, phone)

    def sign_up_with(agreements=None, language="zh-CN"):
        body = {"grant_type": "sms_code", "phone": phone, "code": code, "client": "app"}
        if agreements is not None:
            body["agreements"] = agreements
        return client.post("/api/v1/auth/tokens", json=body, headers={"Accept-Language": language})

    closed = assert_error(sign_up_with(), 503, "terms_not_published")
    assert closed["message"] == "用户服务协议和隐私政策发布前暂不能注册新账号，请稍后再试。"
    assert closed["details"] == {"unpublished": ["terms", "privacy_policy"]}
    english = assert_error(sign_up_with(language="en"), 503, "terms_not_published")
    assert english["message"].startswith("Sign-up is closed until the terms of service and privacy policy")
    create_staff(prod, OPERATOR_PHONE, "operator")
    operator = sign_in_staff(prod, client, OPERATOR_PHONE)
    publish(operator, "terms")
    closed = assert_error(sign_up_with(agreements=current_agreements(client)), 503, "terms_not_published")
    assert closed["details"] == {"unpublished": ["privacy_policy"]}
    assert not audit_events(prod, "account.created")
    publish(operator, "privacy_policy")
    # The same code, never spent by the refusals: now only agreement is missing.
    assert_error(sign_up_with(), 428, "terms_agreement_required")
    answer = sign_up_with(agreements=current_agreements(client))
    assert answer.status_code == 200, answer.get_json()
    citizen = Citizen(client, prod, phone, answer.get_json())
    assert {a["kind"] for a in citizen.get("/api/v1/me/agreements").get_json()["agreements"]} == {
        "terms", "privacy_policy"}


def test_development_lets_a_sign_up_through_with_nothing_published(make_app):
    dev = make_app(ENV="development", **APP_SETTINGS)
    answer = token_request(dev, dev.test_client(), fresh_phone())
    assert answer.status_code == 200, answer.get_json()
