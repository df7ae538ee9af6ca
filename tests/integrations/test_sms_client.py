"""SmsClient against the SMS simulator, over real HTTP."""

from __future__ import annotations

import pytest

from integrations.errors import NonRetryableError, UpstreamRejectedError
from integrations.sms import SmsClient

PHONE = "13800138000"


def test_send_verification_code_is_readable_by_a_tester(sandbox, make_sms_client):
    sms = make_sms_client()

    message_id = sms.send(PHONE, "verification_code", {"code": "123456", "minutes": 5})

    [message] = sandbox.messages(PHONE)
    assert message["id"] == message_id and len(message_id) == 26  # a ULID
    assert message["text"] == "【南海通】您的验证码为123456，5分钟内有效。请勿泄露给他人。"
    assert message["template"] == "verification_code"
    assert message["params"] == {"code": "123456", "minutes": 5}
    assert message["phone"] == PHONE
    assert message["created_at"].endswith("Z")


def test_messages_are_listed_newest_first(sandbox, make_sms_client):
    sms = make_sms_client()
    first = sms.send(PHONE, "notice", {"text": "您的申请已受理。"})
    second = sms.send(PHONE, "notice", {"text": "您的申请已办结。"})

    messages = sandbox.messages(PHONE)

    assert [m["id"] for m in messages] == [second, first]
    assert messages[0]["text"] == "【南海通】您的申请已办结。"
    assert sandbox.messages("13900139000") == []


def test_idempotency_key_sends_once(sandbox, make_sms_client):
    sms = make_sms_client()
    params = {"code": "654321", "minutes": 5}

    first = sms.send(PHONE, "verification_code", params, idempotency_key="login-42")
    again = sms.send(PHONE, "verification_code", params, idempotency_key="login-42")

    assert again == first
    assert len(sandbox.messages(PHONE)) == 1


def test_idempotency_key_reused_for_another_message_is_refused(sandbox, make_sms_client):
    sms = make_sms_client()
    sms.send(PHONE, "notice", {"text": "甲"}, idempotency_key="k-1")

    with pytest.raises(UpstreamRejectedError) as caught:
        sms.send(PHONE, "notice", {"text": "乙"}, idempotency_key="k-1")

    assert caught.value.upstream_code == "idempotency_key_reused"
    assert caught.value.status == 409


@pytest.mark.parametrize(
    ("phone", "template", "params", "code"),
    [
        ("12345", "notice", {"text": "hi"}, "invalid_phone"),
        (PHONE, "marketing", {"text": "hi"}, "invalid_template"),
        (PHONE, "verification_code", {"code": "12"}, "invalid_params"),
    ],
)
def test_refusals_come_back_as_upstream_rejected(sandbox, make_sms_client, phone, template, params, code):
    sms = make_sms_client()

    with pytest.raises(UpstreamRejectedError) as caught:
        sms.send(phone, template, params)

    error = caught.value
    assert error.upstream_code == code
    assert error.upstream == "sms" and error.status == 400
    assert phone not in str(error)
    assert sandbox.messages(PHONE) == []


def test_wrong_api_key_is_non_retryable_not_a_business_refusal(sandbox, make_sms_client):
    sms = make_sms_client(api_key="not-the-key")

    with pytest.raises(NonRetryableError) as caught:
        sms.send(PHONE, "notice", {"text": "hi"})

    assert not isinstance(caught.value, UpstreamRejectedError)
    assert caught.value.status == 401
    assert sms.circuit_state == "closed"


def test_api_key_is_required():
    with pytest.raises(ValueError):
        SmsClient("http://127.0.0.1:1", api_key="", timeout=1)
