"""Fixtures and plain helpers for the partner-platform tests (issue 9).

Partners are registered through the admin API (or the CLI) as an operator would; OAuth
flows are driven by Authlib's own requests client against the live server over HTTP;
the consent page is driven over HTTP as a browser would (cookies, CSRF field), and in
headless Chromium by test_consent_browser.py.
"""

from __future__ import annotations

import base64
import hashlib
import re
import secrets
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session

from tests.support.citizens import read_code
from tests.support.partners import OPERATOR_PHONE, REDIRECT_URI
from tests.support.settings import APP_SETTINGS
from tests.support.staff import create_staff, sign_in_staff


@pytest.fixture
def app(make_app):
    return make_app(**APP_SETTINGS)


@pytest.fixture
def operator(app, client):
    create_staff(app, OPERATOR_PHONE, "operator")
    return sign_in_staff(app, client, OPERATOR_PHONE)


class _Form(HTMLParser):
    """The hidden fields and the inputs of the consent page's forms."""

    def __init__(self):
        super().__init__()
        self.inputs: list[dict] = []
        self.text: list[str] = []

    def handle_starttag(self, tag, attrs):
        if tag == "input":
            self.inputs.append(dict(attrs))

    def handle_data(self, data):
        self.text.append(data)

    def value(self, name):
        return next(i.get("value") for i in self.inputs if i.get("name") == name)


def parse_page(html: str) -> _Form:
    form = _Form()
    form.feed(html)
    return form


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


def oauth_session(live_server, partner: dict, scope: str = "openid profile:read licences:read", **kw) -> OAuth2Session:
    return OAuth2Session(partner["client_id"], partner["credentials"]["client_secret"], scope=scope,
                         redirect_uri=REDIRECT_URI, code_challenge_method="S256", **kw)


class Browser:
    """The consent page driven over HTTP with a cookie jar, as a browser without scripts would."""

    def __init__(self, app, live_server):
        self.app, self.base = app, live_server.url
        self.http = requests.Session()

    def open(self, url: str) -> requests.Response:
        return self.http.get(url, timeout=10, allow_redirects=False)

    def post(self, url: str, **fields) -> requests.Response:
        return self.http.post(url, data=fields, timeout=10, allow_redirects=False)

    def sign_in(self, url: str, phone: str) -> requests.Response:
        page = self.open(url)
        assert page.status_code == 200, page.text
        csrf = parse_page(page.text).value("csrf_token")
        sent = self.post(url, csrf_token=csrf, action="send_code", phone=phone)
        assert sent.status_code == 200, sent.text
        answer = self.post(url, csrf_token=csrf, action="login", phone=phone, code=read_code(self.app, phone))
        assert answer.status_code == 200, answer.text
        assert "同意授权" in answer.text
        return answer

    def consent(self, url: str, phone: str, *, keep: tuple[str, ...] | None = None, action: str = "approve") -> str:
        """Sign in and approve (ticking ``keep`` of the optional items, all when None); the redirect."""
        page = self.sign_in(url, phone)
        form = parse_page(page.text)
        optional = [i["value"] for i in form.inputs if i.get("name") == "scope_item"]
        ticked = optional if keep is None else [s for s in optional if s in keep]
        answer = self.http.post(url, data={"csrf_token": form.value("csrf_token"), "action": action,
                                           "scope_item": ticked}, timeout=10, allow_redirects=False)
        assert answer.status_code == 302, (answer.status_code, answer.text)
        return answer.headers["Location"]


def authorize_url(live_server, session: OAuth2Session, verifier: str, **extra) -> str:
    url, _state = session.create_authorization_url(f"{live_server.url}/oauth/authorize", code_verifier=verifier,
                                                   **extra)
    return url


def code_flow(app, live_server, partner: dict, phone: str, *, scope: str = "openid profile:read licences:read",
              keep=None) -> tuple[OAuth2Session, dict]:
    """Authorization code + PKCE with Authlib's client; the consent page driven over HTTP."""
    session = oauth_session(live_server, partner, scope=scope)
    verifier = secrets.token_urlsafe(48)
    url = authorize_url(live_server, session, verifier, nonce=secrets.token_urlsafe(8))
    callback = Browser(app, live_server).consent(url, phone, keep=keep)
    assert callback.startswith(REDIRECT_URI), callback
    assert "code" in parse_qs(urlsplit(callback).query), callback
    token = session.fetch_token(f"{live_server.url}/oauth/token", authorization_response=callback,
                                code_verifier=verifier)
    return session, token


def digits(text: str) -> str:
    return re.sub(r"\D", "", text)
