"""Field-level encryption and keyed blind indexes for personal data.

Token format (what ``FieldCipher.encrypt`` returns and stores in the column)::

    v1.<kid>.<base64url(nonce || ciphertext_with_tag)>

- ``v1``    format version; the only one accepted.
- ``kid``   id of the key that encrypted it, ``[A-Za-z0-9_-]{1,32}``.
- payload   unpadded URL-safe base64 of a random 12-byte nonce followed by the
            AES-256-GCM output (ciphertext then the 16-byte tag).
- The *context* (e.g. ``"users.phone"``), UTF-8 encoded, is the GCM associated
  data. It is not stored: the reader must name the same context, so a value
  copied into another column does not decrypt.

Blind index: ``hex(HMAC-SHA256(key, domain_utf8 || 0x00 || normalised_value_utf8))``.
Domains cannot contain NUL, so the domain/value boundary is unambiguous.

Pure module: no Flask. ``EncryptedText`` finds its cipher through a resolver the
application registers with :func:`set_cipher_resolver`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import os
import re
import unicodedata
from collections.abc import Callable, Mapping
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy.types import Text, TypeDecorator

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
KEY_BYTES = 32
NONCE_BYTES = 12
TAG_BYTES = 16

_KID_RE = re.compile(r"[A-Za-z0-9_-]{1,32}")
_B64URL_RE = re.compile(r"[A-Za-z0-9_-]+")
_DOMAIN_RE = re.compile(r"[A-Za-z0-9_.:-]{1,64}")


class DecryptionError(Exception):
    """A token could not be decrypted: malformed, unknown key, wrong context or tampered.

    Deliberately vague: the message never says which, nor echoes the token.
    """


# --- keys -------------------------------------------------------------------


def generate_key() -> bytes:
    """Return 32 random bytes, suitable for ``FieldCipher`` and ``BlindIndex``."""
    return os.urandom(KEY_BYTES)


def encode_key(key: bytes) -> str:
    """Encode a key as unpadded URL-safe base64 for configuration."""
    return base64.urlsafe_b64encode(key).rstrip(b"=").decode("ascii")


def decode_key(text: str) -> bytes:
    """Decode a key written by :func:`encode_key` (padding optional); must be 32 bytes."""
    stripped = text.strip().rstrip("=")
    if not _B64URL_RE.fullmatch(stripped):
        raise ValueError("key is not URL-safe base64")
    try:
        key = _b64url_decode(stripped)
    except (binascii.Error, ValueError):
        raise ValueError("key is not URL-safe base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"key must decode to {KEY_BYTES} bytes, got {len(key)}")
    return key


def _b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _check_context(context: str) -> bytes:
    # An empty context would silently remove the column binding.
    if not isinstance(context, str) or not context:
        raise ValueError("context must be a non-empty string, e.g. 'users.phone'")
    return context.encode("utf-8")


# --- encryption -------------------------------------------------------------


class FieldCipher:
    """AES-256-GCM for single column values, with key rotation by key id.

    ``keys`` maps key id to a 32-byte key. New values are encrypted under
    ``current_kid``; any key still in ``keys`` decrypts, so rotation is: add the
    new key, make it current, re-encrypt (see :meth:`reencrypt`), then drop the
    old one.
    """

    def __init__(self, keys: Mapping[str, bytes], current_kid: str) -> None:
        if not keys:
            raise ValueError("at least one key is required")
        checked: dict[str, AESGCM] = {}
        for kid, key in keys.items():
            if not isinstance(kid, str) or not _KID_RE.fullmatch(kid):
                raise ValueError(f"key id must match [A-Za-z0-9_-]{{1,32}}: {kid!r}")
            if not isinstance(key, bytes | bytearray) or len(key) != KEY_BYTES:
                raise ValueError(f"key {kid!r} must be {KEY_BYTES} bytes")
            checked[kid] = AESGCM(bytes(key))
        if current_kid not in checked:
            raise ValueError(f"current key id {current_kid!r} is not among the keys")
        # Keep only AESGCM objects so the raw keys do not linger on this instance.
        self._aead = checked
        self._current_kid = current_kid

    @property
    def current_kid(self) -> str:
        return self._current_kid

    def __repr__(self) -> str:  # never show key material
        return f"FieldCipher(kids={sorted(self._aead)!r}, current_kid={self._current_kid!r})"

    def encrypt(self, plaintext: str, *, context: str) -> str:
        """Encrypt ``plaintext`` under the current key, bound to ``context``."""
        if not isinstance(plaintext, str):
            raise TypeError("plaintext must be str")
        aad = _check_context(context)
        nonce = os.urandom(NONCE_BYTES)
        sealed = self._aead[self._current_kid].encrypt(nonce, plaintext.encode("utf-8"), aad)
        payload = base64.urlsafe_b64encode(nonce + sealed).rstrip(b"=").decode("ascii")
        return f"{TOKEN_VERSION}.{self._current_kid}.{payload}"

    def decrypt(self, token: str, *, context: str) -> str:
        """Decrypt a token; raise :class:`DecryptionError` for any bad token."""
        aad = _check_context(context)
        kid, raw = self._parse(token)
        aead = self._aead.get(kid)
        if aead is None:
            raise DecryptionError("cannot decrypt value")
        try:
            plaintext = aead.decrypt(raw[:NONCE_BYTES], raw[NONCE_BYTES:], aad)
            return plaintext.decode("utf-8")
        except (InvalidTag, UnicodeDecodeError):
            raise DecryptionError("cannot decrypt value") from None

    def needs_rotation(self, token: str) -> bool:
        """True when ``token`` was encrypted under a key other than the current one.

        Raises :class:`DecryptionError` if the token is malformed.
        """
        kid, _ = self._parse(token)
        return kid != self._current_kid

    def reencrypt(self, token: str, *, context: str) -> str:
        """Return ``token`` re-encrypted under the current key (for rotation jobs)."""
        return self.encrypt(self.decrypt(token, context=context), context=context)

    @staticmethod
    def _parse(token: str) -> tuple[str, bytes]:
        if not isinstance(token, str):
            raise DecryptionError("malformed token")
        parts = token.split(".")
        if len(parts) != 3:
            raise DecryptionError("malformed token")
        version, kid, payload = parts
        if version != TOKEN_VERSION or not _KID_RE.fullmatch(kid):
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
        return kid, raw


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
    """Keyed, domain-separated HMAC-SHA256 digests for equality lookups.

    Store ``digest(phone, domain="phone", normalize=normalize_phone)`` next to the
    encrypted column and query by it. Always pass the same normaliser for a
    domain when writing and when looking up, or lookups silently miss.
    """

    def __init__(self, key: bytes) -> None:
        if not isinstance(key, bytes | bytearray) or len(key) < KEY_BYTES:
            raise ValueError(f"blind index key must be at least {KEY_BYTES} bytes")
        self._key = bytes(key)

    def __repr__(self) -> str:
        return "BlindIndex(<key hidden>)"

    def digest(
        self,
        value: str,
        *,
        domain: str,
        normalize: Callable[[str], str] | None = None,
    ) -> str:
        """Hex HMAC-SHA256 of ``domain || 0x00 || normalize(value)``."""
        if not isinstance(value, str):
            raise TypeError("value must be str")
        if not isinstance(domain, str) or not _DOMAIN_RE.fullmatch(domain):
            raise ValueError("domain must match [A-Za-z0-9_.:-]{1,64}")
        if normalize is not None:
            value = normalize(value)
        message = domain.encode("utf-8") + b"\x00" + value.encode("utf-8")
        return hmac.new(self._key, message, hashlib.sha256).hexdigest()


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
