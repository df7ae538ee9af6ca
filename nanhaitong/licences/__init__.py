"""E-licences: the wallet pulled from the provincial library, presentations by QR, verification."""

from flask import Flask


def init_app(app: Flask, api) -> None:
    from .routes import blp, verification_blp

    api.register_blueprint(blp)
    api.register_blueprint(verification_blp)
