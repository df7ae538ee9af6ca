"""Partners: registered through the admin API, tokens by client credentials, requests signed
as a partner would sign them from docs/partners.md (not with our code), and a partner's
webhook endpoint (a real HTTP receiver) checking signatures independently."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
import uuid
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import quote

from authlib.integrations.requests_client import OAuth2Session


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
