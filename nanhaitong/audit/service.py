"""Recording and verifying audit events."""

from __future__ import annotations

import hmac
import json
from dataclasses import dataclass
from functools import lru_cache

from flask import current_app, g, has_request_context, request
from sqlalchemy import Table, bindparam, insert, select, update

from schemas.admin import AUDIT_RESULTS

from .. import db
from ..ids import new_id
from ..security.suite import HMAC_SHA256, mac_hex
from ..timeutil import isoformat, utcnow
from .models import AuditChainHead, AuditEvent

GENESIS_HASH = "0" * 64
RESULTS = AUDIT_RESULTS
# The fields an event's hash covers, in order. Adding one needs a new chain version.
HASHED_FIELDS = ("seq", "id", "occurred_at", "actor", "on_behalf_of", "action", "object_type",
                 "object_id", "source_ip", "request_id", "result", "details")
_COLUMNS = (*HASHED_FIELDS, "prev_hash", "hash", "hash_alg")

# The statements that append, built once: building them costs more than running them.
_EVENTS, _HEAD = AuditEvent.__table__, AuditChainHead.__table__
_LOCK_HEAD = select(_HEAD.c.id, _HEAD.c.seq, _HEAD.c.hash).with_for_update()
# Parameter names that are no column's: a column's own name among the parameters would be
# written by the other statement of the pair too.
_INSERT_EVENT = insert(_EVENTS).values({name: bindparam(f"event_{name}") for name in _COLUMNS})
_INSERT_HEAD = insert(_HEAD).values(id=1, seq=bindparam("head_seq"), hash=bindparam("head_hash"))
_MOVE_HEAD = (update(_HEAD).where(_HEAD.c.id == bindparam("head_id"))
              .values(seq=bindparam("head_seq"), hash=bindparam("head_hash")))
# PostgreSQL: one statement, so one round trip while the head is locked instead of two.
# Every other appender waits for that lock, and under load a round trip is several
# milliseconds of the app waiting for its turn on a CPU.
_MOVE_HEAD_AND_INSERT_EVENT = _INSERT_EVENT.add_cte(_MOVE_HEAD.returning(_HEAD.c.id).cte("moved_head"))


@lru_cache(maxsize=None)
def _insert_row(table: Table):
    return insert(table)  # built once per table: building a statement costs about as much as running it


@lru_cache(maxsize=None)
def _append_along(table: Table):
    """The PostgreSQL append with a row of ``table`` inserted by the same statement (built
    once per table). Every column is a parameter: a CTE's INSERT gets no Python-side defaults."""
    row = insert(table).values({c.name: bindparam(f"along_{c.name}", type_=c.type) for c in table.c})
    return _MOVE_HEAD_AND_INSERT_EVENT.add_cte(row.returning(*table.primary_key.columns).cte("along_row"))


def _canonical(value) -> str:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _link_hash(alg: str, prev_hash: str, event: AuditEvent) -> str:
    """The link's MAC under ``alg`` (HMAC-SHA256 or HMAC-SM3, each with its own key)."""
    fields = {name: getattr(event, name) for name in HASHED_FIELDS}
    message = (prev_hash + _canonical(fields)).encode()
    return mac_hex(alg, current_app.extensions["nht.audit_keys"][alg], message)


def _current_alg() -> str:
    return current_app.extensions["nht.suite"].mac


def _principal():
    return g.get("principal") if has_request_context() else None


def record(action: str, *, result: str = "success", object_type: str | None = None,
           object_id: str | None = None, actor: str | None = None,
           on_behalf_of: str | None = None, details: dict | None = None,
           along: tuple[Table, dict] | None = None) -> AuditEvent:
    """Append an event in the caller's transaction: it lands if and only if the work does.

    ``actor`` and ``on_behalf_of`` default to the request's authenticated principal.
    ``details`` must not hold personal data in clear (use ids or masked values).
    ``along`` is a row (table, values naming every column that needs a value, defaults
    included) the event comes with: on PostgreSQL the statement that appends the event
    inserts it too, a round trip fewer (a verification's access-log entry).
    """
    if result not in RESULTS:
        raise ValueError(f"result must be one of {RESULTS}")
    session = db.session()
    # The row lock serialises appenders on PostgreSQL; SQLite serialises writers itself,
    # and the sequence primary key refuses a fork either way. Whatever else the caller's
    # transaction writes is flushed by this query, before the lock is taken. The head is
    # read as values, not as an object, so a second event in the same transaction sees
    # the head the first one wrote.
    head = session.execute(_LOCK_HEAD).one_or_none()
    prev_hash = head.hash if head else GENESIS_HASH
    event = AuditEvent(
        seq=(head.seq if head else 0) + 1,
        id=new_id(),
        occurred_at=isoformat(utcnow()),
        actor=actor or getattr(_principal(), "audit_name", None) or "anonymous",
        on_behalf_of=on_behalf_of or getattr(_principal(), "on_behalf_of", None),
        action=action,
        object_type=object_type,
        object_id=object_id,
        source_ip=request.remote_addr if has_request_context() else None,
        request_id=g.get("request_id") if has_request_context() else None,
        result=result,
        details=_canonical(details or {}),
        prev_hash=prev_hash,
    )
    alg = _current_alg()
    event.hash_alg = None if alg == HMAC_SHA256 else alg
    event.hash = _link_hash(alg, prev_hash, event)
    _append(session, event, head_id=head.id if head else None, along=along)
    return event


def _append(session, event: AuditEvent, *, head_id: int | None, along: tuple[Table, dict] | None = None) -> None:
    """Write the event (and the row ``along`` it) and move the head to it (the head is
    locked by the caller)."""
    values = {f"event_{name}": getattr(event, name) for name in _COLUMNS}
    head = {"head_id": head_id, "head_seq": event.seq, "head_hash": event.hash}
    postgresql = head_id is not None and session.get_bind().dialect.name == "postgresql"
    if along is not None and not postgresql:
        session.execute(_insert_row(along[0]), along[1])
    if head_id is None:
        session.execute(_INSERT_HEAD, head)
        session.execute(_INSERT_EVENT, values)
    elif postgresql and along is not None:
        table, row = along
        session.execute(_append_along(table), {**values, **head,
                                               **{f"along_{c.name}": row.get(c.name) for c in table.c}})
    elif postgresql:
        session.execute(_MOVE_HEAD_AND_INSERT_EVENT, {**values, **head})
    else:
        session.execute(_MOVE_HEAD, head)
        session.execute(_INSERT_EVENT, values)


@dataclass
class ChainReport:
    ok: bool
    events: int
    problem: str | None = None
    seq: int | None = None

    def as_dict(self) -> dict:
        return {"ok": self.ok, "events": self.events, "problem": self.problem, "seq": self.seq}


def verify_chain(batch_size: int = 1000) -> ChainReport:
    """Walk the whole chain; report the first break, if any."""
    session = db.session()
    expected_seq, prev_hash, count = 1, GENESIS_HASH, 0
    last_seen = 0
    while True:
        batch = session.execute(
            select(AuditEvent).where(AuditEvent.seq > last_seen).order_by(AuditEvent.seq).limit(batch_size)
        ).scalars().all()
        if not batch:
            break
        for event in batch:
            if event.seq != expected_seq:
                return ChainReport(False, count, "missing_event", expected_seq)
            if event.prev_hash != prev_hash:
                return ChainReport(False, count, "broken_link", event.seq)
            alg = event.hash_alg or HMAC_SHA256
            if alg not in current_app.extensions["nht.audit_keys"] or not hmac.compare_digest(
                    _link_hash(alg, prev_hash, event), event.hash):
                return ChainReport(False, count, "modified_event", event.seq)
            prev_hash, expected_seq, count = event.hash, expected_seq + 1, count + 1
        last_seen = batch[-1].seq
        session.expunge_all()  # keep memory flat on long chains
    head = session.get(AuditChainHead, 1)
    if head is None:
        return ChainReport(count == 0, count, None if count == 0 else "missing_head", None)
    if head.seq != count or head.hash != prev_hash:
        return ChainReport(False, count, "truncated_chain", count + 1)
    return ChainReport(True, count)
