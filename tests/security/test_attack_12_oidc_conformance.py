"""Finding 12: partner OpenID Connect conformance. prompt=none answered a 400 HTML page
instead of redirecting with error=login_required (OIDC Core 3.1.2.6); partners got no
refresh tokens; ID numbers were masked one way in the partner API and another in the
citizen API."""

from __future__ import annotations

import secrets
from urllib.parse import parse_qs, urlsplit

import pytest
import requests

from tests.support.citizens import LI, verified
from tests.support.partners import REDIRECT_URI, Browser, authorize_url, bearer, code_flow, oauth_session, register

SCOPES = ["openid", "offline_access", "profile:read", "licences:read", "gov_services:query", "licences:verify"]


@pytest.fixture
def app(relaxed_app):
    return relaxed_app


def _refresh(live_server, partner, refresh_token):
    return requests.post(f"{live_server.url}/oauth/token", timeout=10,
                         auth=(partner["client_id"], partner["credentials"]["client_secret"]),
                         data={"grant_type": "refresh_token", "refresh_token": refresh_token})


def test_prompt_none_redirects_with_login_required(app, live_server, operator):
    partner = register(operator)
    session = oauth_session(live_server, partner)
    state = secrets.token_urlsafe(8)
    url = authorize_url(live_server, session, secrets.token_urlsafe(48), prompt="none", state=state)
    answer = Browser(app, live_server).open(url)
    assert answer.status_code == 302, (answer.status_code, answer.text[:200])
    location = answer.headers["Location"]
    assert location.startswith(REDIRECT_URI)
    query = parse_qs(urlsplit(location).query)
    assert query["error"] == ["login_required"] and query["state"] == [state], query


def test_prompt_none_when_signed_in_redirects_with_consent_required(app, live_server, operator, sign_in):
    verified(sign_in, LI)
    partner = register(operator)
    session = oauth_session(live_server, partner)
    browser = Browser(app, live_server)
    browser.sign_in(authorize_url(live_server, session, secrets.token_urlsafe(48)), LI.phone)
    url = authorize_url(live_server, session, secrets.token_urlsafe(48), prompt="none")
    answer = browser.open(url)
    assert answer.status_code == 302, (answer.status_code, answer.text[:200])
    assert parse_qs(urlsplit(answer.headers["Location"]).query)["error"] == ["consent_required"]


def test_offline_access_gives_rotating_refresh_tokens_revoked_with_the_consent(app, live_server, operator, sign_in):
    owner = verified(sign_in, LI)
    partner = register(operator, scopes=SCOPES, optional_scopes=["licences:read", "gov_services:query"])
    session, token = code_flow(app, live_server, partner, LI.phone, scope="openid offline_access profile:read")
    first = token["refresh_token"]
    refreshed = _refresh(live_server, partner, first)
    assert refreshed.status_code == 200, refreshed.text
    second = refreshed.json()["refresh_token"]
    assert second != first
    assert requests.get(f"{live_server.url}/open/v1/userinfo", timeout=10,
                        headers=bearer(refreshed.json())).status_code == 200
    # A spent refresh token presented again revokes its whole family, the newest one too.
    assert _refresh(live_server, partner, first).json()["error"] == "invalid_grant"
    assert _refresh(live_server, partner, second).json()["error"] == "invalid_grant"

    # A new consent: its refresh token dies when the user withdraws the consent.
    _session, token = code_flow(app, live_server, partner, LI.phone, scope="openid offline_access profile:read")
    consents = [g for g in owner.get("/api/v1/authorizations?direction=granted").get_json()["items"]
                if g["grantee"]["kind"] == "partner" and g["status"] == "active"]
    for consent in consents:
        assert owner.post(f"/api/v1/authorizations/{consent['id']}/revoke").status_code == 200
    assert _refresh(live_server, partner, token["refresh_token"]).json()["error"] == "invalid_grant"


def test_without_offline_access_there_is_no_refresh_token(app, live_server, operator, sign_in):
    verified(sign_in, LI)
    partner = register(operator, scopes=SCOPES)
    _session, token = code_flow(app, live_server, partner, LI.phone, scope="openid profile:read")
    assert "refresh_token" not in token


def test_one_id_number_masking_rule_for_partner_and_citizen_apis(app, live_server, operator, sign_in):
    owner = verified(sign_in, LI)
    partner = register(operator)
    session, _token = code_flow(app, live_server, partner, LI.phone)
    partner_view = session.get(f"{live_server.url}/open/v1/userinfo", timeout=10).json()["id_number_masked"]
    citizen_view = requests.get(f"{live_server.url}/api/v1/me", headers=owner.headers, timeout=10).json()["id_number"]
    assert partner_view == citizen_view and "*" in partner_view and LI.id_number[1:-1] not in partner_view
