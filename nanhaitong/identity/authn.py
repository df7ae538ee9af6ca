"""The authenticators behind ``@blp.login_required("citizen" | "staff", ...)``.

Each request's access token is verified, then its session is looked up, so logout,
session revocation and the removal of an enterprise member take effect on the next
request, access tokens included.
"""

from __future__ import annotations

from typing import NamedTuple

from flask import Flask, current_app, request
from sqlalchemy import bindparam, select

from ..authorizations import live_grant
from ..driver_reads import DriverRead
from ..errors import Forbidden, Unauthorized
from ..kernel import CITIZEN_AUDIENCES, STAFF_AUDIENCE, Principal
from ..timeutil import as_utc, utcnow
from .directory import member_role
from .models import AuthSession, StaffAccount, User
from .tokens import decode_access_token


def _bearer_token() -> str:
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise Unauthorized("Send an access token as 'Authorization: Bearer <token>'.", code="missing_token")
    return token.strip()


class _Live(NamedTuple):
    """What a request needs of its session and account: no ORM object, no personal data."""

    session_id: str
    audience: str
    enterprise_id: str | None
    grant_id: str | None
    account_id: str
    assurance_level: int  # a citizen's; 3 for staff
    role: str | None  # a staff member's
    active: bool


def _live_session_statement(account_table, account_columns):
    """One Core SELECT (built once: composing it anew cost as much CPU as running it) for
    the session, its parent's liveness and the account's few columns a request needs.

    Not the ORM entities: loading ``User`` decrypted its phone, name and ID number on every
    request for nothing, and building the objects cost more than the query."""
    sessions, parents = AuthSession.__table__, AuthSession.__table__.alias("parent")
    return (select(sessions.c.audience, sessions.c.enterprise_id, sessions.c.grant_id, sessions.c.account_kind,
                   sessions.c.revoked_at, sessions.c.expires_at, sessions.c.parent_id,
                   parents.c.revoked_at, parents.c.expires_at, account_table.c.id, *account_columns)
            .select_from(sessions.join(account_table, account_table.c.id == sessions.c.account_id)
                         .outerjoin(parents, parents.c.id == sessions.c.parent_id))
            .where(sessions.c.id == bindparam("sid")))


_SESSION_AND_ACCOUNT = {
    "citizen": DriverRead(_live_session_statement(User.__table__, (User.__table__.c.assurance_level,))),
    "staff": DriverRead(_live_session_statement(StaffAccount.__table__, (StaffAccount.__table__.c.role,
                                                                         StaffAccount.__table__.c.active))),
}


def _live_session(claims: dict, account_kind: str) -> _Live:
    """The token's live session and its account, in one query, sent on every request:
    logout and revocation (of this session or the one it was opened from) take effect on
    the next request, on every instance."""
    row = _SESSION_AND_ACCOUNT[account_kind].first({"sid": claims["sid"]})
    if row is None:
        raise _ended()
    (audience, enterprise_id, grant_id, kind, revoked_at, expires_at, parent_id, parent_revoked_at,
     parent_expires_at, account_id, *account) = row
    now = utcnow()
    if (kind != account_kind or revoked_at is not None or as_utc(expires_at) <= now
            or (parent_id and (parent_expires_at is None or parent_revoked_at is not None
                               or as_utc(parent_expires_at) <= now))):
        raise _ended()
    if account_kind == "citizen":
        return _Live(claims["sid"], audience, enterprise_id, grant_id, account_id, account[0], None, True)
    return _Live(claims["sid"], audience, enterprise_id, grant_id, account_id, 3, account[0], bool(account[1]))


def _ended() -> Unauthorized:
    return Unauthorized("This session has ended; sign in again.", code="session_ended")


def authenticate_citizen(level: int = 1, enterprise: bool = False) -> Principal:
    """A citizen, optionally required to act for an enterprise, at an assurance ``level``."""
    claims = decode_access_token(_bearer_token(), CITIZEN_AUDIENCES)
    live = _live_session(claims, "citizen")
    role, grant = None, None
    if live.grant_id:
        grant = live_grant(live.grant_id, grantee_kind="citizen", grantee_id=live.account_id)
        if grant is None:
            raise Unauthorized("The authorization you acted under has ended.", code="authorization_ended")
    if live.enterprise_id:
        role = member_role(live.enterprise_id, live.account_id)
        if role is None and grant is None:
            raise Unauthorized("You are no longer a member of this enterprise.", code="enterprise_context_ended")
    principal = Principal(kind="citizen", account_id=live.account_id, session_id=live.session_id,
                          audience=live.audience, assurance_level=live.assurance_level,
                          enterprise_id=live.enterprise_id, role=role, grant_id=grant.id if grant else None,
                          for_citizen=grant.grantor_id if grant and grant.grantor_kind == "citizen" else None)
    # Checks other domains register (privacy: 428 until new terms are agreed to), before any other refusal.
    for check in current_app.extensions.get("nht.citizen_checks", ()):
        check(principal)
    if enterprise and not live.enterprise_id:
        raise Forbidden("Act for an enterprise first (POST /api/v1/auth/act-as).", code="enterprise_context_required")
    if live.assurance_level < level:
        raise Forbidden("This needs a higher identity assurance level.", code="assurance_level_required",
                        details={"required": level, "current": live.assurance_level})
    return principal


def authenticate_staff(roles: tuple[str, ...] = ()) -> Principal:
    """A staff member; with ``roles``, one of them."""
    claims = decode_access_token(_bearer_token(), (STAFF_AUDIENCE,))
    staff = _live_session(claims, "staff")
    if not staff.active:
        raise _ended()
    if roles and staff.role not in roles:
        raise Forbidden("Your staff role does not allow this.", code="staff_role_required", details={"roles": list(roles)})
    return Principal(kind="staff", account_id=staff.account_id, session_id=staff.session_id, audience=STAFF_AUDIENCE,
                     assurance_level=3, role=staff.role)


def init_app(app: Flask) -> None:
    app.extensions.setdefault("nht.authenticators", {}).update(
        citizen=authenticate_citizen, staff=authenticate_staff
    )


def staff_principal(session_id: str) -> Principal | None:
    """The principal of a live staff session (the console's cookie names it), or None."""
    try:
        staff = _live_session({"sid": session_id}, "staff")
    except Unauthorized:
        return None
    if not staff.active:
        return None
    return Principal(kind="staff", account_id=staff.account_id, session_id=staff.session_id, audience=STAFF_AUDIENCE,
                     assurance_level=3, role=staff.role)
