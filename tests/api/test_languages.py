"""Chinese by default, English on request: the same answer, the same code, another language."""

from __future__ import annotations

import re

import pytest

CJK = re.compile(r"[\u4e00-\u9fff]")
# Three English words in a row make a sentence; identifiers (snake_case, scope names,
# header names, values echoed back) are single tokens and may stay.
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}\b")
ULID = "01HZY3M9Q6X4V8T2N5R7K0B1CD"
BAD_REQUEST = {"grant_type": "sms_code", "phone": "12345", "code": "12", "client": "app", "colour": "red"}


# RFC 6749 §5.2: an OAuth error_description is for OAuth libraries, in these characters
# (English, docs/decisions/0002); the person's language is in message.
RFC6749_DESCRIPTION = re.compile(r"[\x20\x21\x23-\x5b\x5d-\x7e]+")


def _texts(body) -> list[str]:
    """What a person may be shown: the message, every field message."""
    found = []
    if isinstance(body, dict):
        if isinstance(body.get("message"), str):
            found.append(body["message"])
        fields = (body.get("details") or {}).get("fields") if isinstance(body.get("details"), dict) else None
        stack = [fields]
        while stack:
            item = stack.pop()
            if isinstance(item, str):
                found.append(item)
            elif isinstance(item, dict):
                stack.extend(item.values())
            elif isinstance(item, list):
                stack.extend(item)
    return found


def assert_chinese(response, where: str) -> None:
    assert response.headers.get("Content-Language") == "zh-CN", (where, dict(response.headers))
    body = response.get_json(silent=True)
    texts = _texts(body)
    assert texts, (where, response.status_code, response.get_data(as_text=True)[:300])
    if isinstance(body, dict) and "error_description" in body:
        assert RFC6749_DESCRIPTION.fullmatch(body["error_description"]), (where, body["error_description"])
    for text in texts:
        assert CJK.search(text), (where, response.status_code, text)
        assert not ENGLISH_SENTENCE.search(text), (where, response.status_code, text)


def test_the_same_bad_request_in_chinese_by_default_and_english_on_request(client):
    chinese = client.post("/api/v1/auth/tokens", json=BAD_REQUEST)
    english = client.post("/api/v1/auth/tokens", json=BAD_REQUEST, headers={"Accept-Language": "en"})
    asked = client.post("/api/v1/auth/tokens", json=BAD_REQUEST, headers={"Accept-Language": "zh-CN,zh;q=0.9"})
    assert chinese.status_code == english.status_code == asked.status_code == 422
    assert chinese.json["code"] == english.json["code"] == asked.json["code"] == "validation_failed"
    assert set(chinese.json["details"]["fields"]) == set(english.json["details"]["fields"]) == {"phone", "code", "colour"}
    assert chinese.json == asked.json | {"request_id": chinese.json["request_id"]}

    assert chinese.headers["Content-Language"] == "zh-CN" and english.headers["Content-Language"] == "en"
    assert "Accept-Language" in chinese.headers["Vary"]
    assert chinese.json["message"] == "部分字段填写有误。"
    assert english.json["message"] == "Some fields are not valid."
    assert chinese.json["details"]["fields"]["colour"] == ["未知字段。"]
    assert english.json["details"]["fields"]["colour"] == ["Unknown field."]
    assert chinese.json["details"]["fields"]["code"] == ["验证码为6位数字。"]
    assert english.json["details"]["fields"]["code"] == ["The code is 6 digits."]
    assert_chinese(chinese, "POST /api/v1/auth/tokens")


@pytest.mark.parametrize("accept, language", [("en-US,en;q=0.8", "en"), ("en-GB", "en"), ("zh", "zh-CN"),
                                              ("zh-TW", "zh-CN"), ("fr-FR", "zh-CN"), ("*", "zh-CN"), ("", "zh-CN")])
def test_accept_language_is_negotiated(client, accept, language):
    answer = client.get("/api/v1/no-such-path", headers={"Accept-Language": accept} if accept else {})
    assert answer.status_code == 404 and answer.json["code"] == "not_found"
    assert answer.headers["Content-Language"] == language
    assert bool(CJK.search(answer.json["message"])) == (language == "zh-CN")


def test_templates_filled_by_a_library_come_back_filled_in_chinese(client):
    # marshmallow fills "Length must be between {min} and {max}." before we see it; the
    # ID number's reason is itself a message.
    answer = client.post("/api/v1/auth/tokens", json={"grant_type": "password", "phone": "13800138001",
                                                      "password": "", "client": "app"})
    assert answer.status_code == 422, answer.json
    english = client.post("/api/v1/auth/tokens", headers={"Accept-Language": "en"},
                          json={"grant_type": "password", "phone": "13800138001", "password": "", "client": "app"})
    assert english.json["details"]["fields"]["password"] == ["Length must be between 1 and 128."] or \
        english.json["details"]["fields"]["password"][0].startswith(("Length", "Shorter"))
    assert CJK.search(answer.json["details"]["fields"]["password"][0])
    assert re.search(r"\d", answer.json["details"]["fields"]["password"][0])  # the bound is kept


def test_werkzeug_errors_answer_in_chinese(make_app):
    client = make_app(MAX_BODY_BYTES=2048).test_client()
    requests = {
        404: ("GET", "/api/v1/no-such-thing", {}),
        405: ("DELETE", "/api/v1/auth/sms-codes", {}),
        413: ("POST", "/api/v1/auth/sms-codes", {"data": "x" * 4096, "content_type": "application/json"}),
        415: ("POST", "/api/v1/auth/sms-codes", {"data": "phone=1", "content_type": "text/plain"}),
        400: ("POST", "/api/v1/auth/sms-codes", {"data": "{not json", "content_type": "application/json"}),
    }
    for status, (method, path, kw) in requests.items():
        chinese = client.open(path, method=method, **kw)
        assert chinese.status_code == status, (status, chinese.json)
        assert_chinese(chinese, f"werkzeug {status}")
        english = client.open(path, method=method, headers={"Accept-Language": "en"}, **kw)
        assert english.status_code == status and english.json["code"] == chinese.json["code"]
        assert not CJK.search(english.json["message"]) and english.headers["Content-Language"] == "en"


def test_rate_limits_answer_in_chinese(make_app):
    client = make_app(RATELIMIT_DEFAULT="2 per minute").test_client()
    answers = [client.post("/api/v1/auth/sms-codes", json={"phone": "1"}) for _ in range(3)]
    limited = answers[-1]
    assert limited.status_code == 429 and limited.json["code"] == "rate_limited", limited.json
    assert_chinese(limited, "429")


def _operations(spec: dict):
    for path, item in spec["paths"].items():
        for method, operation in item.items():
            if method in ("get", "post", "put", "patch", "delete") and isinstance(operation, dict):
                yield path, method, operation


def test_no_documented_error_reaches_a_chinese_client_in_english(make_app, sign_in):
    """Every operation of the OpenAPI document, provoked into the errors it documents."""
    app = make_app(MAX_BODY_BYTES=4096)
    client = app.test_client()
    spec = app.extensions["nht.api"].spec.to_dict()
    citizen = sign_in()
    seen: set[int] = set()
    for path, method, operation in _operations(spec):
        documented = {int(code) for code in operation["responses"] if code.isdigit() and int(code) >= 400}
        url = re.sub(r"\{[^}]+\}", ULID, path)
        where = f"{method.upper()} {path}"
        attempts = [{}]  # no credentials
        attempts.append({"headers": citizen.headers})
        if operation.get("requestBody"):
            attempts.append({"headers": citizen.headers, "json": {"__unknown__": 1}})
            if 415 in documented:
                attempts.append({"headers": citizen.headers, "data": "x", "content_type": "text/plain"})
            if 413 in documented:
                attempts.append({"headers": citizen.headers, "data": "x" * 8192, "content_type": "application/json"})
            if 400 in documented:
                attempts.append({"headers": citizen.headers, "data": "{", "content_type": "application/json"})
        for attempt in attempts:
            answer = client.open(url, method=method.upper(), **attempt)
            body = answer.get_json(silent=True) if answer.status_code >= 400 else None
            # Our error shape, or OAuth's; payment gateways' callbacks answer in their
            # own protocol ({"code": "FAIL", "message": reason}), read by machines.
            if not isinstance(body, dict) or not ({"request_id", "error_description"} & set(body)):
                continue
            seen.add(answer.status_code)
            assert_chinese(answer, where)
    # The walk provoked the errors that matter to an app, not only the first refusal.
    assert {400, 401, 404, 413, 415, 422} <= seen, seen


@pytest.mark.parametrize("fault, status, code", [
    ({"status": 503}, 503, "upstream_unavailable"),
    ({"status": 401}, 502, "upstream_failed"),
    ({"latency_ms": 2500}, 504, "upstream_timeout"),
])
def test_upstream_trouble_answers_in_chinese(make_app, fault, status, code):
    import requests

    app = make_app(UPSTREAM_TIMEOUT_SECONDS=1)
    client = app.test_client()
    faults = f"{app.config['SANDBOX_URL']}/_control/faults"
    assert requests.post(faults, json={"path_prefix": "/sms/", "times": 20, **fault}, timeout=5).status_code < 300
    answer = client.post("/api/v1/auth/sms-codes", json={"phone": "13800138031", "purpose": "login"})
    assert answer.status_code == status and answer.json["code"] == code, answer.json
    assert_chinese(answer, f"upstream {status}")
    english = client.post("/api/v1/auth/sms-codes", json={"phone": "13800138032", "purpose": "login"},
                          headers={"Accept-Language": "en"})
    assert english.json["code"] == code and not CJK.search(english.json["message"])
