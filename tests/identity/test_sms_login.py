"""Signing in by SMS code, tokens, refresh rotation, logout."""

from tests.support.citizens import read_code, request_code


def test_first_login_creates_account_and_me_masks_phone(sign_in):
    citizen = sign_in("13800138001")
    assert citizen.tokens["token_type"] == "Bearer" and citizen.tokens["expires_in"] == 900
    me = citizen.get("/api/v1/me")
    assert me.status_code == 200
    body = me.get_json()
    assert body["phone"] == "138****8001" and body["assurance_level"] == 1
    assert body["real_name"] is None and body["enterprises"] == []


def test_second_login_same_account(sign_in, client, app):
    first = sign_in("13800138001").get("/api/v1/me").get_json()["id"]
    client.application.config["SMS_RESEND_SECONDS"] = 0
    second = sign_in("13800138001").get("/api/v1/me").get_json()["id"]
    assert first == second


def test_refresh_rotates_and_reuse_ends_the_session(sign_in, client):
    citizen = sign_in()
    old = citizen.tokens["refresh_token"]
    refreshed = client.post("/api/v1/auth/tokens", json={"grant_type": "refresh_token", "refresh_token": old})
    assert refreshed.status_code == 200
    new = refreshed.get_json()
    assert new["refresh_token"] != old
    reused = client.post("/api/v1/auth/tokens", json={"grant_type": "refresh_token", "refresh_token": old})
    assert reused.status_code == 401 and reused.get_json()["code"] == "invalid_refresh_token"
    # the whole family is gone: the new refresh token and the access token too
    assert client.post("/api/v1/auth/tokens", json={"grant_type": "refresh_token",
                                                    "refresh_token": new["refresh_token"]}).status_code == 401
    assert client.get("/api/v1/me", headers={"Authorization": f"Bearer {new['access_token']}"}).status_code == 401


def test_logout_ends_access_token_at_once(sign_in):
    citizen = sign_in()
    assert citizen.post("/api/v1/auth/logout").status_code == 204
    after = citizen.get("/api/v1/me")
    assert after.status_code == 401 and after.get_json()["code"] == "session_ended"


def test_code_is_single_use(app, client):
    request_code(client, "13800138002")
    code = read_code(app, "13800138002")
    body = {"grant_type": "sms_code", "phone": "13800138002", "code": code, "client": "app"}
    assert client.post("/api/v1/auth/tokens", json=body).status_code == 200
    replay = client.post("/api/v1/auth/tokens", json=body)
    assert replay.status_code == 401 and replay.get_json()["code"] == "invalid_code"
