"""Secret keys as configuration text: 32 random bytes, written as unpadded URL-safe base64.

Standard library only: the settings read keys with it, and the settings are loaded by
every `flask` command, `--help` included (see nanhaitong.cli_lazy), so it must not pull
in the cryptography or SQLAlchemy that ``security.fields`` needs.
"""

from __future__ import annotations

import base64
import binascii
import os
import re

KEY_BYTES = 32
B64URL_RE = re.compile(r"[A-Za-z0-9_-]+")


def generate_key() -> bytes:
    """Return 32 random bytes, suitable for ``FieldCipher`` and ``BlindIndex``."""
    return os.urandom(KEY_BYTES)


def encode_key(key: bytes) -> str:
    """Encode a key as unpadded URL-safe base64 for configuration."""
    return base64.urlsafe_b64encode(key).rstrip(b"=").decode("ascii")


def decode_key(text: str) -> bytes:
    """Decode a key written by :func:`encode_key` (padding optional); must be 32 bytes."""
    stripped = text.strip().rstrip("=")
    if not B64URL_RE.fullmatch(stripped):
        raise ValueError("key is not URL-safe base64")
    try:
        key = b64url_decode(stripped)
    except (binascii.Error, ValueError):
        raise ValueError("key is not URL-safe base64") from None
    if len(key) != KEY_BYTES:
        raise ValueError(f"key must decode to {KEY_BYTES} bytes, got {len(key)}")
    return key


def b64url_decode(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
