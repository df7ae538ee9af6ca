"""Identity: who the caller is. Citizens, enterprises and their members, staff; tokens and sessions.

Its public face, what other domains may call (they never read identity's tables or import
its modules): the directory of people and enterprises, SMS one-time codes, and the
platform's token keys for domains that sign or check tokens of their own.
"""

from flask import Flask

from .codes import consume_code, phone_index
from .codes import send as send_code
from .directory import (
    certificate_subject,
    consented_profile,
    contact_phone,
    count_enterprises,
    enterprise_ids_where,
    enterprise_profile,
    enterprise_registration,
    find_citizen,
    member_ids,
    member_role,
    members_of,
    parties,
    party,
    phone_of,
    register_party_label,
    registry_identifier,
    verified_identity,
)
from .staff import STAFF_ROLES
from .tokens import ALGORITHM as TOKEN_ALGORITHM
from .tokens import SM2_ALGORITHM as SM2_TOKEN_ALGORITHM
from .tokens import decode_access_token, issue_access_token, keyring, token_algorithm, unverified_header

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
