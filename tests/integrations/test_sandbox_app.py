"""The sandbox app itself: routing, JSON errors, control endpoints, mounting."""

from __future__ import annotations

import pytest
from werkzeug.exceptions import NotFound
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.test import Client

from integrations.sandbox import DEFAULT_API_KEYS, create_sandbox_app

PHONE = "13800138000"
SMS_KEY = {"X-Api-Key": DEFAULT_API_KEYS["sms"]}


def send(client, text="hi", headers=SMS_KEY, **body):
    return client.post(
        "/sms/v1/messages",
        json={"phone": PHONE, "template": "notice", "params": {"text": text}, **body},
        headers=headers,
    )


@pytest.fixture
def client():
    return Client(create_sandbox_app())


def test_demo_links_carry_the_mount_point():
    mounted = Client(DispatcherMiddleware(NotFound(), {"/sandbox": create_sandbox_app()}))

    demo = mounted.get("/sandbox/demo").json

    assert demo["sms"]["read_messages"] == "/sandbox/sms/messages?phone=<phone>"
    assert demo["sms"]["api_key_hint"] != DEFAULT_API_KEYS["sms"]
    assert mounted.post("/sandbox/sms/v1/messages", json={}, headers=SMS_KEY).json["code"] == "invalid_phone"


def test_unknown_path_and_wrong_method_answer_json(client):
    missing = client.get("/nowhere")
    wrong = client.delete("/sms/v1/messages")

    assert missing.status_code == 404 and missing.json["code"] == "not_found"
    assert wrong.status_code == 405 and wrong.json["code"] == "method_not_allowed"
    assert "POST" in wrong.headers["Allow"]


@pytest.mark.parametrize(
    ("kwargs", "status", "code"),
    [
        ({"headers": {}}, 401, "invalid_api_key"),
        ({"phone": "+8613800138000"}, 400, "invalid_phone"),
        ({"template": None}, 400, "invalid_template"),
        ({"params": {"text": "hi", "extra": 1}}, 400, "invalid_params"),
    ],
)
def test_send_refusals(client, kwargs, status, code):
    response = send(client, **kwargs)

    assert response.status_code == status
    assert response.json["code"] == code and response.json["message"]
    assert PHONE not in response.get_data(as_text=True)


def test_body_must_be_a_json_object(client):
    response = client.post("/sms/v1/messages", data="[1]", headers=SMS_KEY)

    assert response.status_code == 400 and response.json["code"] == "invalid_json"


def test_reading_messages_needs_a_phone(client):
    response = client.get("/sms/messages")

    assert response.status_code == 400 and response.json["code"] == "missing_phone"


def test_messages_kept_per_phone_are_bounded(client, monkeypatch):
    monkeypatch.setattr("integrations.sandbox.sms.MESSAGES_PER_PHONE", 3)
    for n in range(5):
        assert send(client, text=f"m{n}").status_code == 201

    texts = [m["text"] for m in client.get("/sms/messages", query_string={"phone": PHONE}).json["messages"]]

    assert texts == ["【南海通】m4", "【南海通】m3", "【南海通】m2"]


def test_reset_forgets_messages_and_faults(client):
    send(client)
    client.post("/_control/faults", json={"path_prefix": "/sms/", "status": 503, "times": 5})

    assert client.post("/_control/reset").status_code == 204

    assert client.get("/sms/messages", query_string={"phone": PHONE}).json == {"messages": []}
    assert client.get("/_control/faults").json == {"faults": []}


def test_fault_rules_are_listed_consumed_and_cleared(client):
    rule = client.post("/_control/faults", json={"path_prefix": "/sms/", "status": 503, "times": 2}).json

    first = send(client)

    assert first.status_code == 503 and first.json["code"] == "sandbox_fault"
    assert client.get("/_control/faults").json["faults"] == [{**rule, "remaining": 1}]
    assert client.get("/_control/faults").status_code == 200  # control paths are never faulted
    assert client.delete("/_control/faults").status_code == 204
    assert send(client).status_code == 201


@pytest.mark.parametrize(
    "spec",
    [
        {"status": 503},
        {"path_prefix": "sms", "status": 503},
        {"path_prefix": "/sms/", "status": 200},
        {"path_prefix": "/sms/", "status": 503, "times": 0},
        {"path_prefix": "/sms/", "latency_ms": -1},
        {"path_prefix": "/sms/"},
    ],
)
def test_bad_fault_rules_are_refused(client, spec):
    response = client.post("/_control/faults", json=spec)

    assert response.status_code == 400 and response.json["code"] == "invalid_fault"


def test_api_keys_can_be_configured():
    client = Client(create_sandbox_app(api_keys={"sms": "other-key"}))

    assert send(client).status_code == 401
    assert send(client, headers={"X-Api-Key": "other-key"}).status_code == 201
