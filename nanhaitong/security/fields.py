"""Field-level encryption and keyed blind indexes for personal data.

Token format (what ``FieldCipher.encrypt`` returns and stores in the column)::

    v1.<kid>.<base64url(nonce || ciphertext_with_tag)>          AES-256-GCM
    v2.<alg>.<kid>.<base64url(nonce || ciphertext_with_tag)>    any named AEAD

- ``v1``    AES-256-GCM under the key ``kid`` itself (what the international suite
            writes, unchanged since the first release).
- ``v2``    names its algorithm: ``SM4GCM`` (the national suite) or ``A256GCM``. Under
            ``SM4GCM`` the 16-byte SM4 key is derived from the master key ``kid`` with
            HMAC-SM3 (:func:`nanhaitong.security.suite.derive_key`), so one master key
            never serves two algorithms and switching suites needs no new secret.
- ``kid``   id of the master key, ``[A-Za-z0-9_-]{1,32}``.
- payload   unpadded URL-safe base64 of a random 12-byte nonce followed by the
            AEAD output (ciphertext then the 16-byte tag).

Every token names (or implies) its algorithm, so values written under either suite
decrypt whichever suite is configured; :meth:`FieldCipher.needs_rotation` is true for a
token whose key or algorithm is not the current one (``flask crypto migrate``).
- The *context* (e.g. ``"users.phone"``), UTF-8 encoded, is the GCM associated
  data. It is not stored: the reader must name the same context, so a value
  copied into another column does not decrypt.

Blind index: ``hex(HMAC(key, domain_utf8 || 0x00 || normalised_value_utf8))`` with
HMAC-SHA256 (international) or HMAC-SM3 under a key derived for it (national).
Domains cannot contain NUL, so the domain/value boundary is unambiguous.

Pure module: no Flask. ``EncryptedText`` finds its cipher through a resolver the
application registers with :func:`set_cipher_resolver`.
"""

from __future__ import annotations

import base64
import binascii
import os
import re
import unicodedata
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from cryptography.exceptions import InvalidTag
from sqlalchemy.types import Text, TypeDecorator

from .keytext import B64URL_RE, KEY_BYTES, b64url_decode, decode_key, encode_key, generate_key
from .suite import (
    A256GCM,
    AEAD_KEY_BYTES,
    HMAC_SHA256,
    HMAC_SM3,
    SM4GCM,
    aead_decrypt,
    aead_encrypt,
    aead_sealer,
    derive_key,
    mac_hex,
)

__all__ = [
    "BlindIndex",
    "DecryptionError",
    "EncryptedText",
    "FieldCipher",
    "decode_key",
    "encode_key",
    "generate_key",
    "normalize_id_number",
    "normalize_phone",
    "set_cipher_resolver",
]

TOKEN_VERSION = "v1"
TOKEN_VERSION_NAMED = "v2"
_AEADS = (A256GCM, SM4GCM)
NONCE_BYTES = 12
TAG_BYTES = 16

_KID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_DOMAIN_RE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


class DecryptionError(Exception):
    """A token could not be decrypted: malformed, unknown key, wrong context or tampered.

    Deliberately vague: the message never says which, nor echoes the token.
    """


# --- keys -------------------------------------------------------------------


_b64url_decode = b64url_decode
_B64URL_RE = B64URL_RE


def _check_context(context: str) -> bytes:
    # An empty context would silently remove the column binding.
    if not isinstance(context, str) or not context:
        raise ValueError("context must be a non-empty string, e.g. 'users.phone'")
    return context.encode("utf-8")


# --- encryption -------------------------------------------------------------


class FieldCipher:
    """Field encryption with key rotation by key id and a named algorithm.

    ``keys`` maps key id to a 32-byte master key. New values are encrypted under
    ``current_kid`` with ``aead`` (``A256GCM`` or ``SM4GCM``); any key still in ``keys``
    decrypts, under whichever algorithm its token names. Rotation: add the new key, make
    it current, re-encrypt (see :meth:`reencrypt`), then drop the old one.
    """

    def __init__(self, keys: Mapping[str, bytes], current_kid: str, *, aead: str = A256GCM) -> None:
        if not keys:
            raise ValueError("at least one key is required")
        if aead not in _AEADS:
            raise ValueError(f"unknown field encryption algorithm {aead!r}")
        checked: dict[str, bytes] = {}
        for kid, key in keys.items():
            if not isinstance(kid, str) or not _KID_RE.fullmatch(kid):
                raise ValueError(f"key id must match [A-Za-z0-9_-]{{1,32}}: {kid!r}")
            if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
                raise ValueError(f"key {kid!r} must be {KEY_BYTES} bytes")
            checked[kid] = bytes(key)
        if current_kid not in checked:
            raise ValueError(f"current key id {current_kid!r} is not among the keys")
        # Working keys per (kid, algorithm); the master keys themselves are not kept.
        self._work = {(kid, alg): _working_key(alg, key) for kid, key in checked.items() for alg in _AEADS}
        self._current_kid = current_kid
        self._aead = aead

    @property
    def current_kid(self) -> str:
        return self._current_kid

    @property
    def algorithm(self) -> str:
        return self._aead

    def __repr__(self) -> str:  # never show key material
        kids = sorted({kid for kid, _ in self._work})
        return f"FieldCipher(kids={kids!r}, current_kid={self._current_kid!r}, aead={self._aead!r})"

    def working_key(self, kid: str, alg: str) -> bytes:
        """The key that ``alg`` uses under master key ``kid`` (for independent checks)."""
        return self._work[(kid, alg)]

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """Encrypt ``plaintext`` under the current key and algorithm, bound to ``context``."""
        if not isinstance(plaintext, str):
            raise TypeError("plaintext must be str")
        aad = _check_context(context)
        nonce = os.urandom(NONCE_BYTES)
        sealed = aead_encrypt(self._aead, self._work[(self._current_kid, self._aead)], nonce,
                              plaintext.encode("utf-8"), aad)
        payload = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        if self._aead == A256GCM:
            return f"{TOKEN_VERSION}.{self._current_kid}.{payload}"
        return f"{TOKEN_VERSION_NAMED}.{self._aead}.{self._current_kid}.{payload}"

    def encrypt_many(self, plaintexts: Sequence[str], *, context: str) -> list[str]:
        """``encrypt`` of each value (each under a nonce of its own), the AEAD key set up
        once for all of them: for bulk writes such as a policy fan-out's inbox rows."""
        aad = _check_context(context)
        seal = aead_sealer(self._aead, self._work[(self._current_kid, self._aead)])
        prefix = (f"{TOKEN_VERSION}.{self._current_kid}." if self._aead == A256GCM
                  else f"{TOKEN_VERSION_NAMED}.{self._aead}.{self._current_kid}.")
        nonces = os.urandom(NONCE_BYTES * len(plaintexts))
        encode, tokens = base64.urlsafe_b64encode, []
        for i, plaintext in enumerate(plaintexts):
            if not isinstance(plaintext, str):
                raise TypeError("plaintext must be str")
            nonce = nonces[i * NONCE_BYTES:(i + 1) * NONCE_BYTES]
            payload = encode(nonce + seal(nonce, plaintext.encode("utf-8"), aad)).rstrip(b"=").decode("ascii")
            tokens.append(prefix + payload)
        return tokens

    def decrypt(self, token: str, *, context: str) -> str:
        """Decrypt a token; raise :class:`DecryptionError` for any bad token."""
        aad = _check_context(context)
        alg, kid, raw = self._parse(token)
        key = self._work.get((kid, alg))
        if key is None:
            raise DecryptionError("cannot decrypt value")
        try:
            plaintext = aead_decrypt(alg, key, raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
            return plaintext.decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            raise DecryptionError("cannot decrypt value") from None

    def needs_rotation(self, token: str) -> bool:
        """True when ``token`` was encrypted under another key or algorithm than the current.

        Raises :class:`DecryptionError` if the token is malformed.
        """
        alg, kid, _ = self._parse(token)
        return kid != self._current_kid or alg != self._aead

    def reencrypt(self, token: str, *, context: str) -> str:
        """Return ``token`` re-encrypted under the current key (for rotation jobs)."""
        return self.encrypt(self.decrypt(token, context=context), context=context)

    @staticmethod
    def _parse(token: str) -> tuple[str, str, bytes]:
        if not isinstance(token, str):
            raise DecryptionError("malformed token")
        parts = token.split(".")
        if len(parts) == 3 and parts[0] == TOKEN_VERSION:
            alg, (_, kid, payload) = A256GCM, parts
        elif len(parts) == 4 and parts[0] == TOKEN_VERSION_NAMED and parts[1] in _AEADS:
            _, alg, kid, payload = parts
        else:
            raise DecryptionError("malformed token")
        if not _KID_RE.fullmatch(kid):
            raise DecryptionError("malformed token")
        # urlsafe_b64decode silently skips foreign characters; refuse them instead.
        if not _B64URL_RE.fullmatch(payload):
            raise DecryptionError("malformed token")
        try:
            raw = _b64url_decode(payload)
        except (binascii.Error, ValueError):
            raise DecryptionError("malformed token") from None
        if len(raw) < NONCE_BYTES + TAG_BYTES:
            raise DecryptionError("malformed token")
        return alg, kid, raw


def _working_key(alg: str, master: bytes) -> bytes:
    if alg == A256GCM:
        return master  # the international suite's keys, as they have always been used
    return derive_key(HMAC_SM3, master, f"nht/field/{alg}", AEAD_KEY_BYTES[alg])


# --- blind index ------------------------------------------------------------


def normalize_phone(value: str) -> str:
    """Canonical mainland phone: NFKC, no whitespace or dashes, no +86/86 prefix.

    ``"+86 138-1234-5678"``, ``"8613812345678"`` and ``"１３８１２３４５６７８"`` all
    become ``"13812345678"``. A bare ``86`` is only dropped when 11 digits
    follow, so other numbers are not shortened.
    """
    text = unicodedata.normalize("NFKC", value)  # full-width digits from IMEs
    text = "".join(ch for ch in text if not ch.isspace() and ch != "-")
    if text.startswith("+86"):
        return text[3:]
    if text.startswith("86") and len(text) == 13:
        return text[2:]
    return text


def normalize_id_number(value: str) -> str:
    """Canonical resident ID: NFKC, no whitespace, trailing check letter upper-cased."""
    text = unicodedata.normalize("NFKC", value)
    text = "".join(ch for ch in text if not ch.isspace())
    if text.endswith("x"):
        text = text[:-1] + "X"
    return text


class BlindIndex:
    """Keyed, domain-separated HMAC digests for equality lookups (HMAC-SHA256, or HMAC-SM3
    under a key derived from the same master for it).

    Store ``digest(phone, domain="phone", normalize=normalize_phone)`` next to the
    encrypted column and query by it. Always pass the same normaliser for a
    domain when writing and when looking up, or lookups silently miss.
    """

    def __init__(self, key: bytes, *, alg: str = HMAC_SHA256) -> None:
        if not isinstance(key, bytes | bytearray) or len(key) < KEY_BYTES:
            raise ValueError(f"blind index key must be at least {KEY_BYTES} bytes")
        if alg not in (HMAC_SHA256, HMAC_SM3):
            raise ValueError(f"unknown blind index algorithm {alg!r}")
        self._keys = {HMAC_SHA256: bytes(key), HMAC_SM3: derive_key(HMAC_SM3, bytes(key), "nht/blind-index", 32)}
        self.alg = alg

    def __repr__(self) -> str:
        return "BlindIndex(<key hidden>)"

    def digest(
        self,
        value: str,
        *,
        domain: str,
        normalize: Callable[[str], str] | None = None,
        alg: str | None = None,
    ) -> str:
        """Hex HMAC of ``domain || 0x00 || normalize(value)``, with this index's algorithm
        unless ``alg`` names one (an identifier that must never change, such as a pairwise
        subject, pins its algorithm)."""
        if not isinstance(value, str):
            raise TypeError("value must be str")
        if not isinstance(domain, str) or not _DOMAIN_RE.fullmatch(domain):
            raise ValueError("domain must match [A-Za-z0-9_.:-]{1,64}")
        if normalize is not None:
            value = normalize(value)
        message = domain.encode("utf-8") + b"\x00" + value.encode("utf-8")
        alg = alg or self.alg
        return mac_hex(alg, self._keys[alg], message)


# --- SQLAlchemy column type -------------------------------------------------

_cipher_resolver: Callable[[], FieldCipher] | None = None


def set_cipher_resolver(
    fn: Callable[[], FieldCipher] | None,
) -> Callable[[], FieldCipher] | None:
    """Register how ``EncryptedText`` finds the cipher; returns the previous resolver.

    The app registers ``lambda: current_app.extensions["nht.cipher"]``; tests
    may register their own and restore the returned one afterwards.
    """
    global _cipher_resolver
    previous, _cipher_resolver = _cipher_resolver, fn
    return previous


def _cipher() -> FieldCipher:
    if _cipher_resolver is None:
        raise RuntimeError("no cipher resolver registered; call set_cipher_resolver()")
    return _cipher_resolver()


class EncryptedText(TypeDecorator[str]):
    """A ``Text`` column stored as a ``FieldCipher`` token, bound to ``context``.

    Ciphertexts are randomised, so ``WHERE col = :value`` never matches; look
    values up through a blind-index column instead. ``None`` stays ``NULL``.
    """

    impl = Text
    cache_ok = True

    def __init__(self, context: str) -> None:
        _check_context(context)
        super().__init__()
        self.context = context

    def encrypt_many(self, values: Sequence[str]) -> list[str]:
        """What this column stores for each of ``values``, encrypted in one go: for bulk
        inserts that bypass bind processing (see messages' bulk send)."""
        return _cipher().encrypt_many(values, context=self.context)

    def process_bind_param(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return _cipher().encrypt(value, context=self.context)

    def process_result_value(self, value: Any, dialect: Any) -> str | None:
        if value is None:
            return None
        return _cipher().decrypt(value, context=self.context)

    def __repr__(self) -> str:
        return f"EncryptedText(context={self.context!r})"
