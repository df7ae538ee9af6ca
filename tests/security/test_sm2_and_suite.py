"""The SM2 binding against OpenSSL's command line (both directions), the key custody, and
the suite-named field cipher and blind index."""

from __future__ import annotations

import shutil
import subprocess

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

from nanhaitong.security import sm2
from nanhaitong.security.custody import SoftwareKeyStore
from nanhaitong.security.fields import BlindIndex, DecryptionError, FieldCipher
from nanhaitong.security.suite import HMAC_SHA256, HMAC_SM3, SM2SM3, SM4GCM, derive_key

KEY_1, KEY_2 = bytes(range(32)), bytes(range(100, 132))

needs_openssl = pytest.mark.skipif(shutil.which("openssl") is None, reason="needs the openssl command line")


def openssl(*args: str, data: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(["openssl", *args], input=data, capture_output=True, timeout=30)


@pytest.fixture(scope="module")
def key() -> sm2.SM2PrivateKey:
    return sm2.SM2PrivateKey.generate()


def test_sign_verify_and_the_distinguishing_id(key):
    public = key.public_key()
    signature = key.sign(b"message")
    assert public.verify(signature, b"message")
    assert not public.verify(signature, b"messagE")
    assert not public.verify(signature, b"message", distid=b"alice@example")
    assert public.verify(key.sign(b"message", distid=b"alice@example"), b"message", distid=b"alice@example")
    assert sm2.raw_to_der(sm2.der_to_raw(signature)) == signature
    assert not public.verify(b"\x30\x00", b"message") and not public.verify(b"", b"message")


def test_keys_round_trip_and_refuse_what_is_not_sm2(key):
    again = sm2.SM2PrivateKey.from_der(key.private_der())
    assert again.public_point() == key.public_point()
    assert sm2.SM2PublicKey.from_point(*key.public_point()).verify(key.sign(b"x"), b"x")
    p256 = ec.generate_private_key(ec.SECP256R1())
    for der in (b"", b"\x30\x03\x02\x01\x01",
                p256.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)):
        with pytest.raises(sm2.SM2Error):
            sm2.SM2PublicKey.from_der(der)
    with pytest.raises(sm2.SM2Error):
        sm2.SM2PrivateKey.from_der(p256.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8,
                                                      serialization.NoEncryption()))
    with pytest.raises(sm2.SM2Error):
        sm2.raw_to_der(b"\x00" * 64)  # r = s = 0 is no signature


@needs_openssl
def test_openssl_signs_and_we_verify_and_the_other_way_round(key, tmp_path):
    (tmp_path / "key.der").write_bytes(key.private_der())
    assert openssl("pkey", "-inform", "DER", "-in", str(tmp_path / "key.der"), "-out", str(tmp_path / "key.pem")).returncode == 0
    (tmp_path / "pub.der").write_bytes(key.public_der())
    (tmp_path / "data").write_bytes(b"signed by openssl")
    signed = openssl("pkeyutl", "-sign", "-inkey", str(tmp_path / "key.pem"), "-rawin", "-digest", "sm3",
                     "-pkeyopt", "distid:1234567812345678", "-in", str(tmp_path / "data"))
    assert signed.returncode == 0, signed.stderr
    assert key.public_key().verify(signed.stdout, b"signed by openssl")

    (tmp_path / "sig").write_bytes(key.sign(b"signed by openssl"))
    verified = openssl("pkeyutl", "-verify", "-pubin", "-keyform", "DER", "-inkey", str(tmp_path / "pub.der"), "-rawin",
                       "-digest", "sm3", "-pkeyopt", "distid:1234567812345678", "-in", str(tmp_path / "data"),
                       "-sigfile", str(tmp_path / "sig"))
    assert verified.returncode == 0, verified.stdout + verified.stderr


@needs_openssl
def test_sm2_encryption_interoperates_with_openssl(key, tmp_path):
    (tmp_path / "pub.der").write_bytes(key.public_der())
    encrypted = openssl("pkeyutl", "-encrypt", "-pubin", "-keyform", "DER", "-inkey", str(tmp_path / "pub.der"),
                        data=b"a data key")
    assert encrypted.returncode == 0, encrypted.stderr
    custody = SoftwareKeyStore({})
    assert custody.decrypt(key, encrypted.stdout) == b"a data key"
    assert custody.decrypt(key, key.public_key().encrypt(b"ours")) == b"ours"
    with pytest.raises(sm2.SM2Error):
        key.decrypt(encrypted.stdout[:-1] + bytes([encrypted.stdout[-1] ^ 1]))


def test_custody_signs_with_the_configured_id_and_derives_separated_keys(key):
    custody = SoftwareKeyStore({"audit": KEY_1}, sm2_id=b"nanhaitong")
    signature = custody.sign(key, SM2SM3, b"data")
    assert key.public_key().verify(signature, b"data", distid=b"nanhaitong")
    assert not key.public_key().verify(signature, b"data")
    assert custody.derive("audit", HMAC_SHA256, "", 32) == KEY_1  # the international suite's keys as they were
    a, b = custody.derive("audit", HMAC_SM3, "one", 32), custody.derive("audit", HMAC_SM3, "two", 32)
    assert a != b and len(a) == 32 and a == derive_key(HMAC_SM3, KEY_1, "one", 32)
    assert len(derive_key(HMAC_SM3, KEY_1, "long", 80)) == 80


def test_field_tokens_name_their_algorithm_and_both_stay_readable():
    international = FieldCipher({"k1": KEY_1, "k2": KEY_2}, "k1")
    national = FieldCipher({"k1": KEY_1, "k2": KEY_2}, "k2", aead=SM4GCM)
    old = international.encrypt("13812345678", context="users.phone")
    new = national.encrypt("13812345678", context="users.phone")
    assert old.startswith("v1.k1.") and new.startswith("v2.SM4GCM.k2.")
    for cipher in (international, national):  # either suite reads both
        assert cipher.decrypt(old, context="users.phone") == cipher.decrypt(new, context="users.phone") == "13812345678"
    assert national.needs_rotation(old) and not national.needs_rotation(new)
    assert international.needs_rotation(new)
    with pytest.raises(DecryptionError):
        national.decrypt(new, context="users.real_name")
    with pytest.raises(DecryptionError):  # the algorithm named is the one used: no swapping
        national.decrypt(new.replace("v2.SM4GCM.", "v2.A256GCM."), context="users.phone")
    with pytest.raises(DecryptionError):
        national.decrypt(new.replace("SM4GCM", "DES"), context="users.phone")
    with pytest.raises(ValueError):
        FieldCipher({"k1": KEY_1}, "k1", aead="DES")


def test_blind_index_algorithm_follows_the_suite_unless_pinned():
    sha, sm3 = BlindIndex(KEY_1), BlindIndex(KEY_1, alg=HMAC_SM3)
    assert sha.digest("x", domain="phone") != sm3.digest("x", domain="phone")
    assert sm3.digest("x", domain="phone", alg=HMAC_SHA256) == sha.digest("x", domain="phone")
    assert len(sm3.digest("x", domain="phone")) == 64


def test_the_suite_setting_is_checked(tmp_path):
    from nanhaitong.config import ConfigError, load

    base = {"DATA_DIR": str(tmp_path)}
    assert load(base, environ={})["CRYPTO_SUITE"] == "international"
    assert load(base, environ={"NHT_CRYPTO_SUITE": "national"})["CRYPTO_SUITE"] == "national"
    with pytest.raises(ConfigError, match="NHT_CRYPTO_SUITE"):
        load(base, environ={"NHT_CRYPTO_SUITE": "sm"})
    with pytest.raises(ConfigError, match="NHT_SM2_ID"):
        load(base, environ={"NHT_SM2_ID": ""})
