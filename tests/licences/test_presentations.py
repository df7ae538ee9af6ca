"""Presentations (亮证, issue 5): a short-lived compact JWS disclosing only the chosen fields,
checked here by an independent JOSE library (jwcrypto) against the JWKS fetched over real
HTTP, and its QR code read back by an independent decoder (zxing-cpp)."""

from __future__ import annotations

import io
import json
import time
from datetime import timedelta

import pytest
import requests
import zxingcpp
from jwcrypto import jwk, jws
from PIL import Image

from nanhaitong.timeutil import china_today
from tests.crypto_suite import international_only
from tests.support.citizens import CHEN, HUANG, LI, OU, verified
from tests.support.errors import assert_error
from tests.support.grants import act_under, create_grant
from tests.support.licences import LICENCES, present, sync, verify

from .conftest import by_type, library_change, with_payload


@pytest.fixture
def chen(sign_in):
    citizen = verified(sign_in, CHEN)
    sync(citizen)
    return citizen


def jwks_over_http(live_server) -> jwk.JWKSet:
    answer = requests.get(f"{live_server.url}/.well-known/jwks.json", timeout=5)
    assert answer.status_code == 200
    return jwk.JWKSet.from_json(answer.text)


def independently_verified(token: str, live_server) -> tuple[dict, dict]:
    """(header, claims) of a token that jwcrypto verified against our published JWKS."""
    signed = jws.JWS()
    signed.deserialize(token)
    header = signed.jose_header
    key = jwks_over_http(live_server).get_key(header["kid"])
    assert key is not None, "the signing key is not published"
    signed.verify(key, alg="ES256")  # raises unless the signature verifies
    return header, json.loads(signed.payload)


def qr_text(png: bytes) -> str:
    [barcode] = zxingcpp.read_barcodes(Image.open(io.BytesIO(png)))
    assert barcode.format == zxingcpp.BarcodeFormat.QRCode
    return barcode.text


@international_only
def test_a_presentation_is_a_compact_jws_an_independent_library_verifies(app, chen, live_server):
    card = by_type(chen, "resident_id_card")
    before = int(time.time())
    shown = present(chen, card["id"], ["holder_name", "sex", "birth_date"], ttl_seconds=90)
    assert shown["disclosed"] == ["birth_date", "holder_name", "sex"] and shown["revoked"] is False
    assert shown["created_at"].endswith("Z") and shown["expires_at"].endswith("Z")
    assert shown["token"].count(".") == 2

    header, claims = independently_verified(shown["token"], live_server)
    assert header["alg"] == "ES256" and header["typ"] == "nht-presentation+jwt"
    assert set(claims) == {"iss", "jti", "iat", "exp", "licence", "disclosed"}  # no holder id
    assert claims["iss"] == app.config["ISSUER"] and claims["jti"] == shown["id"]
    assert before <= claims["iat"] <= int(time.time()) and claims["exp"] - claims["iat"] == 90
    assert claims["disclosed"] == {"holder_name": CHEN.name, "sex": "男", "birth_date": "1985-03-12"}
    assert claims["licence"] == {"type_code": "resident_id_card", "type_name": "居民身份证",
                                 "issuer_name": card["issuer_name"], "valid_until": card["valid_until"]}
    payload = json.dumps(claims, ensure_ascii=False)
    assert CHEN.id_number not in payload and "怡翠花园" not in payload  # undisclosed fields stay out

    # A tampered copy does not verify with the independent library either.
    forged = with_payload(shown["token"], lambda c: c["disclosed"].update(sex="女"))
    with pytest.raises(jws.InvalidJWSSignature):
        independently_verified(forged, live_server)


def test_the_qr_codes_carry_exactly_the_token(app, chen):
    licence = by_type(chen, "driver_licence")
    shown = present(chen, licence["id"], ["vehicle_class", "holder_name", "number"])
    base = f"{LICENCES}/{licence['id']}/presentations/{shown['id']}"
    png = chen.get(f"{base}/qr.png")
    assert png.status_code == 200 and png.mimetype == "image/png" and png.data[:8] == b"\x89PNG\r\n\x1a\n"
    assert qr_text(png.data) == shown["token"]

    svg = chen.get(f"{base}/qr.svg")
    assert svg.status_code == 200 and svg.mimetype == "image/svg+xml"
    text = svg.get_data(as_text=True)
    assert text.lstrip().startswith("<svg") and "http://www.w3.org/2000/svg" in text and text.rstrip().endswith("</svg>")


def test_only_the_holder_gets_the_qr_code_and_the_list(app, chen, sign_in):
    licence = by_type(chen, "driver_licence")
    shown = present(chen, licence["id"], ["vehicle_class"])
    base = f"{LICENCES}/{licence['id']}/presentations"
    huang = verified(sign_in, HUANG)
    for path in (f"{base}/{shown['id']}/qr.png", f"{base}/{shown['id']}/qr.svg", base):
        assert_error(huang.get(path), 404, "licence_not_found")
    assert_error(huang.post(f"{base}/{shown['id']}/revoke"), 404, "licence_not_found")
    assert_error(chen.get(f"{base}/01ARZ3NDEKTSV4RRFFQ69G5FAV/qr.png"), 404, "presentation_not_found")
    card = by_type(chen, "resident_id_card")  # a presentation is reached through its own licence only
    assert_error(chen.get(f"{LICENCES}/{card['id']}/presentations/{shown['id']}/qr.png"), 404,
                 "presentation_not_found")
    assert_error(chen.client.get(f"{base}/{shown['id']}/qr.png"), 401)


def test_the_holder_lists_and_revokes_live_presentations(app, chen, sign_in):
    licence = by_type(chen, "driver_licence")
    base = f"{LICENCES}/{licence['id']}/presentations"
    first = present(chen, licence["id"], ["vehicle_class"])
    second = present(chen, licence["id"], ["holder_name"], ttl_seconds=30)
    listed = chen.get(base)
    assert listed.status_code == 200
    assert [p["id"] for p in listed.get_json()["items"]] == [second["id"], first["id"]]  # newest first
    assert listed.get_json()["items"][1] == first

    huang = verified(sign_in, HUANG)
    assert verify(huang, first["token"])["valid"] is True
    revoked = chen.post(f"{base}/{first['id']}/revoke")
    assert revoked.status_code == 200 and revoked.get_json()["revoked"] is True
    assert verify(huang, first["token"]) == {"valid": False, "reason": "revoked"}  # at once
    assert [p["id"] for p in chen.get(base).get_json()["items"]] == [second["id"]]
    again = chen.post(f"{base}/{first['id']}/revoke")  # revoking twice is harmless
    assert again.status_code == 200 and again.get_json() == revoked.get_json()
    assert verify(huang, second["token"])["valid"] is True  # the other one still works


def test_unknown_or_bad_fields_and_ttls_are_422(app, chen):
    licence = by_type(chen, "driver_licence")
    url = f"{LICENCES}/{licence['id']}/presentations"
    body = assert_error(chen.post(url, json={"fields": ["vehicle_class", "spouse_name"]}), 422, "validation_failed")
    assert "spouse_name" in body["details"]["fields"]["fields"][0]
    for bad in ({"fields": []}, {"fields": ["sex"], "ttl_seconds": 29}, {"fields": ["sex"], "ttl_seconds": 601},
                {"fields": ["sex"], "ttl_seconds": "60"}, {"fields": "sex"}, {"fields": ["sex"], "holder": 1}, {}):
        assert_error(chen.post(url, json=bad), 422, "validation_failed")
    assert chen.get(url).get_json()["items"] == []
    assert_error(chen.post(f"{LICENCES}/01ARZ3NDEKTSV4RRFFQ69G5FAV/presentations", json={"fields": ["sex"]}), 404,
                 "licence_not_found")


def test_a_revoked_or_expired_licence_cannot_be_presented(app, chen):
    licence = by_type(chen, "driver_licence")
    library_change(app, licence["code"], status="revoked")
    sync(chen)
    body = assert_error(chen.post(f"{LICENCES}/{licence['id']}/presentations", json={"fields": ["sex"]}), 422,
                        "validation_failed")
    assert "licence" in body["details"]["fields"]

    card = by_type(chen, "social_security_card")
    library_change(app, card["code"], valid_until=(china_today() - timedelta(days=1)).isoformat())
    sync(chen)
    assert_error(chen.post(f"{LICENCES}/{card['id']}/presentations", json={"fields": ["bank"]}), 422,
                 "validation_failed")


def test_presenting_needs_a_verified_holder_or_a_present_grant(app, chen, sign_in):
    li = verified(sign_in, LI)
    ou = verified(sign_in, OU)
    licence = by_type(chen, "driver_licence")
    read_only = act_under(li, create_grant(chen, {"phone": li.phone}, ["licences:read"])["id"])
    assert_error(read_only.post(f"{LICENCES}/{licence['id']}/presentations", json={"fields": ["sex"]}), 403,
                 "not_authorized")
    presenter = act_under(ou, create_grant(chen, {"phone": ou.phone}, ["licences:read", "licences:present"])["id"])
    shown = present(presenter, licence["id"], ["vehicle_class"])
    assert verify(li, shown["token"])["disclosed"] == {"vehicle_class": "C1"}
