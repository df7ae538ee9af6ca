"""Verifying a presentation (issue 5): authentic, unexpired, unrevoked, licence still valid;
only the disclosed fields come back; never a 500; every check is in the holder's access log."""

from __future__ import annotations

import base64
import hashlib
import hmac
import time
from datetime import timedelta

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from nanhaitong.identity import tokens
from nanhaitong.timeutil import china_today
from tests.support.citizens import CHEN, HUANG, user_id, verified
from tests.support.errors import assert_error
from tests.support.licences import VERIFICATIONS, present, sync, verify

from .conftest import (
    access_log,
    b64url_json,
    by_type,
    library_change,
    library_drop,
    unb64url_json,
    with_header,
    with_payload,
)


@pytest.fixture
def chen(sign_in):
    citizen = verified(sign_in, CHEN)
    sync(citizen)
    return citizen


@pytest.fixture
def huang(sign_in):
    """The verifier: an officer or a shop, here just another signed-in citizen."""
    return sign_in(HUANG.phone)


@pytest.fixture
def shown(chen):
    licence = by_type(chen, "driver_licence")
    return {"licence": licence, **present(chen, licence["id"], ["holder_name", "vehicle_class"], ttl_seconds=120)}


def sign_with_our_key(app, claims: dict, **header) -> str:
    """A presentation-shaped token signed with the app's own current signing key."""
    with app.app_context():
        kid, private = tokens.keyring().signing_key()
        algorithm = tokens.token_algorithm()
    return jwt.encode(claims, private, algorithm=algorithm,
                      headers={"kid": kid, "typ": "nht-presentation+jwt", **header})


def claims_of(token: str) -> dict:
    return unb64url_json(token.split(".")[1])


def test_a_valid_presentation_shows_only_the_disclosed_fields(app, chen, huang, shown):
    answer = verify(huang, shown["token"])
    assert answer == {
        "valid": True, "reason": None,
        "disclosed": {"holder_name": CHEN.name, "vehicle_class": "C1"},
        "licence": {"type_code": "driver_licence", "type_name": "机动车驾驶证",
                    "issuer_name": shown["licence"]["issuer_name"], "valid_until": None},
        "expires_at": shown["expires_at"],
    }
    assert verify(huang, shown["token"])["valid"] is True  # a token may be checked more than once

    [first, second] = access_log(chen)
    for entry in (first, second):
        assert entry["accessor"]["id"] == user_id(huang) and entry["acting_as"] == "verifier"
        assert (entry["action"], entry["object_type"], entry["object_id"]) == (
            "licences:verify", "licence", shown["licence"]["id"])
        assert CHEN.name not in str(entry) and HUANG.name not in entry["accessor"].get("display", "")
    assert access_log(huang) == []


def test_a_tampered_payload_is_refused(app, chen, huang, shown):
    for change in (lambda c: c["disclosed"].update(vehicle_class="A1"),
                   lambda c: c["disclosed"].update(id_number=CHEN.id_number),
                   lambda c: c.update(exp=c["exp"] + 3600),
                   lambda c: c["licence"].update(valid_until="2099-01-01")):
        answer = verify(huang, with_payload(shown["token"], change))
        assert answer == {"valid": False, "reason": "bad_signature"}
    assert access_log(chen) == []  # nothing authentic was checked


def test_a_tampered_signature_is_refused(app, chen, huang, shown):
    header, payload, signature = shown["token"].split(".")
    middle = len(signature) // 2
    flipped = signature[:middle] + ("A" if signature[middle] != "A" else "B") + signature[middle + 1:]
    assert verify(huang, f"{header}.{payload}.{flipped}") == {"valid": False, "reason": "bad_signature"}
    assert verify(huang, f"{header}.{payload}.") == {"valid": False, "reason": "bad_signature"}
    # A signature by another key, under our key id.
    stranger = ec.generate_private_key(ec.SECP256R1())
    kid = jwt.get_unverified_header(shown["token"])["kid"]
    forged = jwt.encode(claims_of(shown["token"]), stranger, algorithm="ES256",
                        headers={"kid": kid, "typ": "nht-presentation+jwt"})
    assert verify(huang, forged) == {"valid": False, "reason": "bad_signature"}
    # alg "none", or HS256 keyed with anything: the algorithm list is pinned.
    unsigned = with_header(shown["token"], alg="none").rsplit(".", 1)[0] + "."
    assert verify(huang, unsigned) == {"valid": False, "reason": "bad_signature"}
    # Algorithm confusion: HS256 keyed with our published public key.
    with app.app_context():
        public = tokens.keyring().public_key(kid)
        public_pem = (public.public.public_der() if isinstance(public, tokens.SM2Verifier) else public.public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo))
    signing_input = f"{b64url_json({'alg': 'HS256', 'kid': kid, 'typ': 'nht-presentation+jwt'})}.{shown['token'].split('.')[1]}"
    mac = base64.urlsafe_b64encode(hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest())
    assert verify(huang, f"{signing_input}.{mac.rstrip(b'=').decode()}") == {"valid": False, "reason": "bad_signature"}
    assert access_log(chen) == []


def test_an_expired_presentation_is_refused(app, chen, huang, shown):
    claims = claims_of(shown["token"])
    now = int(time.time())
    expired = sign_with_our_key(app, {**claims, "iat": now - 120, "exp": now - 60})
    assert verify(huang, expired) == {"valid": False, "reason": "expired"}
    # The same claims, unexpired, signed the same way, do verify: the expiry made the difference.
    assert verify(huang, sign_with_our_key(app, {**claims, "iat": now, "exp": now + 60}))["valid"] is True


def test_a_token_that_is_no_presentation_is_refused_never_500(app, chen, huang, shown):
    access_token = huang.tokens["access_token"]
    assert verify(huang, access_token) == {"valid": False, "reason": "not_a_presentation"}
    refresh_token = huang.tokens["refresh_token"]
    now = int(time.time())
    unknown = sign_with_our_key(app, {**claims_of(shown["token"]), "jti": "01ARZ3NDEKTSV4RRFFQ69G5FAV",
                                      "iat": now, "exp": now + 60})
    assert verify(huang, unknown) == {"valid": False, "reason": "unknown"}
    garbage = ["garbage", "a.b.c", "...", "eyJhbGciOiJFUzI1NiJ9.e30.", "x" * 8000, refresh_token,
               b64url_json({"typ": "nht-presentation+jwt", "alg": "ES256"}) + ".e30.AAAA",
               with_header(shown["token"], kid="0" * 64), with_header(shown["token"], typ="JWT"),
               "\u4e2d\u6587.\u4e2d.\u6587", shown["token"] + "x", shown["token"].replace(".", "..", 1),
               "e30=.e30.AAAA", "_w.e30.AAAA", b64url_json([[[[]]]]) + ".e30.AAAA",  # padded; not UTF-8; a list
               "W" * 1200 + ".e30.AAAA"]
    for token in garbage:
        answer = verify(huang, token)
        assert answer["valid"] is False and answer["reason"] in ("bad_signature", "not_a_presentation"), (token, answer)
    for body in ({"token": ""}, {}, {"token": 5}, {"token": "x" * 8001}, {"token": "x", "more": 1}):
        assert_error(huang.post(VERIFICATIONS, json=body), 422, "validation_failed")
    assert_error(huang.client.post(VERIFICATIONS, json={"token": shown["token"]}), 401)
    assert access_log(chen) == []


@pytest.mark.parametrize("kid", [12345, ["x"], {"a": 1}, None, True, 1.5])
def test_a_key_id_that_is_no_string_is_refused_never_500(app, huang, shown, kid):
    answer = huang.post(VERIFICATIONS, json={"token": with_header(shown["token"], kid=kid)})
    assert answer.status_code == 200, (answer.status_code, answer.get_json())
    assert answer.get_json()["valid"] is False


def test_a_licence_revoked_at_the_library_after_presenting_fails_verification(app, chen, huang, shown):
    assert verify(huang, shown["token"])["valid"] is True
    library_change(app, shown["licence"]["code"], status="revoked")
    sync(chen)
    assert verify(huang, shown["token"]) == {"valid": False, "reason": "licence_revoked"}
    entries = access_log(chen)
    assert len(entries) == 2 and {e["acting_as"] for e in entries} == {"verifier"}  # the failed check too


def test_a_licence_gone_from_the_library_or_expired_fails_verification(app, chen, huang):
    card = by_type(chen, "social_security_card")
    first = present(chen, card["id"], ["bank"])
    library_change(app, card["code"], valid_until=(china_today() - timedelta(days=1)).isoformat())
    sync(chen)
    assert verify(huang, first["token"]) == {"valid": False, "reason": "licence_expired"}

    marriage = by_type(chen, "marriage_certificate")
    second = present(chen, marriage["id"], ["registration_date"])
    library_drop(app, marriage["code"])
    sync(chen)
    assert verify(huang, second["token"]) == {"valid": False, "reason": "licence_withdrawn"}


def test_a_verification_reads_presentation_and_licence_at_once_without_their_encrypted_columns(app, chen, huang,
                                                                                               shown):
    from sqlalchemy import event

    statements: list[str] = []
    engine = app.extensions["nht.engine"]

    def seen(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    event.listen(engine, "before_cursor_execute", seen)
    try:
        answer = verify(huang, shown["token"])
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert answer["valid"] is True and answer["disclosed"] == {"holder_name": CHEN.name, "vehicle_class": "C1"}
    [read] = [s for s in statements if s.startswith("SELECT") and "licence_presentations" in s]
    assert "JOIN licences" in read
    assert not [s for s in statements if s.startswith("SELECT") and "FROM licences" in s]
    for column in ("licences.number", "licences.holder_name", "licences.fields", "licence_presentations.token"):
        assert column not in read
