"""The national suite checked by a second implementation: OpenSSL 3's command line.

- An access token's SM2 signature verifies with ``openssl`` from the key the JWKS
  publishes (the JWK turned into a SubjectPublicKeyInfo here, not by our code), over the
  JWS signing input, with the standard distinguishing identifier.
- A personal-data column written under SM4-GCM decrypts with ``openssl``: the SM4 key is
  derived with ``openssl mac`` (HMAC-SM3) from the configured master key as docs/crypto.md
  says, the ciphertext is decrypted with SM4-CTR and the GCM tag recomputed from SM4-ECB
  blocks and a GHASH written here (Debian's OpenSSL 3.0 has no SM4-GCM of its own).
"""

from __future__ import annotations

import base64
import json
import shutil
import subprocess

import pytest
from asn1crypto import algos, keys
from sqlalchemy import text

from nanhaitong.config import field_keys

pytestmark = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command line")

SM2_CURVE = "1.2.156.10197.1.301"


def b64url(text_: str) -> bytes:
    return base64.urlsafe_b64decode(text_ + "=" * (-len(text_) % 4))


def openssl(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], input=data, capture_output=True, timeout=30)


@pytest.fixture
def national(make_app):
    return make_app(CRYPTO_SUITE="national")


@pytest.fixture
def citizen(national):
    from tests.support.citizens import sign_in_with

    return sign_in_with(national, national.test_client())("13800138031")


def spki_pem_from_jwk(jwk: dict) -> bytes:
    point = b"\x04" + b64url(jwk["x"]) + b64url(jwk["y"])
    spki = keys.PublicKeyInfo({
        "algorithm": {"algorithm": "ec", "parameters": keys.ECDomainParameters(
            name="named", value=SM2_CURVE)},
        "public_key": point,
    })
    body = base64.encodebytes(spki.dump()).decode()
    return f"-----BEGIN PUBLIC KEY-----\n{body}-----END PUBLIC KEY-----\n".encode()


def test_an_access_token_sm2_signature_verifies_with_openssl_from_the_jwks(national, citizen, tmp_path):
    token = citizen.tokens["access_token"]
    header = json.loads(b64url(token.split(".")[0]))
    assert header["alg"] == "SM2SM3"
    jwks = national.test_client().get("/.well-known/jwks.json").get_json()
    jwk = next(k for k in jwks["keys"] if k["kid"] == header["kid"])
    assert (jwk["kty"], jwk["crv"], jwk["alg"]) == ("EC", "SM2", "SM2SM3")

    signing_input, signature = token.rsplit(".", 1)
    raw = b64url(signature)
    assert len(raw) == 64
    der = algos.DSASignature({"r": int.from_bytes(raw[:32], "big"), "s": int.from_bytes(raw[32:], "big")}).dump()
    (tmp_path / "pub.pem").write_bytes(spki_pem_from_jwk(jwk))
    (tmp_path / "sig.der").write_bytes(der)
    (tmp_path / "input").write_bytes(signing_input.encode())
    verify = ["dgst", "-sm3", "-verify", str(tmp_path / "pub.pem"), "-signature", str(tmp_path / "sig.der"),
              "-sigopt", "distid:1234567812345678"]
    ok = openssl(*verify, str(tmp_path / "input"))
    assert ok.returncode == 0 and b"Verified OK" in ok.stdout, ok.stderr

    # The check can fail: another signing input, or another distinguishing id, does not verify.
    (tmp_path / "other").write_bytes(signing_input.encode() + b"x")
    assert openssl(*verify, str(tmp_path / "other")).returncode != 0
    other_id = [*verify[:-1], "distid:1234567812345679"]
    assert openssl(*other_id, str(tmp_path / "input")).returncode != 0


def gf_mult(x: int, y: int) -> int:
    """Multiplication in GF(2^128) as GCM defines it (NIST SP 800-38D, algorithm 1)."""
    r, z, v = 0xE1 << 120, 0, y
    for i in range(127, -1, -1):
        if (x >> i) & 1:
            z ^= v
        v = (v >> 1) ^ r if v & 1 else v >> 1
    return z


def ghash(h: bytes, aad: bytes, ciphertext: bytes) -> bytes:
    def blocks(data: bytes):
        data += b"\x00" * (-len(data) % 16)
        return [data[i:i + 16] for i in range(0, len(data), 16)]

    lengths = (len(aad) * 8).to_bytes(8, "big") + (len(ciphertext) * 8).to_bytes(8, "big")
    y, hh = 0, int.from_bytes(h, "big")
    for block in [*blocks(aad), *blocks(ciphertext), lengths]:
        y = gf_mult(y ^ int.from_bytes(block, "big"), hh)
    return y.to_bytes(16, "big")


def sm4_ecb(key: bytes, block: bytes) -> bytes:
    done = openssl("enc", "-sm4-ecb", "-K", key.hex(), "-nopad", data=block)
    assert done.returncode == 0, done.stderr
    return done.stdout


def test_an_sm4_gcm_field_ciphertext_decrypts_with_openssl(national, citizen, tmp_path):
    with national.extensions["nht.engine"].connect() as conn:
        stored = conn.execute(text("SELECT phone FROM users")).scalar_one()
    version, alg, kid, payload = stored.split(".")
    assert (version, alg) == ("v2", "SM4GCM")
    raw = b64url(payload)
    nonce, ciphertext, tag = raw[:12], raw[12:-16], raw[-16:]

    # The working key, derived by openssl from the configured master key (docs/crypto.md).
    master = dict(field_keys(national.config)[0])[kid]
    derived = openssl("mac", "-digest", "SM3", "-macopt", f"hexkey:{master.hex()}", "HMAC",
                      data=b"nht/field/SM4GCM\x01")
    assert derived.returncode == 0, derived.stderr
    key = bytes.fromhex(derived.stdout.decode().strip())[:16]

    # GCM with a 96-bit nonce: J0 = nonce || 1; the keystream starts at J0 + 1.
    plain = openssl("enc", "-d", "-sm4-ctr", "-K", key.hex(), "-iv", (nonce + b"\x00\x00\x00\x02").hex(),
                    data=ciphertext)
    assert plain.returncode == 0, plain.stderr
    assert plain.stdout == b"13800138031"
    h = sm4_ecb(key, b"\x00" * 16)
    expected_tag = bytes(a ^ b for a, b in zip(sm4_ecb(key, nonce + b"\x00\x00\x00\x01"),
                                               ghash(h, b"users.phone", ciphertext), strict=True))
    assert expected_tag == tag
    # ...and the tag binds the column: under another context it would differ.
    assert bytes(a ^ b for a, b in zip(sm4_ecb(key, nonce + b"\x00\x00\x00\x01"),
                                       ghash(h, b"users.real_name", ciphertext), strict=True)) != tag
