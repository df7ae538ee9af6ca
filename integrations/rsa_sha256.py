"""SHA256withRSA (PKCS#1 v1.5) signatures in base64: what WeChat Pay v3 calls
WECHATPAY2-SHA256-RSA2048 and Alipay calls RSA2."""

from __future__ import annotations

import base64
import functools

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import padding, rsa


def sign(private_key: rsa.RSAPrivateKey, message: str) -> str:
    return base64.b64encode(private_key.sign(message.encode(), padding.PKCS1v15(), hashes.SHA256())).decode()


def verify(public_key: rsa.RSAPublicKey, message: str, signature: str) -> bool:
    try:
        public_key.verify(base64.b64decode(signature, validate=True), message.encode(), padding.PKCS1v15(),
                          hashes.SHA256())
        return True
    except (InvalidSignature, ValueError):
        return False


@functools.lru_cache(maxsize=32)
def load_private_key(pem: str) -> rsa.RSAPrivateKey:
    """Parse (and, the slow part, check) a merchant key once per process, not per client."""
    key = serialization.load_pem_private_key(pem.encode(), password=None)
    if not isinstance(key, rsa.RSAPrivateKey) or key.key_size < 2048:
        raise ValueError("an RSA private key of at least 2048 bits is required")
    return key
