"""Finding 7: partner URLs (webhook_url, jwks_uri) accepted http://127.0.0.1, localhost:6379,
[::1], https://10.0.0.1 and https://169.254.169.254, and the server really called them.

Production (and development unless NHT_PARTNER_URLS_ALLOW_LOOPBACK says otherwise) takes
https to public addresses only, and checks the resolved address again when it connects."""

from __future__ import annotations

import socket
import time
import uuid

import pytest
import requests
from joserfc import jwt as jose_jwt

from tests.support.partners import ADMIN, register
from tests.support.staff import create_staff, sign_in_staff

OPERATOR_PHONE = "13900139009"
from tests.security.partner_servers import RawServer, jwks_answer, new_key, public_jwk

BAD_URLS = [
    "http://127.0.0.1/hook",
    "http://localhost:6379/",
    "http://[::1]/hook",
    "https://localhost/hook",
    "https://127.0.0.1/hook",
    "https://10.0.0.1/hook",
    "https://169.254.169.254/latest/meta-data/",
    "https://192.168.1.1/hook",
    "https://[::ffff:127.0.0.1]/hook",
    "https://[fd00::1]/hook",
    "https://0.0.0.0/hook",
    "http://partner.example/hook",  # plain http to anywhere but loopback
]


@pytest.fixture
def production_operator(make_app, live_server):
    app = make_app(ENV="production", ALLOW_INSECURE=True, PUBLIC_URL=live_server.url,
                   TRUSTED_HOSTS=["localhost", "127.0.0.1"], SMS_RESEND_SECONDS=0)
    assert app.config["PARTNER_URLS_ALLOW_LOOPBACK"] is False
    create_staff(app, OPERATOR_PHONE, "operator")
    return app, sign_in_staff(app, app.test_client(), OPERATOR_PHONE)


def test_production_refuses_internal_partner_urls(production_operator):
    _app, operator = production_operator
    partner = register(operator, webhook_url="https://hooks.partner.example/nht")
    for url in BAD_URLS:
        for field in ("webhook_url", "jwks_uri"):
            extra = {"auth_method": "private_key_jwt"} if field == "jwks_uri" else {}
            answer = operator.post(ADMIN, json={"name": "x", "redirect_uris": ["https://bank.example.com/cb"],
                                                "scopes": ["openid"], field: url, **extra})
            assert answer.status_code == 422, (field, url, answer.get_json())
            assert field in answer.get_json()["details"]["fields"], answer.get_json()
        answer = operator.post(f"{ADMIN}/{partner['id']}/webhooks", json={"url": url, "events": ["consent.revoked"]})
        assert answer.status_code == 422, (url, answer.get_json())


def test_development_refuses_loopback_unless_allowed(make_app, live_server):
    app = make_app(PARTNER_URLS_ALLOW_LOOPBACK=False)
    create_staff(app, OPERATOR_PHONE, "operator")
    operator = sign_in_staff(app, app.test_client(), OPERATOR_PHONE)
    for url in ("http://127.0.0.1:6379/", "http://localhost/x", "https://10.0.0.1/"):
        answer = operator.post(ADMIN, json={"name": "x", "redirect_uris": ["https://bank.example.com/cb"],
                                            "scopes": ["openid"], "webhook_url": url})
        assert answer.status_code == 422, (url, answer.get_json())


def test_a_name_that_resolves_to_an_internal_address_is_not_called(production_operator, live_server, monkeypatch):
    """DNS rebinding: the name passed registration; when the call is made it resolves to
    this machine. The connection is refused on the resolved address: nothing reaches it."""
    _app, operator = production_operator
    key = new_key()
    listener = RawServer(jwks_answer([public_jwk(key)]))
    real_getaddrinfo = socket.getaddrinfo

    def rebinding(host, *args, **kwargs):
        if host == "keys.partner.example":
            return real_getaddrinfo("127.0.0.1", *args, **kwargs)
        return real_getaddrinfo(host, *args, **kwargs)

    try:
        partner = register(operator, auth_method="private_key_jwt",
                           jwks_uri=listener.url(host="keys.partner.example", scheme="https"))
        monkeypatch.setattr(socket, "getaddrinfo", rebinding)
        now = int(time.time())
        assertion = jose_jwt.encode({"alg": "ES256", "kid": key.thumbprint()}, {
            "iss": partner["client_id"], "sub": partner["client_id"], "aud": f"{live_server.url}/oauth/token",
            "iat": now, "exp": now + 60, "jti": uuid.uuid4().hex}, key)
        answer = requests.post(f"{live_server.url}/oauth/token", timeout=10, data={
            "grant_type": "client_credentials", "scope": "licences:verify",
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion})
        assert answer.status_code in (400, 401) and answer.json()["error"] == "invalid_client", answer.text
        assert listener.connections == 0, "the server connected to an internal address"
    finally:
        listener.close()
