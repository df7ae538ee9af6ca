"""Builds the app's field cipher and blind index from settings."""

from __future__ import annotations

from flask import Flask, current_app

from ..config import field_keys
from .fields import BlindIndex, FieldCipher, decode_key, set_cipher_resolver


def init_app(app: Flask) -> None:
    keys, current = field_keys(app.config)
    app.extensions["nht.cipher"] = FieldCipher(keys, current)
    app.extensions["nht.blind_index"] = BlindIndex(decode_key(app.config["BLIND_INDEX_KEY"]))
    # Encrypted columns find the cipher of whichever app is current (tests run several).
    set_cipher_resolver(lambda: current_app.extensions["nht.cipher"])
