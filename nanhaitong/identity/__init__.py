"""Identity: who the caller is. Citizens, enterprises and their members, staff; tokens and sessions."""

from flask import Flask


def init_app(app: Flask, api) -> None:
    from . import authn, tokens
    from .admin_routes import admin_audit_blp, admin_auth_blp, admin_me_blp
    from .enterprise_routes import enterprises_blp
    from .routes import auth_blp, me_blp, wellknown_blp

    tokens.init_app(app)
    authn.init_app(app)
    for blp in (auth_blp, me_blp, wellknown_blp, admin_auth_blp, admin_me_blp, admin_audit_blp,
                enterprises_blp):
        api.register_blueprint(blp)


# -- public face for privacy (issue 23) ---------------------------------------------------

def deletion_blockers(user_id: str) -> list[dict]:
    from .personal_data import blockers

    return blockers(user_id)


def birth_date(user_id: str):
    from .personal_data import birth_date as born

    return born(user_id)


def account_exists(user_id: str) -> bool:
    from .personal_data import exists

    return exists(user_id)


def export_personal_data(user_id: str) -> dict:
    from .personal_data import export

    return export(user_id)


def erase_personal_data(user_id: str) -> dict:
    from .personal_data import erase

    return erase(user_id)


def end_sessions(user_id: str, reason: str) -> int:
    """Sign the person out everywhere (privacy: an account deletion starts)."""
    from .personal_data import end_sessions as end

    return end(user_id, reason)


def confirm_with_code(user_id: str, code: str) -> None:
    """Check a step_up SMS code the person asked for (POST /api/v1/auth/sms-codes)."""
    from .personal_data import confirm_with_code as confirm

    confirm(user_id, code)
