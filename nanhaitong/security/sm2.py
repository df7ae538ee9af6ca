"""SM2 signatures over SM3 (GB/T 32918, GM/T 0003), from the system's OpenSSL 3 libcrypto.

Why this binding (docs/decisions/0001-sm2-implementation.md): OpenSSL 3 is a maintained C
implementation with constant-time scalar multiplication for secret scalars, Debian ships
security fixes for it, the distinguishing identifier is settable, and the ``openssl``
command line that our tests use as the independent check is the same code path under
another process. The ``cryptography`` package offers SM3 and SM4 but no SM2.

The binding is small and typed on purpose: keys are opaque ``EVP_PKEY`` handles owned by
:class:`SM2PrivateKey` / :class:`SM2PublicKey` and freed with them; only DER goes in and
out (SEC 1 ``ECPrivateKey`` inside PKCS #8 for private keys, ``SubjectPublicKeyInfo`` for
public ones, ``SM2Signature ::= SEQUENCE { r INTEGER, s INTEGER }`` for signatures).

Pure module: no Flask.
"""

from __future__ import annotations

import base64
import ctypes
import ctypes.util
import threading

__all__ = [
    "DEFAULT_ID",
    "SM2_CURVE_OID",
    "SM2Error",
    "SM2PrivateKey",
    "SM2PublicKey",
    "available",
    "der_to_raw",
    "raw_to_der",
]

DEFAULT_ID = b"1234567812345678"  # GM/T 0009-2012 section 10: the default distinguishing identifier
SM2_CURVE_OID = "1.2.156.10197.1.301"
_N = 0xFFFFFFFEFFFFFFFFFFFFFFFFFFFFFFFF7203DF6B21C6052B53BBF40939D54123


_ARMOUR = "-----{} {}-----"


class SM2Error(Exception):
    """A key or signature could not be used (malformed, wrong curve, library missing)."""


def _load():
    for name in ("libcrypto.so.3", ctypes.util.find_library("crypto")):
        if not name:
            continue
        try:
            lib = ctypes.CDLL(name)
        except OSError:
            continue
        if lib.OpenSSL_version_num() >= 0x30000000:
            return lib
    return None


_lib = None
_lib_lock = threading.Lock()
_vp, _int, _sz = ctypes.c_void_p, ctypes.c_int, ctypes.c_size_t


def _crypto():
    global _lib
    if _lib is not None:
        return _lib
    with _lib_lock:
        if _lib is None:
            lib = _load()
            if lib is None:
                raise SM2Error("OpenSSL 3 libcrypto is not available")
            lib.OpenSSL_version_num.restype = ctypes.c_ulong
            sigs = {
                "EVP_PKEY_CTX_new_from_name": (_vp, [_vp, ctypes.c_char_p, ctypes.c_char_p]),
                "EVP_PKEY_CTX_new": (_vp, [_vp, _vp]),
                "EVP_PKEY_CTX_free": (None, [_vp]),
                "EVP_PKEY_keygen_init": (_int, [_vp]),
                "EVP_PKEY_generate": (_int, [_vp, ctypes.POINTER(_vp)]),
                "EVP_PKEY_free": (None, [_vp]),
                "EVP_PKEY_CTX_set1_id": (_int, [_vp, ctypes.c_char_p, _sz]),
                "EVP_MD_CTX_new": (_vp, []),
                "EVP_MD_CTX_free": (None, [_vp]),
                "EVP_MD_CTX_set_pkey_ctx": (None, [_vp, _vp]),
                "EVP_sm3": (_vp, []),
                "EVP_DigestSignInit": (_int, [_vp, _vp, _vp, _vp, _vp]),
                "EVP_DigestSign": (_int, [_vp, ctypes.c_char_p, ctypes.POINTER(_sz), ctypes.c_char_p, _sz]),
                "EVP_DigestVerifyInit": (_int, [_vp, _vp, _vp, _vp, _vp]),
                "EVP_DigestVerify": (_int, [_vp, ctypes.c_char_p, _sz, ctypes.c_char_p, _sz]),
                "EVP_PKEY_encrypt_init": (_int, [_vp]),
                "EVP_PKEY_encrypt": (_int, [_vp, ctypes.c_char_p, ctypes.POINTER(_sz), ctypes.c_char_p, _sz]),
                "EVP_PKEY_decrypt_init": (_int, [_vp]),
                "EVP_PKEY_decrypt": (_int, [_vp, ctypes.c_char_p, ctypes.POINTER(_sz), ctypes.c_char_p, _sz]),
                "d2i_AutoPrivateKey": (_vp, [_vp, ctypes.POINTER(ctypes.c_char_p), ctypes.c_long]),
                "d2i_PUBKEY": (_vp, [_vp, ctypes.POINTER(ctypes.c_char_p), ctypes.c_long]),
                "i2d_PUBKEY": (_int, [_vp, ctypes.POINTER(ctypes.c_char_p)]),
                "i2d_PrivateKey": (_int, [_vp, ctypes.POINTER(ctypes.c_char_p)]),
                "EVP_PKEY_is_a": (_int, [_vp, ctypes.c_char_p]),
                "CRYPTO_free": (None, [_vp, ctypes.c_char_p, _int]),
                "ERR_clear_error": (None, []),
            }
            for name, (restype, argtypes) in sigs.items():
                fn = getattr(lib, name)
                fn.restype, fn.argtypes = restype, argtypes
            _lib = lib
    return _lib


def available() -> bool:
    """True when an OpenSSL 3 libcrypto with SM2 can be loaded."""
    try:
        _crypto()
    except SM2Error:
        return False
    return True


class _Key:
    __slots__ = ("_pkey",)

    def __init__(self, pkey: int):
        self._pkey = pkey

    def __del__(self):
        pkey, self._pkey = getattr(self, "_pkey", None), None
        if pkey and _lib is not None:
            _lib.EVP_PKEY_free(pkey)

    def _i2d(self, fn) -> bytes:
        lib = _crypto()
        out = ctypes.c_char_p()
        length = fn(self._pkey, ctypes.byref(out))
        if length <= 0:
            lib.ERR_clear_error()
            raise SM2Error("cannot encode key")
        try:
            return ctypes.string_at(out, length)
        finally:
            lib.CRYPTO_free(ctypes.cast(out, _vp), b"sm2.py", 0)

    def _md_ctx(self, distid: bytes, init_name: str):
        lib = _crypto()
        mctx = lib.EVP_MD_CTX_new()
        pctx = lib.EVP_PKEY_CTX_new(self._pkey, None)
        if not mctx or not pctx:
            lib.EVP_MD_CTX_free(mctx)
            lib.EVP_PKEY_CTX_free(pctx)
            raise SM2Error("out of memory")
        if lib.EVP_PKEY_CTX_set1_id(pctx, distid, len(distid)) != 1:
            lib.EVP_MD_CTX_free(mctx)
            lib.EVP_PKEY_CTX_free(pctx)
            lib.ERR_clear_error()
            raise SM2Error("cannot set the distinguishing identifier")
        lib.EVP_MD_CTX_set_pkey_ctx(mctx, pctx)
        if getattr(lib, init_name)(mctx, None, lib.EVP_sm3(), None, self._pkey) != 1:
            lib.EVP_MD_CTX_free(mctx)
            lib.EVP_PKEY_CTX_free(pctx)
            lib.ERR_clear_error()
            raise SM2Error("cannot start SM2 with SM3")
        return mctx, pctx

    def public_der(self) -> bytes:
        """``SubjectPublicKeyInfo`` DER (id-ecPublicKey, curve sm2p256v1)."""
        return self._i2d(_crypto().i2d_PUBKEY)

    def public_point(self) -> tuple[int, int]:
        """The public point's affine coordinates."""
        der = self.public_der()
        point = der[-65:]  # the BIT STRING's uncompressed point 04 || X || Y ends the SPKI
        if point[0] != 4:
            raise SM2Error("unexpected public key encoding")
        return int.from_bytes(point[1:33], "big"), int.from_bytes(point[33:], "big")

    def verify(self, signature: bytes, data: bytes, *, distid: bytes = DEFAULT_ID) -> bool:
        """True when ``signature`` (DER ``SM2Signature``) is valid for ``data``."""
        lib = _crypto()
        mctx, pctx = self._md_ctx(distid, "EVP_DigestVerifyInit")
        try:
            ok = lib.EVP_DigestVerify(mctx, signature, len(signature), data, len(data))
        finally:
            lib.EVP_MD_CTX_free(mctx)
            lib.EVP_PKEY_CTX_free(pctx)
        if ok != 1:
            lib.ERR_clear_error()
        return ok == 1

    def encrypt(self, plaintext: bytes) -> bytes:
        """SM2 public-key encryption (GM/T 0009 ASN.1 ``SM2Cipher``, C1 C3 C2)."""
        lib = _crypto()
        ctx = lib.EVP_PKEY_CTX_new(self._pkey, None)
        try:
            if lib.EVP_PKEY_encrypt_init(ctx) != 1:
                raise SM2Error("cannot start SM2 encryption")
            size = _sz(0)
            lib.EVP_PKEY_encrypt(ctx, None, ctypes.byref(size), plaintext, len(plaintext))
            out = ctypes.create_string_buffer(size.value)
            if lib.EVP_PKEY_encrypt(ctx, out, ctypes.byref(size), plaintext, len(plaintext)) != 1:
                raise SM2Error("SM2 encryption failed")
            return out.raw[: size.value]
        finally:
            lib.EVP_PKEY_CTX_free(ctx)
            lib.ERR_clear_error()


class SM2PublicKey(_Key):
    """An SM2 public key."""

    __slots__ = ()

    @classmethod
    def from_der(cls, der: bytes) -> SM2PublicKey:
        lib = _crypto()
        buf = ctypes.c_char_p(der)
        pkey = lib.d2i_PUBKEY(None, ctypes.byref(buf), len(der))
        if not pkey:
            lib.ERR_clear_error()
            raise SM2Error("not an SM2 public key")
        key = cls(pkey)
        if lib.EVP_PKEY_is_a(pkey, b"SM2") != 1:
            raise SM2Error("not an SM2 public key")
        return key

    @classmethod
    def from_point(cls, x: int, y: int) -> SM2PublicKey:
        return cls.from_der(spki_der(x, y))


class SM2PrivateKey(_Key):
    """An SM2 private key (software keystore; an SDF module would keep it inside)."""

    __slots__ = ()

    @classmethod
    def generate(cls) -> SM2PrivateKey:
        lib = _crypto()
        ctx = lib.EVP_PKEY_CTX_new_from_name(None, b"SM2", None)
        pkey = _vp()
        try:
            if not ctx or lib.EVP_PKEY_keygen_init(ctx) != 1 or lib.EVP_PKEY_generate(ctx, ctypes.byref(pkey)) != 1:
                lib.ERR_clear_error()
                raise SM2Error("SM2 key generation failed")
        finally:
            lib.EVP_PKEY_CTX_free(ctx)
        return cls(pkey.value)

    @classmethod
    def from_der(cls, der: bytes) -> SM2PrivateKey:
        """Load PKCS #8 or SEC 1 DER of an SM2 private key."""
        lib = _crypto()
        buf = ctypes.c_char_p(der)
        pkey = lib.d2i_AutoPrivateKey(None, ctypes.byref(buf), len(der))
        if not pkey:
            lib.ERR_clear_error()
            raise SM2Error("not an SM2 private key")
        key = cls(pkey)
        if lib.EVP_PKEY_is_a(pkey, b"SM2") != 1:
            raise SM2Error("not an SM2 private key")
        return key

    def private_der(self) -> bytes:
        """SEC 1 ``ECPrivateKey`` DER (named curve sm2p256v1, public point included)."""
        return self._i2d(_crypto().i2d_PrivateKey)

    def private_pem(self, label: str = "EC PRIVATE KEY") -> str:
        """The SEC 1 DER as PEM (the label SEC 1 keys carry, unless told otherwise)."""
        body = base64.encodebytes(self.private_der()).decode()
        return f"{_ARMOUR.format('BEGIN', label)}\n{body}{_ARMOUR.format('END', label)}\n"

    @classmethod
    def from_pem(cls, pem: str) -> SM2PrivateKey:
        """Load a PEM-armoured SM2 private key, whatever its label."""
        lines = pem.strip().splitlines()
        return cls.from_der(base64.b64decode("".join(lines[1:-1])))

    def public_key(self) -> SM2PublicKey:
        return SM2PublicKey.from_der(self.public_der())

    def sign(self, data: bytes, *, distid: bytes = DEFAULT_ID) -> bytes:
        """SM2 signature with SM3 over ``Z_A || data``; DER ``SM2Signature``."""
        lib = _crypto()
        mctx, pctx = self._md_ctx(distid, "EVP_DigestSignInit")
        try:
            size = _sz(0)
            if lib.EVP_DigestSign(mctx, None, ctypes.byref(size), data, len(data)) != 1:
                raise SM2Error("SM2 signing failed")
            out = ctypes.create_string_buffer(size.value)
            if lib.EVP_DigestSign(mctx, out, ctypes.byref(size), data, len(data)) != 1:
                raise SM2Error("SM2 signing failed")
            return out.raw[: size.value]
        finally:
            lib.EVP_MD_CTX_free(mctx)
            lib.EVP_PKEY_CTX_free(pctx)
            lib.ERR_clear_error()

    def decrypt(self, ciphertext: bytes) -> bytes:
        """Inverse of :meth:`SM2PublicKey.encrypt`."""
        lib = _crypto()
        ctx = lib.EVP_PKEY_CTX_new(self._pkey, None)
        try:
            if lib.EVP_PKEY_decrypt_init(ctx) != 1:
                raise SM2Error("cannot start SM2 decryption")
            size = _sz(0)
            if lib.EVP_PKEY_decrypt(ctx, None, ctypes.byref(size), ciphertext, len(ciphertext)) != 1:
                raise SM2Error("cannot decrypt")
            out = ctypes.create_string_buffer(size.value)
            if lib.EVP_PKEY_decrypt(ctx, out, ctypes.byref(size), ciphertext, len(ciphertext)) != 1:
                raise SM2Error("cannot decrypt")
            return out.raw[: size.value]
        finally:
            lib.EVP_PKEY_CTX_free(ctx)
            lib.ERR_clear_error()


# --- encodings ----------------------------------------------------------------------


def _der_len(n: int) -> bytes:
    if n < 0x80:
        return bytes([n])
    body = n.to_bytes((n.bit_length() + 7) // 8, "big")
    return bytes([0x80 | len(body)]) + body


def _der_int(value: int) -> bytes:
    body = value.to_bytes(value.bit_length() // 8 + 1, "big")
    return b"\x02" + _der_len(len(body)) + body


def raw_to_der(raw: bytes) -> bytes:
    """JOSE-style ``r || s`` (32 + 32 bytes) to DER ``SM2Signature``."""
    if len(raw) != 64:
        raise SM2Error("an SM2 signature is 64 bytes")
    r, s = int.from_bytes(raw[:32], "big"), int.from_bytes(raw[32:], "big")
    if not (0 < r < _N and 0 < s < _N):
        raise SM2Error("signature out of range")
    body = _der_int(r) + _der_int(s)
    return b"\x30" + _der_len(len(body)) + body


def der_to_raw(der: bytes) -> bytes:
    """DER ``SM2Signature`` to ``r || s``."""
    from asn1crypto.algos import DSASignature

    try:
        sig = DSASignature.load(der, strict=True)
        r, s = sig["r"].native, sig["s"].native
    except (ValueError, TypeError) as exc:
        raise SM2Error("malformed SM2 signature") from exc
    return r.to_bytes(32, "big") + s.to_bytes(32, "big")


_SPKI_PREFIX = bytes.fromhex(
    "3059"  # SEQUENCE
    "3013" "0607" "2a8648ce3d0201" "0608" "2a811ccf5501822d"  # id-ecPublicKey, sm2p256v1
    "034200"  # BIT STRING, no unused bits
)


def spki_der(x: int, y: int) -> bytes:
    """``SubjectPublicKeyInfo`` DER for the SM2 point (x, y)."""
    return _SPKI_PREFIX + b"\x04" + x.to_bytes(32, "big") + y.to_bytes(32, "big")
