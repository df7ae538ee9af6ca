"""Builds the app's keyed primitives from settings; a malformed key stops start-up."""

from __future__ import annotations

from flask import Flask, current_app

from ..config import field_keys
from .fields import BlindIndex, FieldCipher, decode_key, set_cipher_resolver


def init_app(app: Flask) -> None:
    keys, current = field_keys(app.config)
    app.extensions["nht.cipher"] = FieldCipher(keys, current)
    app.extensions["nht.blind_index"] = BlindIndex(decode_key(app.config["BLIND_INDEX_KEY"]))
    app.extensions["nht.audit_key"] = decode_key(app.config["AUDIT_KEY"])
    # Encrypted columns find the cipher of whichever app is current (tests run several).
    set_cipher_resolver(lambda: current_app.extensions["nht.cipher"])
