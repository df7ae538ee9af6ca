"""Signing keys and /.well-known/jwks.json: a consumer that is not ours verifies our tokens,
keys rotate without logging anyone out, retired keys leave after one token lifetime."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import timedelta

import jwt
import pytest
import requests
from sqlalchemy import select, text

from nanhaitong import db
from nanhaitong.identity import tokens
from nanhaitong.identity.models import SigningKey
from nanhaitong.timeutil import utcnow
from tests.crypto_suite import FIELD_TOKEN_PREFIX, JWK_CURVE, NATIONAL, TOKEN_ALG, international_only
from tests.support.errors import assert_error

JWKS = "/.well-known/jwks.json"
ME = "/api/v1/me"


def header_of(token: str) -> dict:
    return jwt.get_unverified_header(token)


def rfc7638_thumbprint(jwk: dict) -> str:
    # RFC 7638 section 3.2: required members only, lexicographic order, no whitespace.
    canonical = '{"crv":"%s","kty":"%s","x":"%s","y":"%s"}' % (jwk["crv"], jwk["kty"], jwk["x"], jwk["y"])
    return base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()


def refresh(client, citizen) -> dict:
    answer = client.post("/api/v1/auth/tokens", json={"grant_type": "refresh_token",
                                                      "refresh_token": citizen.tokens["refresh_token"]})
    assert answer.status_code == 200, answer.get_json()
    citizen.tokens = answer.get_json()
    return citizen.tokens


def jwks_kids(client) -> set[str]:
    return {key["kid"] for key in client.get(JWKS).get_json()["keys"]}


def test_jwks_is_public_and_well_formed(client, sign_in):
    citizen = sign_in()
    response = client.get(JWKS)
    assert response.status_code == 200 and response.mimetype == "application/json"
    keys = response.get_json()["keys"]
    assert keys
    for key in keys:
        assert set(key) == {"kty", "crv", "x", "y", "kid", "use", "alg"}, key  # never "d"
        assert (key["kty"], key["crv"], key["use"], key["alg"]) == ("EC", JWK_CURVE, "sig", TOKEN_ALG)
        assert key["kid"] == rfc7638_thumbprint(key)
    header = header_of(citizen.tokens["access_token"])
    assert header == {"alg": TOKEN_ALG, "kid": header["kid"], "typ": "at+jwt"}
    assert header["kid"] in {k["kid"] for k in keys}


def test_kid_fits_the_column_and_private_key_is_encrypted_at_rest(app, sign_in):
    sign_in()
    with app.app_context():
        rows = db.session().execute(text("SELECT kid, private_key, public_jwk FROM signing_keys")).all()
    assert rows
    length = SigningKey.__table__.c.kid.type.length
    for kid, private_key, public_jwk in rows:
        assert len(kid) <= length, f"kid of {len(kid)} characters, column holds {length}"
        assert "PRIVATE KEY" not in private_key and private_key.startswith(FIELD_TOKEN_PREFIX)
        assert '"d"' not in public_jwk


@international_only
def test_foreign_jwks_consumer_verifies_our_tokens(app, live_server, sign_in):
    """pyjwt's PyJWKClient, over real HTTP, with no help from our code."""
    citizen = sign_in()
    token = citizen.tokens["access_token"]
    consumer = jwt.PyJWKClient(f"{live_server.url}{JWKS}", cache_keys=False, cache_jwk_set=False)
    signing_key = consumer.get_signing_key_from_jwt(token)
    claims = jwt.decode(token, signing_key.key, algorithms=["ES256"], audience="app", issuer=app.config["ISSUER"])
    me = citizen.get(ME).get_json()
    assert claims["sub"] == me["id"] and claims["loa"] == 1 and claims["sid"] and claims["jti"]
    assert claims["exp"] - claims["iat"] == app.config["ACCESS_TOKEN_TTL_SECONDS"]
    # the consumer is a real verifier: another audience or a changed token fails for it too
    with pytest.raises(jwt.InvalidAudienceError):
        jwt.decode(token, signing_key.key, algorithms=["ES256"], audience="miniprogram")
    head, body, sig = token.split(".")
    with pytest.raises(jwt.InvalidSignatureError):
        jwt.decode(f"{head}.{body}.{sig[:-4]}AAAA", signing_key.key, algorithms=["ES256"], audience="app")


def test_rotation_keeps_old_tokens_and_publishes_both(app, client, live_server, sign_in):
    citizen = sign_in()
    old_token = citizen.tokens["access_token"]
    old_kid = header_of(old_token)["kid"]

    with app.app_context():
        new_kid = tokens.create_signing_key()
    assert new_kid != old_kid

    assert citizen.get(ME).status_code == 200  # issued before the rotation: still good
    new_token = refresh(client, citizen)["access_token"]
    assert header_of(new_token)["kid"] == new_kid
    assert citizen.get(ME).status_code == 200
    assert jwks_kids(client) == {old_kid, new_kid}

    if NATIONAL:  # pyjwt's JWKS client knows no SM2; the OpenSSL check is the national one
        return
    consumer = jwt.PyJWKClient(f"{live_server.url}{JWKS}", cache_keys=False, cache_jwk_set=False)
    for token in (old_token, new_token):
        key = consumer.get_signing_key_from_jwt(token).key
        jwt.decode(token, key, algorithms=["ES256"], audience="app", issuer=app.config["ISSUER"])

    with app.app_context():
        rows = db.session().execute(select(SigningKey).order_by(SigningKey.created_at)).scalars().all()
        assert [(r.kid, r.retired_at is None) for r in rows] == [(old_kid, False), (new_kid, True)]


def test_retired_key_leaves_after_one_token_lifetime(app, client, sign_in):
    citizen = sign_in()
    old_token = citizen.tokens["access_token"]
    old_kid = header_of(old_token)["kid"]
    ttl = app.config["ACCESS_TOKEN_TTL_SECONDS"]
    with app.app_context():
        new_kid = tokens.create_signing_key()

    def retire(seconds_ago: int) -> None:
        with app.app_context():
            db.session().get(SigningKey, old_kid).retired_at = utcnow() - timedelta(seconds=seconds_ago)
            db.session().commit()
            tokens.keyring().forget()  # what the cache's own expiry would do a little later

    retire(ttl - 5)  # retired for less than a token lifetime: still published, still verifies
    assert jwks_kids(client) == {old_kid, new_kid}
    assert client.get(ME, headers={"Authorization": f"Bearer {old_token}"}).status_code == 200

    retire(ttl + 3600)  # long gone: every token it signed has expired
    assert jwks_kids(client) == {new_kid}
    assert_error(client.get(ME, headers={"Authorization": f"Bearer {old_token}"}), 401, "invalid_token")
    # the session itself lives on: a refresh gives a token under the new key
    assert header_of(refresh(client, citizen)["access_token"])["kid"] == new_kid
    assert citizen.get(ME).status_code == 200


def test_rotation_on_one_instance_is_seen_at_once_by_another(make_app):
    """Two API instances on one database. Instance A rotates and signs with the new key;
    instance B, which loaded its key set a moment before, accepts that token at once
    (rotation logs no one out, whichever instance a request lands on). At 0671380 B answered
    401 invalid_token: KeyRing skipped the reload for an unknown kid within 2 s of its last load."""
    from tests.support.citizens import read_code, request_code

    first, second = make_app(), make_app()
    a, b = first.test_client(), second.test_client()
    request_code(a, "13800138002")
    pair = a.post("/api/v1/auth/tokens", json={"grant_type": "sms_code", "phone": "13800138002",
                                               "code": read_code(first, "13800138002"), "client": "app"}).get_json()
    assert b.get(ME, headers={"Authorization": f"Bearer {pair['access_token']}"}).status_code == 200
    # B's key set is as fresh as it gets: loaded just now (independent of this machine's speed)
    with second.app_context():
        tokens.keyring().forget()
        tokens.keyring().jwks()

    with first.app_context():
        new_kid = tokens.create_signing_key()
    fresh = a.post("/api/v1/auth/tokens", json={"grant_type": "refresh_token",
                                                "refresh_token": pair["refresh_token"]}).get_json()
    assert header_of(fresh["access_token"])["kid"] == new_kid
    assert a.get(ME, headers={"Authorization": f"Bearer {fresh['access_token']}"}).status_code == 200
    answer = b.get(ME, headers={"Authorization": f"Bearer {fresh['access_token']}"})
    assert answer.status_code == 200, answer.get_json()
    # and B still refuses kids nobody made
    bogus = fresh["access_token"].split(".")
    header = json.loads(base64.urlsafe_b64decode(bogus[0] + "=" * (-len(bogus[0]) % 4)))
    header["kid"] = "A" * 43
    forged = base64.urlsafe_b64encode(json.dumps(header).encode()).rstrip(b"=").decode()
    assert_error(b.get(ME, headers={"Authorization": f"Bearer {forged}.{bogus[1]}.{bogus[2]}"}), 401, "invalid_token")


def test_jwks_over_real_http_has_json_and_no_private_parts(app, live_server, sign_in):
    sign_in()
    answer = requests.get(f"{live_server.url}{JWKS}", timeout=5)
    assert answer.status_code == 200 and answer.headers["Content-Type"].startswith("application/json")
    text_body = answer.text
    for private_member in ('"d"', '"p"', '"q"', "PRIVATE"):
        assert private_member not in text_body
    assert json.loads(text_body)["keys"]
