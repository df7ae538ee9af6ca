"""Finding 9: the consent page's cookie had no SameSite (a setdefault on a key Flask already
defines) and carried the phone number readable (signed, not encrypted)."""

from __future__ import annotations

import base64
import json
import zlib

import pytest

from tests.support.partners import Browser, authorize_url, oauth_session, parse_page, pkce_pair, register

PHONE = "13800138001"


@pytest.fixture
def app(relaxed_app):
    return relaxed_app


def _cookie_payload(value: str) -> bytes:
    """What anyone holding the cookie reads: itsdangerous' payload, before the signature."""
    compressed = value.startswith(".")
    payload = value.lstrip(".").split(".")[0]
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    return zlib.decompress(raw) if compressed else raw


def _set_cookie(answer) -> str:
    header = answer.headers.get("Set-Cookie", "")
    assert header.startswith("session="), header
    return header


def test_consent_cookie_is_samesite_lax_httponly_and_hides_the_phone(app, live_server, operator):
    partner = register(operator)
    verifier, _ = pkce_pair()
    url = authorize_url(live_server, oauth_session(live_server, partner), verifier)
    browser = Browser(app, live_server)
    page = browser.open(url)
    header = _set_cookie(page)
    attributes = [part.strip().lower() for part in header.split(";")]
    assert "samesite=lax" in attributes and "httponly" in attributes, header
    assert "secure" not in attributes  # development over http: a Secure cookie would never come back

    csrf = parse_page(page.text).value("csrf_token")
    sent = browser.post(url, csrf_token=csrf, action="send_code", phone=PHONE)
    assert sent.status_code == 200, sent.text
    cookie = browser.http.cookies.get("session")
    readable = _cookie_payload(cookie)
    assert PHONE.encode() not in readable and PHONE[-4:].encode() not in readable, readable
    json.loads(readable)  # it is the session, and the phone is not in it in clear
    # The page itself still works: the phone comes back from the encrypted cookie.
    assert PHONE in sent.text


def test_consent_cookie_is_secure_in_production(make_app, live_server):
    make_app(ENV="production", ALLOW_INSECURE=True, PUBLIC_URL=live_server.url)
    page = Browser(None, live_server).open(f"{live_server.url}/oauth/authorize?client_id=nope")
    attributes = [part.strip().lower() for part in _set_cookie(page).split(";")]
    assert "secure" in attributes and "samesite=lax" in attributes and "httponly" in attributes, attributes
