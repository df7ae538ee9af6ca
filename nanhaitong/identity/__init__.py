"""Identity: who the caller is. Citizens, enterprises and their members, staff; tokens and sessions.

Its public face, what other domains may call (they never read identity's tables or import
its modules): the directory of people and enterprises, SMS one-time codes, and the
platform's token keys for domains that sign or check tokens of their own.
"""

from importlib import import_module

from flask import Flask

# The face's names are imported on first use (PEP 562): `flask staff --help` and `flask keys
# --help` import this package, where their commands live, and must not pay for its services.
_FACE = {
    "consume_code": ".codes", "phone_index": ".codes", "send_code": (".codes", "send"),
    **dict.fromkeys((
        "certificate_subject", "consented_profile", "contact_phone", "count_enterprises", "enterprise_ids_where",
        "enterprise_profile", "enterprise_registration", "find_citizen", "member_ids", "member_role", "members_of",
        "parties", "party", "phone_of", "register_party_label", "registry_identifier", "verified_identity",
    ), ".directory"),
    "STAFF_ROLES": ".staff",
    "TOKEN_ALGORITHM": (".tokens", "ALGORITHM"), "SM2_TOKEN_ALGORITHM": (".tokens", "SM2_ALGORITHM"),
    **dict.fromkeys(("decode_access_token", "issue_access_token", "keyring", "token_algorithm",
                     "unverified_header"), ".tokens"),
}


def __getattr__(name: str):
    where = _FACE.get(name)
    if where is None:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = where if isinstance(where, tuple) else (where, name)
    value = getattr(import_module(module, __name__), attribute)
    globals()[name] = value
    return value


__all__ = [
    "people", "staff", "STAFF_ROLES",  # staff accounts and looking people up, for the staff console
    "SM2_TOKEN_ALGORITHM", "TOKEN_ALGORITHM", "certificate_subject", "consented_profile", "consume_code", "contact_phone",
    "count_enterprises", "decode_access_token", "enterprise_ids_where", "enterprise_profile",
    "enterprise_registration", "find_citizen", "issue_access_token", "keyring", "member_ids", "member_role",
    "members_of", "parties", "party", "phone_index", "phone_of", "register_party_label", "registry_identifier",
    "send_code", "token_algorithm", "unverified_header", "verified_identity",
]


def init_app(app: Flask, api) -> None:
    from .. import kernel
    from . import authn, tokens
    from .admin_routes import admin_audit_blp, admin_auth_blp, admin_me_blp, admin_people_blp, admin_staff_blp
    from .directory import find_citizen, member_role, parties
    from .enterprise_routes import enterprises_blp
    from .routes import auth_blp, me_blp, wellknown_blp

    kernel.provide(member_role=member_role, find_citizen=find_citizen, parties=parties)
    tokens.init_app(app)
    authn.init_app(app)
    for blp in (auth_blp, me_blp, wellknown_blp, admin_auth_blp, admin_me_blp, admin_audit_blp,
                enterprises_blp, admin_people_blp, admin_staff_blp):
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
