"""The authenticators behind ``@blp.login_required("citizen" | "staff", ...)``.

Each request's access token is verified, then its session is looked up, so logout,
session revocation and the removal of an enterprise member take effect on the next
request, access tokens included.
"""

from __future__ import annotations

from flask import Flask, current_app, g, request
from sqlalchemy import bindparam, select

from .. import db
from ..authorizations import live_grant
from ..errors import Forbidden, Unauthorized
from ..kernel import CITIZEN_AUDIENCES, STAFF_AUDIENCE, Principal
from .directory import member_role
from .models import AuthSession, StaffAccount, User
from .sessions import is_active
from .tokens import decode_access_token


def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send an access token as 'Authorization: Bearer <token>'.", code="missing_token")
    return token.strip()


# Built once: composing the statement anew cost as much CPU as running it, on every request.
_SESSION_AND_ACCOUNT = {
    model: select(AuthSession, model).join(model, model.id == AuthSession.account_id)
    .where(AuthSession.id == bindparam("sid"))
    for model in (User, StaffAccount)
}


def _live_session(claims: dict, account_kind: str, account_model) -> tuple[AuthSession, object]:
    """The token's live session and its account, in one query."""
    session = db.session()
    row = session.execute(_SESSION_AND_ACCOUNT[account_model], {"sid": claims["sid"]}).first()
    ended = Unauthorized("This session has ended; sign in again.", code="session_ended")
    if row is None or not is_active(row[0]) or row[0].account_kind != account_kind:
        raise ended
    auth_session, account = row
    if auth_session.parent_id and not is_active(session.get(AuthSession, auth_session.parent_id)):
        raise ended
    # The session's identity map holds objects weakly: kept here, the account is not
    # loaded again by the handler that asks for it by id.
    g.nht_account = account
    return auth_session, account


def authenticate_citizen(level: int = 1, enterprise: bool = False) -> Principal:
    """A citizen, optionally required to act for an enterprise, at an assurance ``level``."""
    claims = decode_access_token(_bearer_token(), CITIZEN_AUDIENCES)
    auth_session, user = _live_session(claims, "citizen", User)
    role, grant = None, None
    if auth_session.grant_id:
        grant = live_grant(auth_session.grant_id, grantee_kind="citizen", grantee_id=user.id)
        if grant is None:
            raise Unauthorized("The authorization you acted under has ended.", code="authorization_ended")
    if auth_session.enterprise_id:
        role = member_role(auth_session.enterprise_id, user.id)
        if role is None and grant is None:
            raise Unauthorized("You are no longer a member of this enterprise.", code="enterprise_context_ended")
    principal = Principal(kind="citizen", account_id=user.id, session_id=auth_session.id,
                          audience=auth_session.audience, assurance_level=user.assurance_level,
                          enterprise_id=auth_session.enterprise_id, role=role, grant_id=grant.id if grant else None,
                          for_citizen=grant.grantor_id if grant and grant.grantor_kind == "citizen" else None)
    # Checks other domains register (privacy: 428 until new terms are agreed to), before any other refusal.
    for check in current_app.extensions.get("nht.citizen_checks", ()):
        check(principal)
    if enterprise and not auth_session.enterprise_id:
        raise Forbidden("Act for an enterprise first (POST /api/v1/auth/act-as).", code="enterprise_context_required")
    if user.assurance_level < level:
        raise Forbidden("This needs a higher identity assurance level.", code="assurance_level_required",
                        details={"required": level, "current": user.assurance_level})
    return principal


def authenticate_staff(roles: tuple[str, ...] = ()) -> Principal:
    """A staff member; with ``roles``, one of them."""
    claims = decode_access_token(_bearer_token(), (STAFF_AUDIENCE,))
    auth_session, staff = _live_session(claims, "staff", StaffAccount)
    if not staff.active:
        raise Unauthorized("This session has ended; sign in again.", code="session_ended")
    if roles and staff.role not in roles:
        raise Forbidden("Your staff role does not allow this.", code="staff_role_required", details={"roles": list(roles)})
    return Principal(kind="staff", account_id=staff.id, session_id=auth_session.id, audience=STAFF_AUDIENCE,
                     assurance_level=3, role=staff.role)


def init_app(app: Flask) -> None:
    app.extensions.setdefault("nht.authenticators", {}).update(
        citizen=authenticate_citizen, staff=authenticate_staff
    )


def staff_principal(session_id: str) -> Principal | None:
    """The principal of a live staff session (the console's cookie names it), or None."""
    try:
        auth_session, staff = _live_session({"sid": session_id}, "staff", StaffAccount)
    except Unauthorized:
        return None
    if not staff.active:
        return None
    return Principal(kind="staff", account_id=staff.id, session_id=auth_session.id, audience=STAFF_AUDIENCE,
                     assurance_level=3, role=staff.role)
