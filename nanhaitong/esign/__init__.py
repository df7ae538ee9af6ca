"""Electronic signatures and enterprise e-seals: the platform CA and TSA, PAdES signing, verification."""

from flask import Flask


def init_app(app: Flask, api) -> None:
    from .routes import blp

    api.register_blueprint(blp)
