"""Sending and reading messages. Every domain tells users things through ``notify_user``
and ``notify_enterprise``; none writes the inbox tables itself.

A message is stored in the sender's transaction, so it exists exactly when the change it
announces does. Pushes to the recipient's phones are rows too (``PushDelivery``), sent
by a job after the commit; a provider outage delays the push and never loses the
inbox message.
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from functools import lru_cache

from flask import current_app
from sqlalchemy import bindparam, case, func, select, update
from sqlalchemy.exc import IntegrityError

from schemas.messages import OPTIONAL_TOPICS, TOPICS

from .. import db, events
from ..audit.service import record as audit
from ..authorizations import Resource, authorize
from ..driver_reads import DriverRead
from ..errors import Conflict, NotFound, ValidationFailed
from ..identity import member_ids
from ..kernel import Principal
from ..sms_templates import inbox_text
from ..timeutil import CHINA_STANDARD_TIME, as_utc, utcnow
from .models import Device, Message, MessagePreference, PushDelivery

CITIZEN, ENTERPRISE = "citizen", "enterprise"
PENDING_PUSHES = "nht.messages.pending_pushes"


# -- sending ------------------------------------------------------------------------------

def notify_user(user_id: str, *, topic: str, title: str, body: str, data: dict | None = None,
                dedupe_key: str | None = None) -> Message | None:
    """Put a message in the citizen's inbox (in the caller's transaction) and queue its push."""
    return _deliver(CITIZEN, user_id, topic, title, body, data, dedupe_key)


def notify_enterprise(enterprise_id: str, *, topic: str, title: str, body: str, data: dict | None = None,
                      dedupe_key: str | None = None) -> Message | None:
    """Put a message in the enterprise's inbox, and a copy in the inbox of each member who
    chose to follow the enterprise's messages on that topic."""
    message = _deliver(ENTERPRISE, enterprise_id, topic, title, body, data, dedupe_key)
    if message is not None:
        copy_data = {**(data or {}), "enterprise_id": enterprise_id}
        for user_id in member_ids(enterprise_id):
            if topic in preferences_of(CITIZEN, user_id)["enterprise_topics"]:
                _deliver(CITIZEN, user_id, topic, title, body, copy_data,
                         f"enterprise:{enterprise_id}:{dedupe_key or message.id}")
    return message


def _deliver(kind, recipient_id, topic, title, body, data, dedupe_key) -> Message | None:
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}")
    prefs = preferences_of(kind, recipient_id)
    if topic in OPTIONAL_TOPICS and topic not in prefs["topics"]:
        return None
    session = db.session()
    message = Message(recipient_kind=kind, recipient_id=recipient_id, topic=topic, title=title[:100],
                      body=body, data=json.dumps(data or {}, ensure_ascii=False), dedupe_key=dedupe_key)
    if dedupe_key is not None:
        # The unique constraint, not a lookup, makes it once: two senders racing on one
        # key leave one row, and the loser's savepoint rolls back alone.
        try:
            with session.begin_nested():
                session.add(message)
        except IntegrityError:
            return None
    else:
        session.add(message)
    if kind == CITIZEN and topic in prefs["topics"]:
        _queue_pushes(message, recipient_id, prefs)
    return message


def _queue_pushes(message: Message, user_id: str, prefs: dict) -> None:
    session = db.session()
    not_before = quiet_until(prefs, utcnow())
    for device in session.execute(select(Device).where(Device.user_id == user_id)).scalars():
        delivery = PushDelivery(message_id=message.id, device_id=device.id, not_before=not_before)
        session.add(delivery)
        session.flush()
        session.info.setdefault(PENDING_PUSHES, []).append((delivery.id, not_before))


def quiet_until(prefs: dict, now: datetime) -> datetime:
    """When a push may go: now, or the end of the recipient's quiet hours (China time)."""
    start, end = prefs.get("quiet_start"), prefs.get("quiet_end")
    if not start or not end or start == end:
        return now
    local = as_utc(now).astimezone(CHINA_STANDARD_TIME)
    start_t, end_t = time.fromisoformat(start), time.fromisoformat(end)
    t = local.time()
    quiet = start_t <= t < end_t if start_t < end_t else (t >= start_t or t < end_t)
    if not quiet:
        return now
    end_local = datetime.combine(local.date(), end_t, tzinfo=CHINA_STANDARD_TIME)
    if end_local <= local:
        end_local += timedelta(days=1)
    return end_local.astimezone(now.tzinfo)


# -- reading ------------------------------------------------------------------------------

def _inbox(principal: Principal) -> Resource:
    kind, ident = principal.subject
    return Resource("inbox", kind, ident, ident)


def _owner(principal: Principal, action: str) -> tuple[str, str]:
    resource = _inbox(principal)
    authorize(principal, action, resource)
    return resource.owner_kind, resource.owner_id


def list_messages(principal: Principal, *, topic: str | None, unread_only: bool, limit: int,
                  cursor: str | None) -> tuple[list, str | None]:
    """Unread first, then newest first. The cursor is "<0|1>:<id>" of the last item shown."""
    kind, ident = _owner(principal, "messages:read")
    params = {"kind": kind, "ident": ident, "topic": topic, "limit": limit + 1}
    if cursor:
        params["rank"], params["last_id"] = _parse_cursor(cursor)
    rows = _page(bool(topic), unread_only, bool(cursor)).rows(params)
    items = rows[:limit]
    next_cursor = None
    if len(rows) > limit:
        last = items[-1]
        next_cursor = f"{0 if last.read_at is None else 1}:{last.id}"
    return items, next_cursor


_MESSAGES = Message.__table__
_READ_RANK = case((_MESSAGES.c.read_at.is_(None), 0), else_=1)


@lru_cache(maxsize=None)
def _page(topic: bool, unread_only: bool, after_cursor: bool) -> DriverRead:
    """The page's SELECT for each combination of filters, built once: rows, not ORM
    entities (the page is only shown; building twenty entities cost more than the query)."""
    m = _MESSAGES
    query = (select(m.c.id, m.c.topic, m.c.title, m.c.body, m.c.data, m.c.created_at, m.c.read_at)
             .where(m.c.recipient_kind == bindparam("kind"), m.c.recipient_id == bindparam("ident")))
    if topic:
        query = query.where(m.c.topic == bindparam("topic"))
    if unread_only:
        query = query.where(m.c.read_at.is_(None))
    if after_cursor:
        query = query.where((_READ_RANK > bindparam("rank"))
                            | ((_READ_RANK == bindparam("rank")) & (m.c.id < bindparam("last_id"))))
    return DriverRead(query.order_by(_READ_RANK, m.c.id.desc()).limit(bindparam("limit")))


def _parse_cursor(cursor: str) -> tuple[int, str]:
    rank, _, last_id = cursor.partition(":")
    if rank not in ("0", "1") or len(last_id) != 26:
        raise ValidationFailed({"cursor": ["Not a cursor this list gave."]})
    return int(rank), last_id


def unread_count(principal: Principal) -> int:
    kind, ident = _owner(principal, "messages:read")
    return _UNREAD_COUNT.first({"kind": kind, "ident": ident})[0]


_UNREAD_COUNT = DriverRead(select(func.count()).select_from(_MESSAGES).where(
    _MESSAGES.c.recipient_kind == bindparam("kind"), _MESSAGES.c.recipient_id == bindparam("ident"),
    _MESSAGES.c.read_at.is_(None)))


def get_message(principal: Principal, message_id: str) -> Message:
    kind, ident = _owner(principal, "messages:read")
    message = db.session().get(Message, message_id)
    if message is None or (message.recipient_kind, message.recipient_id) != (kind, ident):
        raise NotFound("No such message.", code="message_not_found")
    return message


@db.unit_of_work()
def mark_read(principal: Principal, message_id: str) -> Message:
    message = get_message(principal, message_id)
    if message.read_at is None:
        message.read_at = utcnow()
    return message


@db.unit_of_work()
def mark_all_read(principal: Principal) -> int:
    kind, ident = _owner(principal, "messages:read")
    result = db.session().execute(
        update(Message).where(Message.recipient_kind == kind, Message.recipient_id == ident,
                              Message.read_at.is_(None)).values(read_at=utcnow()))
    return result.rowcount


# -- preferences --------------------------------------------------------------------------

def preferences_of(kind: str, owner_id: str) -> dict:
    row = db.session().execute(select(MessagePreference).where(
        MessagePreference.owner_kind == kind, MessagePreference.owner_id == owner_id)).scalar_one_or_none()
    if row is None:
        return {"topics": list(TOPICS), "enterprise_topics": [], "quiet_start": None, "quiet_end": None}
    stored = json.loads(row.topics)
    return {"topics": stored["topics"], "enterprise_topics": stored.get("enterprise_topics", []),
            "quiet_start": row.quiet_start, "quiet_end": row.quiet_end}


def get_preferences(principal: Principal) -> dict:
    kind, ident = _owner(principal, "messages:read")
    return _shown(kind, preferences_of(kind, ident))


@db.unit_of_work()
def set_preferences(principal: Principal, changes: dict) -> dict:
    kind, ident = _owner(principal, "messages:settings")
    prefs = {**preferences_of(kind, ident), **changes}
    if kind == ENTERPRISE:
        prefs["enterprise_topics"] = []  # following an enterprise is a member's own choice
    session = db.session()
    row = session.execute(select(MessagePreference).where(
        MessagePreference.owner_kind == kind, MessagePreference.owner_id == ident)).scalar_one_or_none()
    if row is None:
        row = MessagePreference(owner_kind=kind, owner_id=ident)
        session.add(row)
    row.topics = json.dumps({"topics": sorted(set(prefs["topics"])),
                             "enterprise_topics": sorted(set(prefs["enterprise_topics"]))})
    row.quiet_start, row.quiet_end = prefs["quiet_start"], prefs["quiet_end"]
    audit("messages.preferences_changed", object_type="message_preferences", object_id=ident,
          details={"topics": sorted(set(prefs["topics"])), "quiet_hours": bool(prefs["quiet_start"])})
    return _shown(kind, prefs)


def _shown(kind: str, prefs: dict) -> dict:
    """An enterprise's inbox follows no enterprise: it has no enterprise topics to show."""
    return prefs if kind == CITIZEN else {k: v for k, v in prefs.items() if k != "enterprise_topics"}


# -- devices ------------------------------------------------------------------------------

def _token_index(token: str) -> str:
    return current_app.extensions["nht.blind_index"].digest(token, domain="push_token")


# Two first registrations of one token at once: the unique index refuses the second,
# which is told to try again (and then finds the row) rather than answered 500.
@db.unit_of_work(conflict=lambda: Conflict("This device is being registered right now; try again.",
                                           code="device_registration_in_progress"))
def register_device(principal: Principal, platform: str, token: str) -> tuple[Device, bool]:
    """Register (or re-register) this phone for the signed-in citizen's pushes. A token
    moves to whoever registers it last: phones change hands, and one device is one user."""
    user_id = _own_account(principal)
    session = db.session()
    index = _token_index(token)
    device = session.execute(select(Device).where(Device.token_index == index)).scalar_one_or_none()
    created = device is None
    if created:
        device = Device(user_id=user_id, platform=platform, token=token, token_index=index)
        session.add(device)
    else:
        device.user_id, device.platform, device.last_seen_at = user_id, platform, utcnow()
    session.flush()
    audit("messages.device_registered", object_type="device", object_id=device.id, details={"platform": platform})
    return device, created


def list_devices(principal: Principal) -> list[Device]:
    user_id = _own_account(principal)
    return list(db.session().execute(
        select(Device).where(Device.user_id == user_id).order_by(Device.id.desc())).scalars())


@db.unit_of_work()
def remove_device(principal: Principal, device_id: str) -> None:
    session = db.session()
    device = session.get(Device, device_id)
    if device is None:
        raise NotFound("No such device.", code="device_not_found")
    # A phone is its holder's own, whatever context they act in: another's is not found.
    authorize(principal, "account:manage", Resource(type="device", owner_kind="citizen", owner_id=device.user_id,
                                                    id=device_id))
    session.execute(update(PushDelivery).where(PushDelivery.device_id == device.id, PushDelivery.status == "pending")
                    .values(status="dropped", last_error="device removed"))
    session.delete(device)
    audit("messages.device_removed", object_type="device", object_id=device_id)


def _own_account(principal: Principal) -> str:
    """Devices belong to the person holding the phone, whatever context they act in."""
    return principal.account_id


# -- sending to many enterprises at once (policy push): see bulk.py ------------------------

def notify_enterprises(enterprise_ids, *, topic: str, title: str, body: str, data: dict | None = None,
                       dedupe_key: str) -> dict[str, int]:
    """``notify_enterprise`` for many enterprises at once, in the caller's transaction;
    answers counts of what was new (``delivered``, ``member_copies``, ``pushes``)."""
    from .bulk import notify_enterprises as send

    return send(enterprise_ids, topic=topic, title=title, body=body, data=data, dedupe_key=dedupe_key)


@events.identity_claimed.connect
def _tell_the_previous_holder(sender, *, user_id: str, claimed_by: str, **_fields) -> None:
    """The account that lost a verified identity to its holder's face verification is told."""
    title, body = inbox_text("identity_claimed")
    notify_user(user_id, topic="security", title=title, body=body,
                data={"reason": "identity_claimed"}, dedupe_key=f"identity-claimed:{user_id}:{claimed_by}")
