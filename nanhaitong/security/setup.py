"""Builds the app's keyed primitives from settings; a malformed key stops start-up."""

from __future__ import annotations

from flask import Flask, current_app

from ..config import field_keys
from . import sm2
from .custody import SoftwareKeyStore
from .fields import BlindIndex, FieldCipher, decode_key, set_cipher_resolver
from .suite import HMAC_SHA256, HMAC_SM3, SUITES


def init_app(app: Flask) -> None:
    suite = SUITES[app.config["CRYPTO_SUITE"]]
    keys, current = field_keys(app.config)
    blind_key, audit_key = decode_key(app.config["BLIND_INDEX_KEY"]), decode_key(app.config["AUDIT_KEY"])
    custody = SoftwareKeyStore({"blind_index": blind_key, "audit": audit_key},
                               sm2_id=app.config["SM2_ID"].encode())
    app.extensions["nht.suite"] = suite
    app.extensions["nht.custody"] = custody
    app.extensions["nht.cipher"] = FieldCipher(keys, current, aead=suite.aead)
    app.extensions["nht.blind_index"] = BlindIndex(blind_key, alg=suite.mac)
    # The audit chain's key per algorithm: each link names the one it was made with.
    app.extensions["nht.audit_keys"] = {HMAC_SHA256: custody.derive("audit", HMAC_SHA256, "", 32),
                                        HMAC_SM3: custody.derive("audit", HMAC_SM3, "nht/audit-chain", 32)}
    app.extensions["nht.audit_key"] = app.extensions["nht.audit_keys"][suite.mac]
    if suite.token_alg == "SM2SM3" and not sm2.available():
        raise RuntimeError("NHT_CRYPTO_SUITE=national needs OpenSSL 3 libcrypto for SM2")
    # Encrypted columns find the cipher of whichever app is current (tests run several).
    set_cipher_resolver(lambda: current_app.extensions["nht.cipher"])
