"""Partners: registered through the admin API, tokens by client credentials, requests signed
as a partner would sign them from docs/partners.md (not with our code), and a partner's
webhook endpoint (a real HTTP receiver) checking signatures independently."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import secrets
import threading
import time
import uuid
from html.parser import HTMLParser
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, quote, urlsplit

import requests
from authlib.integrations.requests_client import OAuth2Session

from .citizens import read_code


def independent_canonical(method, path, query, timestamp, nonce, body: bytes) -> str:
    """The canonical string as a partner would write it from the docs (not our code)."""
    pairs = [tuple(part.split("=", 1)) for part in query.split("&") if part] if query else []
    encoded = "&".join(f"{quote(k, safe='-_.~')}={quote(v, safe='-_.~')}" for k, v in sorted(pairs))
    return f"{method}\n{path}\n{encoded}\n{timestamp}\n{nonce}\n{hashlib.sha256(body).hexdigest()}"


def signed_headers(partner: dict, method: str, path: str, query: str = "", body: bytes = b"", *,
                   timestamp: int | None = None, nonce: str | None = None, secret: str | None = None) -> dict:
    """The X-NHT-AppId/-Timestamp/-Nonce/-Signature headers for one request of ``partner``."""
    timestamp = str(int(time.time()) if timestamp is None else timestamp)
    nonce = nonce or uuid.uuid4().hex
    canonical = independent_canonical(method, path, query, timestamp, nonce, body)
    signature = hmac.new((secret or partner["credentials"]["hmac_secret"]).encode(), canonical.encode(),
                         hashlib.sha256).hexdigest()
    return {"X-NHT-AppId": partner["app_id"], "X-NHT-Timestamp": timestamp, "X-NHT-Nonce": nonce,
            "X-NHT-Signature": signature}


REDIRECT_URI = "https://bank.example.com/oauth/callback"


ADMIN = "/api/v1/admin/partners"


OPERATOR_PHONE = "13900139009"


def register(operator, **overrides) -> dict:
    body = {"name": "佛山农商银行", "purpose": "开立账户时核验身份与证照", "redirect_uris": [REDIRECT_URI],
            "scopes": ["openid", "profile:read", "licences:read", "gov_services:query", "licences:verify"],
            "optional_scopes": ["licences:read", "gov_services:query"]}
    body.update(overrides)
    answer = operator.post(ADMIN, json=body)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def client_credentials(live_server, partner: dict, scope: str = "licences:verify") -> dict:
    session = OAuth2Session(partner["client_id"], partner["credentials"]["client_secret"], scope=scope)
    return session.fetch_token(f"{live_server.url}/oauth/token", grant_type="client_credentials")


def bearer(token: dict | str) -> dict:
    value = token["access_token"] if isinstance(token, dict) else token
    return {"Authorization": f"Bearer {value}"}


class Receiver:
    """A partner's webhook endpoint: records each delivery; answers ``fail`` first with 500."""

    def __init__(self):
        self.received: list[dict] = []
        self.fail = 0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                status = 500 if receiver.fail > 0 else 204
                receiver.fail -= 1
                self.send_response(status)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/nht/webhooks"
        threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True).start()

    def close(self):
        self.server.shutdown()
        self.server.server_close()


def check_signature(secret: str, delivery: dict) -> dict:
    """Verify as a partner would (independently of our code): t=..,v1=HMAC(secret, t + "." + body)."""
    parts = dict(item.split("=", 1) for item in delivery["headers"]["X-NHT-Webhook-Signature"].split(","))
    expected = hmac.new(secret.encode(), parts["t"].encode() + b"." + delivery["body"], hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, parts["v1"])
    assert abs(time.time() - int(parts["t"])) < 60
    return json.loads(delivery["body"])


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
