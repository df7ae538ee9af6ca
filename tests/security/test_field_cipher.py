"""FieldCipher: AES-256-GCM tokens, context binding, tampering, rotation, key handling."""

from __future__ import annotations

import base64

import pytest
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from nanhaitong.security.fields import (
    DecryptionError,
    FieldCipher,
    decode_key,
    encode_key,
    generate_key,
)


def _flip_payload_byte(token: str, index: int) -> str:
    version, kid, payload = token.split(".")
    raw = bytearray(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    raw[index] ^= 0x01
    return f"{version}.{kid}." + base64.urlsafe_b64encode(bytes(raw)).rstrip(b"=").decode()


@pytest.mark.parametrize("plaintext", ["13812345678", "广东省佛山市南海区桂城街道 张三", "", "x" * 5000])
def test_round_trip(cipher: FieldCipher, plaintext: str) -> None:
    token = cipher.encrypt(plaintext, context="users.address")
    assert token.isascii()
    assert cipher.decrypt(token, context="users.address") == plaintext


def test_same_plaintext_gives_distinct_tokens(cipher: FieldCipher) -> None:
    tokens = {cipher.encrypt("13812345678", context="users.phone") for _ in range(20)}
    assert len(tokens) == 20


def test_token_shape(cipher: FieldCipher) -> None:
    token = cipher.encrypt("张三", context="users.name")
    version, kid, payload = token.split(".")
    assert (version, kid) == ("v1", "k1")
    assert "=" not in payload
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert len(raw) == 12 + len("张三".encode()) + 16  # nonce + ciphertext + tag


def test_wrong_context_fails(cipher: FieldCipher) -> None:
    token = cipher.encrypt("13812345678", context="users.phone")
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, context="licences.holder_phone")


@pytest.mark.parametrize("index", [0, 11, 12, -1])  # nonce, last nonce byte, ciphertext, tag
def test_flipped_byte_fails(cipher: FieldCipher, index: int) -> None:
    token = cipher.encrypt("13812345678", context="users.phone")
    with pytest.raises(DecryptionError):
        cipher.decrypt(_flip_payload_byte(token, index), context="users.phone")


def test_malformed_tokens_raise_decryption_error_only(cipher: FieldCipher) -> None:
    good = cipher.encrypt("13812345678", context="users.phone")
    version, kid, payload = good.split(".")
    bad_tokens: list[object] = [
        "",
        "v1",
        "v1.k1",
        "v1.k1.",
        "garbage",
        "....",
        good[:-5],  # truncated tag
        good[: len("v1.k1.") + 10],  # shorter than nonce + tag
        good[: len("v1.k1.") + 1],  # impossible base64 length
        f"v2.{kid}.{payload}",
        f"{version}.{kid}.{payload}.extra",
        f"{version}.{kid}.{payload[:-1]}!",  # foreign character
        f"{version}.{kid}.{payload[:10]} {payload[10:]}",  # b64decode would skip the space
        f"{version}.{kid}.{payload}\n",
        f"{version}.k 1.{payload}",
        f"{version}.{'k' * 33}.{payload}",
        good.encode(),  # bytes, not str
        None,
        12345,
        "v1.k1." + "A" * 4000,
        "v1.k1.\u4e2d\u6587",
    ]
    for bad in bad_tokens:
        with pytest.raises(DecryptionError):
            cipher.decrypt(bad, context="users.phone")  # type: ignore[arg-type]


def test_unknown_kid_fails(cipher: FieldCipher, key_2: bytes) -> None:
    other = FieldCipher({"k9": key_2}, current_kid="k9")
    token = other.encrypt("13812345678", context="users.phone")
    with pytest.raises(DecryptionError):
        cipher.decrypt(token, context="users.phone")


def test_relabelled_kid_fails(key_1: bytes, key_2: bytes) -> None:
    # Same payload under another known kid: wrong key, so the tag check fails.
    both = FieldCipher({"k1": key_1, "k2": key_2}, current_kid="k1")
    token = both.encrypt("13812345678", context="users.phone")
    with pytest.raises(DecryptionError):
        both.decrypt(token.replace("v1.k1.", "v1.k2.", 1), context="users.phone")


def test_key_rotation(key_1: bytes, key_2: bytes) -> None:
    old = FieldCipher({"k1": key_1}, current_kid="k1")
    legacy = old.encrypt("440622199001011232", context="users.id_number")

    rotated = FieldCipher({"k1": key_1, "k2": key_2}, current_kid="k2")
    assert rotated.decrypt(legacy, context="users.id_number") == "440622199001011232"
    assert rotated.needs_rotation(legacy)

    fresh = rotated.encrypt("440622199001011232", context="users.id_number")
    assert fresh.startswith("v1.k2.")
    assert not rotated.needs_rotation(fresh)

    renewed = rotated.reencrypt(legacy, context="users.id_number")
    assert renewed.startswith("v1.k2.")
    assert rotated.decrypt(renewed, context="users.id_number") == "440622199001011232"

    # Once k1 is retired, only re-encrypted values survive.
    retired = FieldCipher({"k2": key_2}, current_kid="k2")
    assert retired.decrypt(renewed, context="users.id_number") == "440622199001011232"
    with pytest.raises(DecryptionError):
        retired.decrypt(legacy, context="users.id_number")


def test_needs_rotation_rejects_malformed(cipher: FieldCipher) -> None:
    with pytest.raises(DecryptionError):
        cipher.needs_rotation("not-a-token")


@pytest.mark.parametrize("key", [b"", b"x" * 16, b"x" * 31, b"x" * 33, b"x" * 64, "x" * 32])
def test_bad_key_length_rejected(key: object) -> None:
    with pytest.raises(ValueError):
        FieldCipher({"k1": key}, current_kid="k1")  # type: ignore[dict-item]


@pytest.mark.parametrize("kid", ["", "k.1", "k 1", "ключ", "k" * 33, "k/1"])
def test_bad_kid_rejected(kid: str, key_1: bytes) -> None:
    with pytest.raises(ValueError):
        FieldCipher({kid: key_1}, current_kid=kid)


def test_current_kid_must_be_present(key_1: bytes) -> None:
    with pytest.raises(ValueError):
        FieldCipher({"k1": key_1}, current_kid="k2")
    with pytest.raises(ValueError):
        FieldCipher({}, current_kid="k1")


def test_empty_context_rejected(cipher: FieldCipher) -> None:
    with pytest.raises(ValueError):
        cipher.encrypt("x", context="")


def test_repr_hides_keys(key_1: bytes) -> None:
    text = repr(FieldCipher({"k1": key_1}, current_kid="k1"))
    assert key_1.hex() not in text and encode_key(key_1) not in text and "k1" in text


def test_independent_decryption_follows_documented_format(cipher: FieldCipher, key_1: bytes) -> None:
    """Decrypt with `cryptography` alone, following the module docstring's format."""
    token = cipher.encrypt("粤B·12345 张三 13812345678", context="users.profile")

    version, kid, payload = token.split(".")
    assert version == "v1" and kid == "k1"
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    nonce, sealed = raw[:12], raw[12:]
    plaintext = AESGCM(key_1).decrypt(nonce, sealed, b"users.profile")

    assert plaintext.decode("utf-8") == "粤B·12345 张三 13812345678"


def test_key_helpers_round_trip() -> None:
    key = generate_key()
    assert isinstance(key, bytes) and len(key) == 32
    assert generate_key() != key
    text = encode_key(key)
    assert text.isascii() and "=" not in text
    assert decode_key(text) == key
    assert decode_key(base64.urlsafe_b64encode(key).decode()) == key  # padded form too


@pytest.mark.parametrize("text", ["", "short", encode_key(b"x" * 16), "!" * 43, encode_key(bytes(32))[:-2] + "*/"])
def test_decode_key_rejects_bad_input(text: str) -> None:
    with pytest.raises(ValueError):
        decode_key(text)


@pytest.mark.parametrize("aead", ["A256GCM", "SM4GCM"])
def test_encrypt_many_is_encrypt_for_each_value(key_1: bytes, aead: str) -> None:
    """The bulk path (a policy fan-out's inbox rows): each value under a nonce of its own,
    tokens any reader decrypts, the same shape as ``encrypt``'s."""
    cipher = FieldCipher({"k1": key_1}, "k1", aead=aead)
    values = ["南海区惠企政策。"] * 50 + ["", "x" * 3000, '{"policy_id": "B1"}']
    tokens = cipher.encrypt_many(values, context="messages.body")
    assert len(set(tokens)) == len(tokens)  # no nonce twice, even for equal values
    assert [cipher.decrypt(token, context="messages.body") for token in tokens] == values
    single = cipher.encrypt("x", context="messages.body")
    assert {t.rsplit(".", 1)[0] for t in tokens} == {single.rsplit(".", 1)[0]}  # v1.k1 / v2.SM4GCM.k1
    with pytest.raises(DecryptionError):
        cipher.decrypt(tokens[0], context="messages.title")
    assert cipher.encrypt_many([], context="messages.body") == []
    with pytest.raises(TypeError):
        cipher.encrypt_many([b"bytes"], context="messages.body")  # type: ignore[list-item]
