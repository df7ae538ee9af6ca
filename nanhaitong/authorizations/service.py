"""Granting, listing and revoking grants; the access log each owner can read."""

from __future__ import annotations

import json
from datetime import timedelta
from functools import lru_cache

from sqlalchemy import bindparam, select

from schemas.common import With

from .. import db, events, kernel
from ..audit.service import record as audit
from ..driver_reads import DriverRead
from ..errors import Forbidden, NotFound, ValidationFailed
from ..kernel import Principal
from ..timeutil import as_utc, utcnow
from .decide import PASS_ON, Resource, authorize, district
from .models import AccessLogEntry, Grant, GrantEvent
from .scopes import (
    CITIZEN,
    ENTERPRISE,
    PARTNER,
    SCOPES,
    SCOPES_ONLY_LEGAL_REP_GRANTS,
)


def effective_status(grant: Grant) -> str:
    if grant.status == "active" and as_utc(grant.expires_at) <= utcnow():
        return "expired"
    return grant.status


def _grantor_of(principal: Principal, scopes: list[str]) -> tuple[str, str, Grant | None]:
    """Who grants: the citizen, the enterprise they act for, or (sub-delegation) the original
    grantor, within the delegate's own grant; the one decision says whether they may."""
    kind, ident = principal.subject
    if principal.grant_id:  # a delegate passes on only what the grant they act under allows
        decision = authorize(principal, PASS_ON, Resource(type="authorization", owner_kind=kind, owner_id=ident,
                                                          attrs={"scopes": tuple(scopes)}), record_use=False)
        parent = db.session().get(Grant, decision.grant_id)
        return parent.grantor_kind, parent.grantor_id, parent
    reserved = sorted(set(scopes) & set(SCOPES_ONLY_LEGAL_REP_GRANTS))
    try:
        authorize(principal, "grants:create_reserved" if reserved else "grants:create",
                  Resource(type="authorization", owner_kind=kind, owner_id=ident), record_use=False)
    except Forbidden as refused:
        if reserved:  # say which of the asked scopes only the legal representative grants
            refused.details = {**refused.details, "scopes": reserved}
        raise
    return kind, ident, None


@db.unit_of_work()
def create_grant(principal: Principal, body: dict) -> Grant:
    scopes = sorted(set(body["scopes"]))
    grantor_kind, grantor_id, parent = _grantor_of(principal, scopes)
    problems: dict[str, list[str]] = {}
    for scope in scopes:
        rule = SCOPES[scope]
        if grantor_kind not in rule.grantable_by or CITIZEN not in rule.grantees:
            problems.setdefault("scopes", []).append(f"{scope} cannot be granted by a{'n' if grantor_kind == ENTERPRISE else ''} {grantor_kind} to a citizen.")
    grantee = kernel.find_citizen(phone=body["grantee"].get("phone"), user_id=body["grantee"].get("user_id"))
    if grantee is None:
        problems["grantee"] = ["No registered citizen has this phone or id."]
    elif grantee.id in (principal.account_id, grantor_id):
        problems["grantee"] = ["You cannot grant to yourself."]
    elif scopes and grantee.assurance_level < max(SCOPES[s].grantee_level for s in scopes):
        problems["grantee"] = ["The grantee must complete real-name verification first."]

    now = utcnow()
    not_before = body.get("not_before") or now
    expires_at = body["expires_at"]
    max_days = min((SCOPES[s].max_days for s in scopes), default=0)
    if expires_at <= max(now, not_before):
        problems["expires_at"] = ["Must be later than now and than not_before."]
    elif expires_at - not_before > timedelta(days=max_days):
        problems["expires_at"] = ["These scopes may be granted for at most {days} days.".format(days=max_days)]
    if parent is not None:
        if expires_at > as_utc(parent.expires_at):
            problems["expires_at"] = ["Cannot outlast the authorization it is passed on from."]
        if not_before < as_utc(parent.not_before):
            problems["not_before"] = ["Cannot start before the authorization it is passed on from."]
        if not _within(body.get("constraints") or {}, json.loads(parent.constraints or "{}")):
            problems["constraints"] = ["Must be at least as narrow as the authorization it is passed on from."]
    if problems:
        raise ValidationFailed(problems)

    grant = Grant(
        grantor_kind=grantor_kind, grantor_id=grantor_id, grantee_kind=CITIZEN, grantee_id=grantee.id,
        scopes=json.dumps(scopes), constraints=json.dumps(body.get("constraints") or {}, sort_keys=True),
        purpose=body["purpose"], not_before=not_before, expires_at=expires_at,
        parent_id=parent.id if parent else None, created_by=principal.audit_name,
    )
    session = db.session()
    session.add(grant)
    session.flush()
    _history(grant, "created", principal.audit_name, {"scopes": scopes})
    audit("authorization.granted", object_type="grant", object_id=grant.id,
          on_behalf_of=f"{grantor_kind}:{grantor_id}" if grantor_id != principal.account_id else None,
          details={"scopes": scopes, "grantee": f"citizen:{grantee.id}"})
    return grant


def _within(child: dict, parent: dict) -> bool:
    """Whether constraints ``child`` allow nothing that ``parent`` forbids."""
    for key, limit in parent.items():
        if key not in child:
            return False
        if key == "amount_ceiling_fen" and child[key] > limit:
            return False
        if key != "amount_ceiling_fen" and not set(child[key]) <= set(limit):
            return False
    return True


def _history(grant: Grant, event: str, actor: str, details: dict | None = None) -> None:
    db.session().add(GrantEvent(grant_id=grant.id, event=event, actor=actor, details=json.dumps(details or {})))


def _grant_resource(grant: Grant) -> Resource:
    return Resource(type="authorization", owner_kind=grant.grantor_kind, owner_id=grant.grantor_id, id=grant.id,
                    attrs={"grantee": (grant.grantee_kind, grant.grantee_id)})


def _side(principal: Principal, grant: Grant) -> str:
    """Which side of the grant the caller stands on ('grantor' or 'grantee'), by the one
    decision; a grant they may not manage does not exist for them (404)."""
    not_found = NotFound("No such authorization.", code="authorization_not_found")
    try:
        decision = authorize(principal, "grants:manage", _grant_resource(grant), audit_denial=False, record_use=False)
    except Forbidden:
        raise not_found from None
    return "grantee" if decision.via == "grantee" else "grantor"


def get_grant(principal: Principal, grant_id: str) -> Grant:
    grant = db.session().get(Grant, grant_id)
    if grant is None:
        raise NotFound("No such authorization.", code="authorization_not_found")
    _side(principal, grant)
    return grant


def list_grants(principal: Principal, *, direction: str, status: str | None, limit: int,
                cursor: str | None) -> tuple[list, str | None]:
    """Newest first by ULID; the cursor is the last id of the previous page. Rows with the
    grant's columns (the page is only shown)."""
    if direction == "granted":
        kind, ident = principal.subject
        authorize(principal, "grants:manage", Resource(type="authorization", owner_kind=kind, owner_id=ident),
                  record_use=False)
    else:
        kind, ident = CITIZEN, principal.account_id
    params = {"kind": kind, "ident": ident, "limit": limit + 1}
    if status in ("active", "expired"):
        params["now"] = utcnow()
    if cursor:
        params["cursor"] = cursor
    rows = _grants_page(direction, status, bool(cursor)).rows(params)
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


_GRANTS = Grant.__table__


@lru_cache(maxsize=None)
def _grants_page(direction: str, status: str | None, after_cursor: bool) -> DriverRead:
    """The page's SELECT for each direction, status and cursor, built once."""
    g = _GRANTS
    if direction == "granted":
        query = select(g).where(g.c.grantor_kind == bindparam("kind"), g.c.grantor_id == bindparam("ident"))
    else:
        query = select(g).where(g.c.grantee_kind == bindparam("kind"), g.c.grantee_id == bindparam("ident"))
    if status == "revoked":
        query = query.where(g.c.status == "revoked")
    elif status == "active":
        query = query.where(g.c.status == "active", g.c.expires_at > bindparam("now"))
    elif status == "expired":
        query = query.where(g.c.status == "active", g.c.expires_at <= bindparam("now"))
    if after_cursor:
        query = query.where(g.c.id < bindparam("cursor"))
    return DriverRead(query.order_by(g.c.id.desc()).limit(bindparam("limit")))


@db.unit_of_work()
def revoke_grant(principal: Principal, grant_id: str) -> Grant:
    grant = db.session().get(Grant, grant_id)
    if grant is None:
        raise NotFound("No such authorization.", code="authorization_not_found")
    side = _side(principal, grant)
    if grant.status == "revoked":
        return grant  # revoking twice is the same as once
    now = utcnow()
    session = db.session()
    # The grant and everything passed on from it end together.
    pending, seen = [grant], set()
    while pending:
        current = pending.pop()
        if current.id in seen:
            continue
        seen.add(current.id)
        if current.status != "revoked":
            current.status, current.revoked_at, current.revoked_by = "revoked", now, principal.audit_name
            _history(current, "revoked", principal.audit_name, {"cascade_from": grant.id} if current is not grant else {})
        pending.extend(session.execute(select(Grant).where(Grant.parent_id == current.id)).scalars())
    audit("authorization.revoked", object_type="grant", object_id=grant.id,
          details={"by": side, "also_revoked": sorted(seen - {grant.id})})
    for revoked in seen:
        ended = session.get(Grant, revoked)
        events.grant_revoked.send(__name__, grant_id=ended.id, user_id=ended.grantor_id,
                                  grantee_kind=ended.grantee_kind, grantee_id=ended.grantee_id)
    return grant


def history(grant: Grant) -> list[GrantEvent]:
    return db.session().execute(
        select(GrantEvent).where(GrantEvent.grant_id == grant.id).order_by(GrantEvent.at, GrantEvent.id)
    ).scalars().all()


def access_log(principal: Principal, *, limit: int, cursor: str | None) -> tuple[list, str | None]:
    kind, ident = principal.subject
    authorize(principal, "access_log:read", Resource(type="access_log", owner_kind=kind, owner_id=ident),
              record_use=False)
    params = {"kind": kind, "ident": ident, "limit": limit + 1}
    if cursor:
        params["cursor"] = cursor
    rows = (_OWN_ACCESS_LOG_AFTER if cursor else _OWN_ACCESS_LOG).rows(params)
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


# Built once, and rows rather than ORM entities (the page is only read): composing the
# query and building twenty entities cost more CPU than PostgreSQL's answer.
_ACCESS = AccessLogEntry.__table__
_OWN_ACCESS_LOG_QUERY = (select(_ACCESS)
                         .where(_ACCESS.c.owner_kind == bindparam("kind"), _ACCESS.c.owner_id == bindparam("ident"))
                         .order_by(_ACCESS.c.id.desc()).limit(bindparam("limit")))
_OWN_ACCESS_LOG = DriverRead(_OWN_ACCESS_LOG_QUERY)
_OWN_ACCESS_LOG_AFTER = DriverRead(_OWN_ACCESS_LOG_QUERY.where(_ACCESS.c.id < bindparam("cursor")))


def with_parties(grants: list) -> list[With]:
    """Grants (entities or rows) with their parties' labels, effective status and history, for GrantSchema: in a
    fixed number of queries, however long the page."""
    labels = kernel.parties([(g.grantor_kind, g.grantor_id) for g in grants]
                            + [(g.grantee_kind, g.grantee_id) for g in grants])
    events: dict[str, list] = {g.id: [] for g in grants}
    if events:
        for event in _GRANT_EVENTS.rows({"ids": list(events)}):
            events[event.grant_id].append(event)
    return [With(g, grantor=labels[(g.grantor_kind, g.grantor_id)], grantee=labels[(g.grantee_kind, g.grantee_id)],
                 status=effective_status(g), history=events[g.id]) for g in grants]


_GRANT_EVENTS = DriverRead(select(GrantEvent.__table__)
                           .where(GrantEvent.__table__.c.grant_id.in_(bindparam("ids", expanding=True)))
                           .order_by(GrantEvent.__table__.c.at, GrantEvent.__table__.c.id))


def with_accessors(entries: list, *, owners: bool = False) -> list[With]:
    """Access-log entries (entities or rows) with their accessors labelled (masked), and their owners for auditors."""
    pairs = [(e.accessor_kind, e.accessor_id) for e in entries]
    labels = kernel.parties(pairs + ([(e.owner_kind, e.owner_id) for e in entries] if owners else []))
    return [With(e, accessor=labels[(e.accessor_kind, e.accessor_id)],
                 **({"owner": labels[(e.owner_kind, e.owner_id)]} if owners else {})) for e in entries]


# -- consent to partner platforms (issue 9) ----------------------------------------------

def create_partner_consent(user_id: str, partner_id: str, scopes: list[str], purpose: str, *,
                           days: int = 180) -> Grant:
    """The user's consent to a partner: a grant (citizen -> partner) of ``scopes``.

    A newer consent replaces the user's earlier live ones to the same partner. It joins
    the caller's unit of work (the consent and the authorization code it backs land together).
    """
    problems = [s for s in scopes if s not in SCOPES or PARTNER not in SCOPES[s].grantees
                or CITIZEN not in SCOPES[s].grantable_by]
    if problems:
        raise ValidationFailed({"scopes": ["Not grantable to a partner: {scopes}.".format(scopes=", ".join(sorted(problems)))]})
    now = utcnow()
    days = min([days, *(SCOPES[s].max_days for s in scopes)])
    session = db.session()
    actor = f"citizen:{user_id}"
    for older in session.execute(select(Grant).where(
            Grant.grantor_kind == CITIZEN, Grant.grantor_id == user_id, Grant.grantee_kind == PARTNER,
            Grant.grantee_id == partner_id, Grant.status == "active")).scalars():
        older.status, older.revoked_at, older.revoked_by = "revoked", now, actor
        _history(older, "revoked", actor, {"superseded": True})
    grant = Grant(grantor_kind=CITIZEN, grantor_id=user_id, grantee_kind=PARTNER, grantee_id=partner_id,
                  scopes=json.dumps(sorted(set(scopes))), constraints="{}", purpose=purpose[:200],
                  not_before=now, expires_at=now + timedelta(days=days), created_by=actor)
    session.add(grant)
    session.flush()
    _history(grant, "created", actor, {"scopes": sorted(set(scopes))})
    audit("authorization.consented", actor=actor, object_type="grant", object_id=grant.id,
          details={"scopes": sorted(set(scopes)), "grantee": f"partner:{partner_id}"})
    return grant


def live_partner_consents(user_id: str, scope: str | None = None) -> list[Grant]:
    """The user's live consents to partners that include ``scope`` (any, when None)."""
    now = utcnow()
    rows = db.session().execute(select(Grant).where(
        Grant.grantor_kind == CITIZEN, Grant.grantor_id == user_id, Grant.grantee_kind == PARTNER,
        Grant.status == "active")).scalars().all()
    return [g for g in rows if as_utc(g.not_before) <= now < as_utc(g.expires_at)
            and (scope is None or scope in json.loads(g.scopes))]


# -- access logs for auditors (issue 24) ---------------------------------------------------

def search_access_log(principal: Principal, *, owner_kind: str | None = None, owner_id: str | None = None,
                      accessor_kind: str | None = None, accessor_id: str | None = None,
                      action: str | None = None, limit: int = 50, cursor: str | None = None
                      ) -> tuple[list[AccessLogEntry], str | None]:
    """Everyone's access-log entries, newest first, for auditors (staff action ``admin:access_log.read``)."""
    authorize(principal, "admin:access_log.read", district("access_log"))
    query = select(AccessLogEntry)
    for column, value in ((AccessLogEntry.owner_kind, owner_kind), (AccessLogEntry.owner_id, owner_id),
                          (AccessLogEntry.accessor_kind, accessor_kind), (AccessLogEntry.accessor_id, accessor_id),
                          (AccessLogEntry.action, action)):
        if value:
            query = query.where(column == value)
    if cursor:
        query = query.where(AccessLogEntry.id < cursor)
    rows = db.session().execute(query.order_by(AccessLogEntry.id.desc()).limit(limit + 1)).scalars().all()
    page = list(rows[:limit])
    return page, (page[-1].id if len(rows) > limit else None)

