"""Sessions and refresh-token families.

A refresh token is 256 random bits, stored as its SHA-256, and good for one use: using it
returns a new pair. Presenting an already-used one means it leaked, so the whole session
(its family, and any enterprise-context sessions opened from it) is revoked.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from flask import current_app, request
from sqlalchemy import or_, select, update

from .. import db
from ..audit.service import record as audit
from ..errors import Unauthorized
from ..timeutil import as_utc, utcnow
from .models import AuthSession, RefreshToken
from .tokens import issue_access_token


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _new_refresh_token(session_id: str) -> str:
    token = secrets.token_urlsafe(32)
    db.session().add(RefreshToken(session_id=session_id, token_hash=_hash(token)))
    return token


def token_pair(auth_session: AuthSession, *, subject: str, assurance_level: int, extra: dict | None = None) -> dict:
    access, expires_in = issue_access_token(subject=subject, audience=auth_session.audience,
                                            session_id=auth_session.id, assurance_level=assurance_level,
                                            extra=extra)
    return {"access_token": access, "refresh_token": _new_refresh_token(auth_session.id),
            "token_type": "Bearer", "expires_in": expires_in}


def open_session(*, account_kind: str, account_id: str, audience: str, parent: AuthSession | None = None,
                 enterprise_id: str | None = None, grant_id: str | None = None) -> AuthSession:
    ttl = current_app.config["REFRESH_TOKEN_TTL_SECONDS"]
    expires_at = utcnow() + timedelta(seconds=ttl)
    if parent is not None:
        expires_at = min(expires_at, as_utc(parent.expires_at))
    auth_session = AuthSession(
        account_kind=account_kind, account_id=account_id, audience=audience,
        parent_id=parent.id if parent else None, enterprise_id=enterprise_id, grant_id=grant_id,
        expires_at=expires_at, user_agent=(request.user_agent.string or "")[:200] or None,
    )
    db.session().add(auth_session)
    db.session().flush()
    return auth_session


def is_active(auth_session: AuthSession | None) -> bool:
    return auth_session is not None and auth_session.revoked_at is None and as_utc(auth_session.expires_at) > utcnow()


def spend_refresh_token(token: str, account_kind: str) -> AuthSession:
    """Spend ``token`` and return its live session (``token_pair`` makes the next one).

    A token of another kind of account (a staff token at the citizen endpoint) is
    refused and left unspent.
    """
    session = db.session()
    refused = Unauthorized("The refresh token is not valid; sign in again.", code="invalid_refresh_token")
    row = session.execute(
        select(RefreshToken).where(RefreshToken.token_hash == _hash(token)).with_for_update()
    ).scalar_one_or_none()
    if row is None:
        raise refused
    auth_session = session.get(AuthSession, row.session_id)
    if auth_session.account_kind != account_kind:
        raise refused
    if row.used_at is not None:
        # Reuse revokes the whole family, and that must outlive the refusal.
        db.keep_as_evidence(_revoke_reused, auth_session)
        raise refused
    parent = session.get(AuthSession, auth_session.parent_id) if auth_session.parent_id else None
    if not is_active(auth_session) or (auth_session.parent_id and not is_active(parent)):
        raise refused
    row.used_at = utcnow()
    auth_session.last_seen_at = utcnow()
    return auth_session


def _revoke_reused(auth_session: AuthSession) -> None:
    revoke(auth_session, reason="refresh_token_reuse")
    audit("auth.refresh_token_reuse", result="denied", actor=f"{auth_session.account_kind}:{auth_session.account_id}",
          object_type="session", object_id=auth_session.id)


def revoke(auth_session: AuthSession, *, reason: str) -> None:
    """End a session and the enterprise-context sessions opened from it."""
    now = utcnow()
    db.session().execute(
        update(AuthSession)
        .where(or_(AuthSession.id == auth_session.id, AuthSession.parent_id == auth_session.id),
               AuthSession.revoked_at.is_(None))
        .values(revoked_at=now, revoked_reason=reason)
        .execution_options(synchronize_session="fetch")
    )


def revoke_all(account_kind: str, account_id: str, *, reason: str, keep: str | None = None) -> int:
    conditions = [AuthSession.account_kind == account_kind, AuthSession.account_id == account_id,
                  AuthSession.revoked_at.is_(None)]
    if keep:
        conditions += [AuthSession.id != keep, or_(AuthSession.parent_id.is_(None), AuthSession.parent_id != keep)]
    result = db.session().execute(
        update(AuthSession).where(*conditions).values(revoked_at=utcnow(), revoked_reason=reason)
        .execution_options(synchronize_session="fetch")
    )
    return result.rowcount
