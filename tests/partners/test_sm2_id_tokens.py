"""A partner registered with id_token_signed_response_alg SM2SM3 gets SM2-signed ID tokens
(checked with OpenSSL's command line against our JWKS); every other partner keeps ES256,
under either suite."""

from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess

import jwt
import pytest
from asn1crypto import algos, keys

from tests.support.citizens import LI, verified
from tests.support.partners import code_flow, register


def b64url(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def openssl_verifies(token: str, jwk: dict, tmp_path) -> bool:
    signing_input, signature = token.rsplit(".", 1)
    raw = b64url(signature)
    spki = keys.PublicKeyInfo({"algorithm": {"algorithm": "ec", "parameters": keys.ECDomainParameters(
        name="named", value="1.2.156.10197.1.301")}, "public_key": b"\x04" + b64url(jwk["x"]) + b64url(jwk["y"])})
    body = base64.encodebytes(spki.dump()).decode()
    (tmp_path / "pub.pem").write_text(f"-----BEGIN PUBLIC KEY-----\n{body}-----END PUBLIC KEY-----\n")
    (tmp_path / "sig").write_bytes(algos.DSASignature({"r": int.from_bytes(raw[:32], "big"),
                                                      "s": int.from_bytes(raw[32:], "big")}).dump())
    (tmp_path / "input").write_bytes(signing_input.encode())
    done = subprocess.run(["openssl", "dgst", "-sm3", "-verify", str(tmp_path / "pub.pem"), "-signature",
                           str(tmp_path / "sig"), "-sigopt", "distid:1234567812345678", str(tmp_path / "input")],
                          capture_output=True, timeout=30)
    return done.returncode == 0


@pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command line")
def test_a_partner_registered_for_sm2_gets_sm2_id_tokens_others_keep_es256(app, live_server, operator, sign_in,
                                                                           tmp_path):
    verified(sign_in, LI)
    sm2_partner = register(operator, id_token_signed_response_alg="SM2SM3")
    assert sm2_partner["id_token_signed_response_alg"] == "SM2SM3"
    plain = register(operator, name="南海农商银行")
    assert plain["id_token_signed_response_alg"] == "ES256"

    _, token = code_flow(app, live_server, sm2_partner, LI.phone)
    header = jwt.get_unverified_header(token["id_token"])
    assert header["alg"] == "SM2SM3"
    jwks = app.test_client().get("/.well-known/jwks.json").get_json()["keys"]
    jwk = next(k for k in jwks if k["kid"] == header["kid"])
    assert (jwk["crv"], jwk["alg"]) == ("SM2", "SM2SM3")
    assert openssl_verifies(token["id_token"], jwk, tmp_path)
    claims = json.loads(b64url(token["id_token"].split(".")[1]))
    assert claims["aud"] == [sm2_partner["client_id"]] and claims["iss"] == app.config["ISSUER"]
    sm3 = hashlib.new("sm3", token["access_token"].encode()).digest()
    assert b64url(claims["at_hash"]) == sm3[:16]
    tampered = token["id_token"][:-6] + ("AAAAAA" if not token["id_token"].endswith("AAAAAA") else "BBBBBB")
    assert not openssl_verifies(tampered, jwk, tmp_path)

    _, other = code_flow(app, live_server, plain, LI.phone)
    assert jwt.get_unverified_header(other["id_token"])["alg"] == "ES256"

    # The registration can be changed back.
    changed = operator.client.patch(f"/api/v1/admin/partners/{sm2_partner['id']}", headers=operator.headers,
                             json={"id_token_signed_response_alg": "ES256"})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["id_token_signed_response_alg"] == "ES256"
