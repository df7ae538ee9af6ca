"""Identity: who the caller is. Citizens, enterprises and their members, staff; tokens and sessions."""

from flask import Flask


def init_app(app: Flask, api) -> None:
    from . import authn, tokens
    from .admin_routes import admin_audit_blp, admin_auth_blp, admin_me_blp, admin_people_blp, admin_staff_blp
    from .enterprise_routes import enterprises_blp
    from .routes import auth_blp, me_blp, wellknown_blp

    tokens.init_app(app)
    authn.init_app(app)
    for blp in (auth_blp, me_blp, wellknown_blp, admin_auth_blp, admin_me_blp, admin_audit_blp,
                enterprises_blp, admin_people_blp, admin_staff_blp):
        api.register_blueprint(blp)
