"""Finding 8: two inputs answered 500. JSON nested 50,000 deep (RecursionError in the
parser, before authentication) and a spoofed Host over plain http on /oauth/token
(Authlib's InsecureTransportError raised outside its own error handling)."""

from __future__ import annotations

import requests

DEEP = 50_000


def _deep_body() -> str:
    return "[" * DEEP + "]" * DEEP


def test_deeply_nested_json_is_a_400_before_authentication(app, live_server):
    for path in ("/api/v1/auth/tokens", "/api/v1/admin/partners", "/api/v1/me/password"):  # the last takes PUT: refused before routing all the same
        answer = requests.post(f"{live_server.url}{path}", data=_deep_body(), timeout=30,
                               headers={"Content-Type": "application/json"})
        assert answer.status_code == 400, (path, answer.status_code, answer.text[:300])
        body = answer.json()
        assert body["code"] == "json_too_deep", body
        assert body["details"]["max_depth"] >= 16


def test_deep_brackets_inside_a_string_are_not_nesting(app, live_server):
    body = '{"phone": "' + "[" * 5000 + '", "purpose": "login"}'
    answer = requests.post(f"{live_server.url}/api/v1/auth/sms-codes", data=body, timeout=10,
                           headers={"Content-Type": "application/json"})
    assert answer.status_code == 422, answer.text[:300]


def test_spoofed_host_over_http_on_the_token_endpoint_is_an_oauth_error(app, live_server):
    for path in ("/oauth/token", "/oauth/revoke"):
        answer = requests.post(f"{live_server.url}{path}", timeout=10,
                               headers={"Host": "attacker.example:9999"},
                               data={"grant_type": "client_credentials", "token": "x"},
                               auth=("nhtp_unknown", "secret"))
        assert answer.status_code == 400, (path, answer.status_code, answer.text[:300])
        body = answer.json()
        assert body["error"] == "insecure_transport", body
        assert body["code"] == "insecure_transport" and body["request_id"], body
