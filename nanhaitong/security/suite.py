"""The two cryptographic suites and the named primitives they choose between.

``NHT_CRYPTO_SUITE`` picks one suite for everything *written* from now on; everything
*read* names its own algorithm (field ciphertexts, signing keys, audit links), so data
written under the other suite stays readable after a switch.

| purpose | international | national (GM/T) |
| --- | --- | --- |
| field encryption | ``A256GCM`` (AES-256-GCM) | ``SM4GCM`` (SM4-GCM, GB/T 32907) |
| keyed hashes: blind index, audit chain, SMS codes, request signatures | ``HMAC-SHA256`` | ``HMAC-SM3`` (GB/T 32905) |
| access / refresh tokens, presentations | ``ES256`` | ``SM2SM3`` (SM2 over SM3, GB/T 32918) |
| certificates, CRLs, timestamps, seals | ecdsa-with-SHA256 | SM3withSM2 (1.2.156.10197.1.501) |

Pure module: no Flask.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

__all__ = [
    "INTERNATIONAL",
    "NATIONAL",
    "SUITES",
    "Suite",
    "aead_decrypt",
    "aead_encrypt",
    "aead_sealer",
    "derive_key",
    "mac",
    "mac_hex",
]

INTERNATIONAL, NATIONAL = "international", "national"

A256GCM, SM4GCM = "A256GCM", "SM4GCM"
HMAC_SHA256, HMAC_SM3 = "HMAC-SHA256", "HMAC-SM3"
ES256, SM2SM3 = "ES256", "SM2SM3"
AEAD_KEY_BYTES = {A256GCM: 32, SM4GCM: 16}
_MAC_HASH = {HMAC_SHA256: "sha256", HMAC_SM3: "sm3"}


@dataclass(frozen=True)
class Suite:
    name: str
    aead: str
    mac: str
    token_alg: str
    hash: str  # the document / certificate hash: "sha256" or "sm3"


SUITES = {
    INTERNATIONAL: Suite(INTERNATIONAL, A256GCM, HMAC_SHA256, ES256, "sha256"),
    NATIONAL: Suite(NATIONAL, SM4GCM, HMAC_SM3, SM2SM3, "sm3"),
}


def mac(alg: str, key: bytes, message: bytes) -> bytes:
    """HMAC named by ``alg`` (``HMAC-SHA256`` or ``HMAC-SM3``)."""
    try:
        digest = _MAC_HASH[alg]
    except KeyError:
        raise ValueError(f"unknown MAC algorithm {alg!r}") from None
    return hmac.new(key, message, digest).digest()


def mac_hex(alg: str, key: bytes, message: bytes) -> str:
    return mac(alg, key, message).hex()


def sm3(data: bytes) -> bytes:
    return hashlib.new("sm3", data).digest()


def derive_key(alg: str, master: bytes, label: str, length: int) -> bytes:
    """A working key for ``label`` from ``master``: HMAC-based KDF (RFC 5869 expand step,
    one or more blocks) with the MAC named by ``alg``. The national suite derives its
    SM4 and HMAC-SM3 working keys this way from the configured master keys, so switching
    suites needs no new secrets and a master key is never used by two algorithms."""
    out, block, counter = b"", b"", 1
    while len(out) < length:
        block = mac(alg, master, block + label.encode() + bytes([counter]))
        out += block
        counter += 1
    return out[:length]


def aead_encrypt(alg: str, key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """Ciphertext followed by the 16-byte tag."""
    if alg == A256GCM:
        return AESGCM(key).encrypt(nonce, plaintext, aad)
    if alg == SM4GCM:
        enc = Cipher(algorithms.SM4(key), modes.GCM(nonce)).encryptor()
        enc.authenticate_additional_data(aad)
        return enc.update(plaintext) + enc.finalize() + enc.tag
    raise ValueError(f"unknown AEAD algorithm {alg!r}")


def aead_sealer(alg: str, key: bytes):
    """``aead_encrypt`` with ``alg`` and ``key`` bound once: a function of (nonce,
    plaintext, aad), for encrypting many values (the key schedule is not redone per value)."""
    if alg == A256GCM:
        return AESGCM(key).encrypt
    if alg == SM4GCM:
        sm4 = algorithms.SM4(key)

        def seal(nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
            enc = Cipher(sm4, modes.GCM(nonce)).encryptor()
            enc.authenticate_additional_data(aad)
            return enc.update(plaintext) + enc.finalize() + enc.tag

        return seal
    raise ValueError(f"unknown AEAD algorithm {alg!r}")


def aead_decrypt(alg: str, key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    """Inverse of :func:`aead_encrypt`; raises ``cryptography.exceptions.InvalidTag``."""
    if alg == A256GCM:
        return AESGCM(key).decrypt(nonce, sealed, aad)
    if alg == SM4GCM:
        if len(sealed) < 16:
            raise InvalidTag
        dec = Cipher(algorithms.SM4(key), modes.GCM(nonce, sealed[-16:])).decryptor()
        dec.authenticate_additional_data(aad)
        return dec.update(sealed[:-16]) + dec.finalize()
    raise ValueError(f"unknown AEAD algorithm {alg!r}")
