"""Finding 6: the partner client-assertion audience and the OIDC discovery document followed
the request's Host: an assertion made for http://localhost:9999/oauth/token was accepted when
sent with "Host: localhost:9999". Now both use NHT_PUBLIC_URL; production refuses other hosts."""

from __future__ import annotations

import time
import uuid

import pytest
import requests
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc import jwt as jose_jwt
from joserfc.jwk import ECKey

from tests.support.partners import register

ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


@pytest.fixture
def app(relaxed_app):
    return relaxed_app


def _es256_partner(operator):
    key = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()))
    public = {**key.as_dict(private=False), "kid": key.thumbprint()}
    return register(operator, auth_method="private_key_jwt", jwks={"keys": [public]}), key


def _assertion(partner, key, audience: str) -> str:
    now = int(time.time())
    claims = {"iss": partner["client_id"], "sub": partner["client_id"], "aud": audience, "iat": now,
              "exp": now + 60, "jti": uuid.uuid4().hex}
    return jose_jwt.encode({"alg": "ES256", "kid": key.thumbprint()}, claims, key)


def _token(live_server, partner, assertion, headers=None):
    return requests.post(f"{live_server.url}/oauth/token", timeout=10, headers=headers or {}, data={
        "grant_type": "client_credentials", "scope": "licences:verify",
        "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion})


def test_an_assertion_for_a_spoofed_host_is_refused(app, live_server, operator):
    partner, key = _es256_partner(operator)
    spoofed = _token(live_server, partner, _assertion(partner, key, "http://localhost:9999/oauth/token"),
                     headers={"Host": "localhost:9999"})
    assert spoofed.status_code in (400, 401) and spoofed.json()["error"] == "invalid_client", spoofed.text
    # The control: the same partner and key, for the configured public URL, is accepted.
    genuine = _token(live_server, partner, _assertion(partner, key, f"{live_server.url}/oauth/token"))
    assert genuine.status_code == 200, genuine.text


def test_discovery_ignores_the_host_header(app, live_server):
    meta = requests.get(f"{live_server.url}/.well-known/openid-configuration", timeout=10,
                        headers={"Host": "attacker.example"}).json()
    for name in ("authorization_endpoint", "token_endpoint", "revocation_endpoint", "jwks_uri", "userinfo_endpoint"):
        assert meta[name].startswith(app.config["PUBLIC_URL"] + "/"), (name, meta[name])
        assert "attacker.example" not in meta[name]


def test_production_refuses_unknown_hosts(make_app, live_server):
    make_app(ENV="production", ALLOW_INSECURE=True, PUBLIC_URL=live_server.url)
    for path in ("/.well-known/openid-configuration", "/api/v1/me"):
        answer = requests.get(f"{live_server.url}{path}", timeout=10,
                              headers={"Host": "attacker.example", "Accept-Language": "en"})
        assert answer.status_code == 400, (path, answer.status_code, answer.text[:200])
        assert answer.json()["code"] == "bad_request" and "not trusted" in answer.json()["message"], answer.text
    assert requests.get(f"{live_server.url}/.well-known/openid-configuration", timeout=10).status_code == 200
