"""Identity: who the caller is. Citizens, enterprises and their members, staff; tokens and sessions."""

from flask import Flask


def init_app(app: Flask, api) -> None:
    from . import authn, tokens
    from .routes import auth_blp, me_blp, wellknown_blp

    tokens.init_app(app)
    authn.init_app(app)
    for blp in (auth_blp, me_blp, wellknown_blp):
        api.register_blueprint(blp)
