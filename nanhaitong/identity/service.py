"""Citizen sign-in, tokens, sessions and the account itself."""

from __future__ import annotations

from flask import current_app
from limits import parse
from sqlalchemy import bindparam, select

from schemas.common import With

from .. import db, events, ratelimit
from ..audit.service import record as audit
from ..authorizations import CITIZEN, Resource, authorize, live_grant
from ..driver_reads import DriverRead
from ..errors import Conflict, NotFound, RateLimited, Unauthorized
from ..kernel import Principal
from ..security.passwords import hash_password, upgraded_hash, verify_password
from ..timeutil import utcnow
from . import codes, sessions
from .directory import member_role
from .models import AuthSession, Enterprise, EnterpriseMember, StaffAccount, User

INVALID_CREDENTIALS = "The phone number or password is wrong."


def find_user_by_phone(phone: str) -> User | None:
    return db.session().execute(select(User).where(User.phone_index == codes.phone_index(phone))).scalar_one_or_none()


def claims_for(auth_session: AuthSession) -> tuple[str, int, dict]:
    """Subject, assurance level and extra claims of a session's access tokens.

    Acting for an enterprise follows RFC 8693: the subject is the enterprise and the
    ``act`` claim names the member acting, with their role.
    """
    if auth_session.account_kind == "staff":
        staff = db.session().get(StaffAccount, auth_session.account_id)
        if staff is None or not staff.active:
            raise Unauthorized("The refresh token is not valid; sign in again.", code="invalid_refresh_token")
        return staff.id, 3, {"role": staff.role}
    user = db.session().get(User, auth_session.account_id)
    actor = {"sub": user.id}
    if auth_session.grant_id:
        grant = live_grant(auth_session.grant_id, grantee_kind="citizen", grantee_id=user.id)
        if grant is None:
            raise Unauthorized("The authorization you acted under has ended.", code="authorization_ended")
        actor["grant"] = grant.id
    if auth_session.enterprise_id:
        role = member_role(auth_session.enterprise_id, user.id)
        if role is None and not auth_session.grant_id:
            raise Unauthorized("You are no longer a member of this enterprise.", code="enterprise_context_ended")
        if role:
            actor["role"] = role
        return auth_session.enterprise_id, user.assurance_level, {"sub_type": "enterprise", "act": actor}
    if auth_session.grant_id:
        return grant.grantor_id, user.assurance_level, {"sub_type": "citizen", "act": actor}
    return user.id, user.assurance_level, {"sub_type": "citizen"}


def token_pair(auth_session: AuthSession) -> dict:
    """A new access and refresh token for the session, with the claims it stands for now."""
    subject, level, extra = claims_for(auth_session)
    return sessions.token_pair(auth_session, subject=subject, assurance_level=level, extra=extra)


def _start_session(user: User, client: str) -> dict:
    auth_session = sessions.open_session(account_kind="citizen", account_id=user.id, audience=client)
    pair = token_pair(auth_session)
    events.citizen_signed_in.send(__name__, user_id=user.id, channel=client)
    audit("auth.login", actor=f"citizen:{user.id}", object_type="session", object_id=auth_session.id)
    return pair


@db.unit_of_work()
def login_with_code(phone: str, code: str, client: str, agreements: list[dict] | None = None) -> dict:
    try:
        codes.consume_code(phone, "login", code)
    except Unauthorized:
        db.keep_as_evidence(audit, "auth.login", result="failure", details={"method": "sms_code", "reason": "invalid_code"})
        raise
    user = find_user_by_phone(phone)
    if user is None:
        user = User(phone=phone, phone_index=codes.phone_index(phone))
        db.session().add(user)
        db.session().flush()
        audit("account.created", actor=f"citizen:{user.id}", object_type="user", object_id=user.id)
        # Privacy records the agreement to the terms (and refuses a sign-up without it).
        events.citizen_signing_up.send(__name__, user_id=user.id, channel=client, agreements=agreements)
    return _start_session(user, client)


def _failure_window() -> tuple:
    cfg = current_app.config
    strategy = ratelimit.strategy()
    item = parse(f"{cfg['LOGIN_FAILURES_BEFORE_LOCK']} per {cfg['LOGIN_LOCK_SECONDS']} seconds")
    return strategy, item


def check_not_locked(kind: str, index: str) -> None:
    """Refuse while the account (existing or not: the answer must not tell) is locked."""
    strategy, item = _failure_window()
    if not strategy.test(item, "login-fail", kind, index):
        reset = strategy.get_window_stats(item, "login-fail", kind, index).reset_time
        raise RateLimited(retry_after=reset - utcnow().timestamp(),
                          message="Too many failed attempts; try again later or sign in with an SMS code.")


def count_failure(kind: str, index: str) -> None:
    strategy, item = _failure_window()
    strategy.hit(item, "login-fail", kind, index)


@db.unit_of_work()
def login_with_password(phone: str, password: str, client: str) -> dict:
    index = codes.phone_index(phone)
    check_not_locked("citizen", index)
    user = find_user_by_phone(phone)
    if not verify_password(user.password_hash if user else None, password):
        count_failure("citizen", index)
        db.keep_as_evidence(audit, "auth.login", result="failure", actor=f"citizen:{user.id}" if user else "anonymous",
                            details={"method": "password", "reason": "invalid_credentials"})
        raise Unauthorized(INVALID_CREDENTIALS, code="invalid_credentials")
    if upgraded := upgraded_hash(user.password_hash, password):  # made under older parameters
        user.password_hash = upgraded
    return _start_session(user, client)


@db.unit_of_work()
def refresh(refresh_token: str, account_kind: str = "citizen") -> dict:
    auth_session = sessions.spend_refresh_token(refresh_token, account_kind)
    return token_pair(auth_session)


@db.unit_of_work()
def logout(principal: Principal) -> None:
    auth_session = db.session().get(AuthSession, principal.session_id)
    sessions.revoke(auth_session, reason="logout")
    audit("auth.logout", object_type="session", object_id=auth_session.id)


@db.unit_of_work()
def act_as(principal: Principal, *, enterprise_id: str | None = None, authorization_id: str | None = None) -> dict:
    """Open a session acting for an enterprise (as its member) or under a grant received.

    Anything the caller may not act for answers 404. The new session is a child of the
    personal one and ends with it.
    """
    grant_id = None
    if authorization_id:
        grant = live_grant(authorization_id, grantee_kind="citizen", grantee_id=principal.account_id)
        if grant is None:
            raise NotFound("No such authorization.", code="authorization_not_found")
        grant_id = grant.id
        enterprise_id = grant.grantor_id if grant.grantor_kind == "enterprise" else None
    elif member_role(enterprise_id, principal.account_id) is None:
        raise NotFound("No such enterprise.", code="enterprise_not_found")
    parent = db.session().get(AuthSession, principal.session_id)
    if parent.parent_id:  # from an acting session, branch from the personal one
        parent = db.session().get(AuthSession, parent.parent_id)
    child = sessions.open_session(account_kind="citizen", account_id=principal.account_id, audience=parent.audience,
                                  parent=parent, enterprise_id=enterprise_id, grant_id=grant_id)
    pair = token_pair(child)
    acting_for = f"enterprise:{enterprise_id}" if enterprise_id else f"citizen:{grant.grantor_id}"
    audit("auth.act_as", on_behalf_of=acting_for, object_type="session", object_id=child.id,
          details={"grant_id": grant_id, "role": member_role(enterprise_id, principal.account_id) if enterprise_id else None})
    return pair


_USERS, _ENTERPRISES, _MEMBERS = User.__table__, Enterprise.__table__, EnterpriseMember.__table__
_PROFILE = DriverRead(  # built once: GET /me is among the most frequent requests
    # One Core query, a row per membership (one row, its enterprise columns NULL, for none):
    # the columns shown and nothing else; the ORM's User and Enterprise objects and a second
    # round trip cost more than the query itself.
    select(_USERS.c.id, _USERS.c.phone, _USERS.c.assurance_level, _USERS.c.real_name, _USERS.c.id_number,
           _USERS.c.password_hash, _USERS.c.created_at, _ENTERPRISES.c.id.label("enterprise_id"),
           _ENTERPRISES.c.name.label("enterprise_name"), _ENTERPRISES.c.uscc, _MEMBERS.c.role)
    .select_from(_USERS.outerjoin(_MEMBERS.join(_ENTERPRISES, _ENTERPRISES.c.id == _MEMBERS.c.enterprise_id),
                                  _MEMBERS.c.user_id == _USERS.c.id))
    .where(_USERS.c.id == bindparam("user_id")).order_by(_ENTERPRISES.c.name)
)


def profile(principal: Principal) -> dict:
    rows = _PROFILE.rows({"user_id": principal.account_id})
    if not rows:  # the account went since the session was checked (deleted): as if signed out
        raise Unauthorized("This session has ended; sign in again.", code="session_ended")
    return {
        "user": rows[0],
        "enterprises": [{"id": row.enterprise_id, "name": row.enterprise_name, "uscc": row.uscc, "role": row.role}
                        for row in rows if row.enterprise_id is not None],
        "acting_for": principal.enterprise_id,
    }


def list_sessions(principal: Principal) -> list[With]:
    rows = db.session().execute(
        select(AuthSession).where(AuthSession.account_kind == "citizen", AuthSession.account_id == principal.account_id,
                                  AuthSession.revoked_at.is_(None), AuthSession.expires_at > utcnow())
        .order_by(AuthSession.created_at.desc())
    ).scalars().all()
    return [With(s, current=s.id == principal.session_id) for s in rows]


@db.unit_of_work()
def end_session(principal: Principal, session_id: str) -> None:
    auth_session = db.session().get(AuthSession, session_id)
    if auth_session is None or auth_session.account_kind != CITIZEN or not sessions.is_active(auth_session):
        raise NotFound("No such session.", code="session_not_found")
    # Another's session does not exist for the caller either: the one decision answers the same 404.
    authorize(principal, "account:manage",
              Resource(type="session", owner_kind=CITIZEN, owner_id=auth_session.account_id, id=session_id))
    sessions.revoke(auth_session, reason="ended_by_user")
    audit("auth.session_ended", object_type="session", object_id=session_id)


@db.unit_of_work()
def change_password(principal: Principal, new_password: str, current_password: str | None,
                    step_up_code: str | None) -> None:
    """Set or change the password; proving it is you takes the current password or a step-up code."""
    user = db.session().get(User, principal.account_id)
    if current_password is not None:
        check_not_locked("citizen", user.phone_index)
        if not verify_password(user.password_hash, current_password):
            count_failure("citizen", user.phone_index)
            db.keep_as_evidence(audit, "account.password_changed", result="failure", object_type="user",
                                object_id=user.id)
            raise Unauthorized("The current password is wrong.", code="invalid_credentials")
    elif step_up_code is not None:
        codes.consume_code(user.phone, "step_up", step_up_code)
    else:
        raise Unauthorized("Give current_password or a step_up_code.", code="reauthentication_required")
    user.password_hash = hash_password(new_password)
    ended = sessions.revoke_all("citizen", user.id, reason="password_changed", keep=principal.session_id)
    audit("account.password_changed", object_type="user", object_id=user.id, details={"other_sessions_ended": ended})


@db.unit_of_work(conflict=lambda: Conflict("That phone number belongs to another account.", code="phone_taken"))
def change_phone(principal: Principal, new_phone: str, new_phone_code: str, step_up_code: str) -> User:
    """Move the account to a new phone: a code from the old phone and one from the new."""
    user = db.session().get(User, principal.account_id)
    codes.consume_code(user.phone, "step_up", step_up_code)
    codes.consume_code(new_phone, "change_phone", new_phone_code)
    new_index = codes.phone_index(new_phone)
    if new_index != user.phone_index and find_user_by_phone(new_phone) is not None:
        raise Conflict("That phone number belongs to another account.", code="phone_taken")
    user.phone, user.phone_index = new_phone, new_index
    audit("account.phone_changed", object_type="user", object_id=user.id)
    return user
