"""SHA256withRSA (PKCS#1 v1.5) signatures in base64: what WeChat Pay v3 calls
WECHATPAY2-SHA256-RSA2048 and Alipay calls RSA2."""

from __future__ import annotations

import base64

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
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
