"""Authorization management: grants (delegation, staff authority, consent) and the one decision point."""

from flask import Flask


def init_app(app: Flask, api) -> None:
    from .routes import access_log_blp, admin_access_log_blp, blp

    api.register_blueprint(blp)
    api.register_blueprint(access_log_blp)
    api.register_blueprint(admin_access_log_blp)
