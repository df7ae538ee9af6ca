"""What privacy asks of authorizations about one person (issue 23): whom their data
reached (access log, grants and consents), a copy of it, and its erasure at deletion.

Called only through the names ``authorizations/__init__.py`` exports; the caller holds
the unit of work.
"""

from __future__ import annotations

import json

from sqlalchemy import delete, or_, select

from .. import db, events, kernel
from ..audit.service import record as audit
from ..timeutil import as_utc, isoformat, utcnow
from .models import AccessLogEntry, Grant, GrantEvent
from .scopes import CITIZEN
from .service import effective_status


def access_entries(owner_id: str, *, before_id: str | None = None, limit: int = 100) -> list[dict]:
    """Uses of the citizen's data by anyone else, newest first (ids are ULIDs)."""
    query = select(AccessLogEntry).where(AccessLogEntry.owner_kind == CITIZEN, AccessLogEntry.owner_id == owner_id)
    if before_id:
        query = query.where(AccessLogEntry.id < before_id)
    rows = db.session().execute(query.order_by(AccessLogEntry.id.desc()).limit(limit)).scalars().all()
    return [{"id": r.id, "at": r.at, "accessor_kind": r.accessor_kind, "accessor_id": r.accessor_id,
             "acting_as": r.acting_as, "action": r.action, "object_type": r.object_type, "object_id": r.object_id,
             "grant_id": r.grant_id} for r in rows]


def grants_given(user_id: str) -> list[dict]:
    """Every grant and consent the citizen gave (delegations, partner consents, guardians'
    consents are the guardian's), whatever its status, newest first."""
    rows = db.session().execute(select(Grant).where(Grant.grantor_kind == CITIZEN, Grant.grantor_id == user_id)
                                .order_by(Grant.id.desc())).scalars().all()
    return [_grant(g) for g in rows]


def grants_received(user_id: str) -> list[dict]:
    rows = db.session().execute(select(Grant).where(Grant.grantee_kind == CITIZEN, Grant.grantee_id == user_id)
                                .order_by(Grant.id.desc())).scalars().all()
    return [_grant(g) for g in rows]


def grants_by_id(ids) -> dict[str, dict]:
    ids = sorted({i for i in ids if i})
    if not ids:
        return {}
    return {g.id: _grant(g) for g in db.session().execute(select(Grant).where(Grant.id.in_(ids))).scalars()}


def _grant(g: Grant) -> dict:
    return {"id": g.id, "grantor_kind": g.grantor_kind, "grantor_id": g.grantor_id, "grantee_kind": g.grantee_kind,
            "grantee_id": g.grantee_id, "scopes": json.loads(g.scopes), "constraints": json.loads(g.constraints or "{}"),
            "purpose": g.purpose, "status": effective_status(g), "not_before": isoformat(g.not_before),
            "expires_at": isoformat(g.expires_at), "created_at": isoformat(g.created_at),
            "revoked_at": isoformat(g.revoked_at) if g.revoked_at else None}


def export(user_id: str) -> dict:
    return {"grants_given": grants_given(user_id), "grants_received": grants_received(user_id),
            "access_log": [{**e, "at": isoformat(e["at"])} for e in access_entries(user_id, limit=100_000)]}


def erase(user_id: str) -> dict:
    """Revoke every live grant to or from the person (partners hear of their consents
    ending through the consent.revoked webhook) and delete their access log. Grants stay
    as others' records, naming the person only by their (now unlinkable) id."""
    session = db.session()
    now, actor = utcnow(), "system:account-deletion"
    live = session.execute(select(Grant).where(Grant.status == "active", or_(
        (Grant.grantor_kind == CITIZEN) & (Grant.grantor_id == user_id),
        (Grant.grantee_kind == CITIZEN) & (Grant.grantee_id == user_id)))).scalars().all()
    # And whatever was passed on from them.
    frontier = [g.id for g in live]
    while frontier:
        children = session.execute(select(Grant).where(Grant.parent_id.in_(frontier), Grant.status == "active")
                                   ).scalars().all()
        children = [c for c in children if c not in live]
        live.extend(children)
        frontier = [c.id for c in children]
    for grant in live:
        grant.status, grant.revoked_at, grant.revoked_by = "revoked", now, actor
        session.add(GrantEvent(grant_id=grant.id, event="revoked", actor=actor,
                               details=json.dumps({"reason": "account_deleted"})))
        audit("authorization.revoked", actor=actor, object_type="grant", object_id=grant.id,
              details={"reason": "account_deleted"})
        events.grant_revoked.send(__name__, grant_id=grant.id, user_id=grant.grantor_id,
                                  grantee_kind=grant.grantee_kind, grantee_id=grant.grantee_id)
    removed = session.execute(delete(AccessLogEntry).where(AccessLogEntry.owner_kind == CITIZEN,
                                                           AccessLogEntry.owner_id == user_id)).rowcount
    return {"grants_revoked": len(live), "access_log_deleted": removed}


def labels(pairs) -> dict:
    return kernel.parties(list(pairs))


def guardians_consenting(minor_id: str) -> list[str]:
    """Who gave the minor a live guardian:consent grant (their user ids)."""
    now = utcnow()
    rows = db.session().execute(select(Grant).where(
        Grant.grantor_kind == CITIZEN, Grant.grantee_kind == CITIZEN, Grant.grantee_id == minor_id,
        Grant.status == "active")).scalars().all()
    return [g.grantor_id for g in rows
            if as_utc(g.not_before) <= now < as_utc(g.expires_at) and "guardian:consent" in json.loads(g.scopes)]
