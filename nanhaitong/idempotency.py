"""Idempotency-Key for state-changing requests a client may retry (Stripe's rules).

The first request with a key runs and its answer is kept (encrypted: answers hold
personal data) for a day. The same key with the same body replays that answer; with a
different body it is a 422; while the first is still running, a 409. Keys belong to the
caller: two callers may use the same key. A request that fails with an error keeps
nothing, so the client may try again with the same key.
"""

from __future__ import annotations

import hashlib
import json
import re
from datetime import datetime, timedelta
from functools import wraps

from flask import Response, g, request
from sqlalchemy import DateTime, Integer, String, UniqueConstraint, bindparam, delete, insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, mapped_column

from . import db
from .db import Base
from .errors import BadRequest, Conflict, ValidationFailed
from .ids import new_id
from .security.fields import EncryptedText
from .timeutil import as_utc, utcnow

HEADER = "Idempotency-Key"
KEEP_FOR = timedelta(hours=24)
_KEY = re.compile(r"^[\x21-\x7e]{1,255}$")  # printable ASCII, no spaces


class IdempotencyRecord(Base):
    __tablename__ = "idempotency_keys"
    __table_args__ = (UniqueConstraint("owner", "key"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    owner: Mapped[str] = mapped_column(String(80))
    key: Mapped[str] = mapped_column(String(255))
    request_hash: Mapped[str] = mapped_column(String(64))
    status_code: Mapped[int | None] = mapped_column(Integer)
    body: Mapped[str | None] = mapped_column(EncryptedText("idempotency_keys.body"))
    mimetype: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)


def _request_hash() -> str:
    digest = hashlib.sha256(f"{request.method} {request.path}\n".encode())
    digest.update(_canonical_body())
    return digest.hexdigest()


def _canonical_body() -> bytes:
    """The same JSON body hashes the same whatever its key order or spacing (Stripe
    compares parameters, not bytes); anything else is hashed as sent."""
    raw = request.get_data(cache=True)
    if request.is_json:
        try:
            parsed = json.loads(raw)
        except ValueError:
            return raw
        return b"json:" + json.dumps(parsed, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()
    return raw


# A plain INSERT (its id and created_at from the columns' defaults): an ORM object's
# flush cost more than the statement itself.
_CLAIM = insert(IdempotencyRecord.__table__)


def _claim(owner: str, key: str) -> IdempotencyRecord | None:
    """Insert the key as in progress; return the earlier record when it exists.

    The insert comes first: a fresh key (the usual case) costs one statement, and the
    unique key says when it was used before. A record kept past its day is forgotten
    then, and the key claimed again.
    """
    session = db.session()
    for _ in range(3):
        try:
            with db.unit_of_work("claim the key"):
                db.execute_alone(_CLAIM, {"owner": owner, "key": key, "request_hash": _request_hash()})
            return None
        except IntegrityError:  # this key was used before (or is in use right now)
            pass
        earlier = session.execute(
            select(IdempotencyRecord).where(IdempotencyRecord.owner == owner, IdempotencyRecord.key == key)
        ).scalar_one_or_none()
        if earlier is None:
            continue  # forgotten meanwhile (its request failed): claim it again
        if as_utc(earlier.created_at) >= utcnow() - KEEP_FOR:
            return earlier
        with db.unit_of_work("forget the stale record"):
            session.execute(delete(IdempotencyRecord).where(IdempotencyRecord.id == earlier.id))
    raise Conflict("A request with this key is still being processed.", code="idempotency_in_progress")


def idempotent(view):
    """Honour an optional Idempotency-Key header on this (authenticated) view."""

    @wraps(view)
    def wrapper(*args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view(*args, **kwargs)
        if not _KEY.match(key):
            raise ValidationFailed({HEADER: ["1 to 255 printable ASCII characters, no spaces."]})
        owner = g.principal.audit_name if g.get("principal") else "anonymous"
        earlier = _claim(owner, key)
        if earlier is not None:
            if earlier.request_hash != _request_hash():
                raise ValidationFailed({HEADER: ["This key was used with a different request."]},
                                       code="idempotency_key_reused")
            if earlier.status_code is None:
                raise Conflict("A request with this key is still being processed.", code="idempotency_in_progress")
            replay = Response(earlier.body, status=earlier.status_code, mimetype=earlier.mimetype)
            replay.headers["Idempotent-Replayed"] = "true"
            return replay
        try:
            response = view(*args, **kwargs)
        except Exception:
            _forget(owner, key)
            raise
        _remember(owner, key, response)
        return response

    wrapper._apidoc = dict(getattr(view, "_apidoc", {}))
    manual = dict(wrapper._apidoc.get("manual_doc", {}))
    manual["parameters"] = [*manual.get("parameters", []), {
        "in": "header", "name": HEADER, "required": False, "schema": {"type": "string", "maxLength": 255},
        "description": "Send the same key to retry safely: the first answer is replayed for 24 hours.",
    }]
    wrapper._apidoc["manual_doc"] = manual
    return wrapper


def idempotent_required(view):
    """``idempotent``, with the header required: without it, 400 ``idempotency_key_required``
    (money-moving creates must be safe to retry, so the client must send a key)."""
    inner = idempotent(view)

    @wraps(inner)
    def wrapper(*args, **kwargs):
        if request.headers.get(HEADER) is None:
            raise BadRequest("Send an Idempotency-Key header: this request must be safe to retry.",
                             code="idempotency_key_required")
        return inner(*args, **kwargs)

    wrapper._apidoc = dict(getattr(inner, "_apidoc", {}))
    manual = dict(wrapper._apidoc.get("manual_doc", {}))
    manual["parameters"] = [{**p, "required": True} if p.get("name") == HEADER else p
                            for p in manual.get("parameters", [])]
    wrapper._apidoc["manual_doc"] = manual
    return wrapper


@db.unit_of_work()
def _forget(owner: str, key: str) -> None:
    db.session().execute(delete(IdempotencyRecord).where(
        IdempotencyRecord.owner == owner, IdempotencyRecord.key == key, IdempotencyRecord.status_code.is_(None)))


# Built once (building a statement costs about as much as sending it). Parameter names
# that are no column's: those would be written too.
# On the table, not the entity: the ORM's bulk path (synchronising the session's objects,
# of which there are none here: the claim is a plain INSERT) cost as much as the statement.
_RECORDS = IdempotencyRecord.__table__
_OURS = (_RECORDS.c.owner == bindparam("record_owner"), _RECORDS.c.key == bindparam("record_key"))
_DROP = delete(_RECORDS).where(*_OURS)
# The body is encrypted on its way in by the column's type, as for any write.
_KEEP = update(_RECORDS).where(*_OURS).values(
    status_code=bindparam("answer_status"), mimetype=bindparam("answer_mimetype"), body=bindparam("answer_body"))


@db.unit_of_work()
def _remember(owner: str, key: str, response: Response) -> None:
    ours = {"record_owner": owner, "record_key": key}
    if response.status_code >= 400:  # errors are not kept: the client may retry as is
        db.execute_alone(_DROP, ours)
    else:
        db.execute_alone(_KEEP, {**ours, "answer_status": response.status_code, "answer_mimetype": response.mimetype,
                                 "answer_body": response.get_data(as_text=True)})



def forget_owner(owner: str) -> int:
    """Delete every kept answer of ``owner`` (``citizen:<id>``): at account deletion (issue 23).
    In the caller's unit of work."""
    return db.session().execute(delete(IdempotencyRecord).where(IdempotencyRecord.owner == owner)).rowcount
