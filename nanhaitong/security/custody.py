"""Key custody: the one interface through which private and master keys are used.

``KeyCustody`` has three operations — ``sign``, ``decrypt``, ``derive`` — which are the
ones a hardware cryptographic module offers (GM/T 0018 SDF: ``SDF_InternalSign_ECC``,
``SDF_InternalDecrypt_ECC``, ``SDF_GenerateKeyWithKEK``/``SDF_HMAC``). Code that needs a
signature, an SM2 decryption or a working key asks the custody; it never does the
arithmetic on key material itself. :class:`SoftwareKeyStore` is the custody used now:
master keys from the settings, private keys loaded (decrypted) from the database. An SDF
custody would keep both inside the module and receive only key references; nothing
outside this module changes then.

Pure module: no Flask.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec

from . import sm2
from .suite import ES256, HMAC_SHA256, SM2SM3, derive_key

__all__ = ["KeyCustody", "SoftwareKeyStore"]


class KeyCustody(Protocol):
    def sign(self, key: Any, alg: str, data: bytes) -> bytes:
        """A DER signature (ECDSA-Sig-Value / SM2Signature) of ``data`` by ``key`` with ``alg``."""

    def decrypt(self, key: Any, ciphertext: bytes) -> bytes:
        """SM2 decryption (GM/T 0009 ``SM2Cipher``) with the private ``key``."""

    def derive(self, master: str, alg: str, label: str, length: int) -> bytes:
        """A working key for ``label`` under the named master key and MAC algorithm."""


class SoftwareKeyStore:
    """Keys in process memory: the embedded and current production custody."""

    name = "software"

    def __init__(self, masters: Mapping[str, bytes], *, sm2_id: bytes = sm2.DEFAULT_ID):
        self._masters = dict(masters)
        self.sm2_id = sm2_id

    def __repr__(self) -> str:
        return f"SoftwareKeyStore(masters={sorted(self._masters)!r})"

    def sign(self, key: Any, alg: str, data: bytes) -> bytes:
        if alg == SM2SM3:
            return key.sign(data, distid=self.sm2_id)
        if alg == ES256:
            return key.sign(data, ec.ECDSA(hashes.SHA256()))
        raise ValueError(f"unknown signature algorithm {alg!r}")

    def decrypt(self, key: Any, ciphertext: bytes) -> bytes:
        return key.decrypt(ciphertext)

    def derive(self, master: str, alg: str, label: str, length: int) -> bytes:
        key = self._masters[master]
        if alg == HMAC_SHA256 and not label:
            return key  # the international suite uses its master keys directly (as always)
        return derive_key(alg, key, label, length)
