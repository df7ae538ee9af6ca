"""``notify_enterprises``: one message to many enterprises at once (a policy fan-out sends
one to each of 100,000), with ``notify_enterprise``'s rules, in a few statements per
batch of ``BULK_BATCH``:

- preferences read set-wise (an enterprise that unsubscribed from an optional topic gets
  nothing);
- who already holds this dedupe key is read first (one index probe each), so a
  republish or a re-run encrypts and writes nothing;
- the rows are built as plain tuples: ids made in bulk (``ids.new_ids``), the encrypted
  columns encrypted in bulk (``EncryptedText.encrypt_many``: the AEAD key set up once,
  a nonce of its own for every value, under the configured suite, AES-256-GCM or
  SM4-GCM), no ORM object per row;
- on PostgreSQL they are COPied (``db.copy_rows``, formatted by psycopg in C) into a
  staging table of the transaction's own and moved on in one ``INSERT ... SELECT``
  (the multi-row VALUES SQLAlchemy renders was re-parsed by psycopg on every batch, and
  array parameters are dumped element by element in Python: either cost more than the
  insert itself); on SQLite they go in as one multi-row insert. Either way
  ``ON CONFLICT DO NOTHING`` on the inbox's unique (recipient, dedupe key) keeps a
  racing sender from adding a second copy, and ``RETURNING`` says which rows are new;
- members who follow the enterprise's ``topic`` get their copy, and their phones the
  push (``PushDelivery`` rows, sent after commit by the push job).
"""

from __future__ import annotations

import json

from sqlalchemy import DateTime, String, Text, bindparam, column, select, table, text

from schemas.messages import OPTIONAL_TOPICS, TOPICS

from .. import db
from ..identity import members_of
from ..ids import new_ids
from ..security.fields import EncryptedText
from ..timeutil import utcnow
from .models import Device, Message, MessagePreference, PushDelivery
from .service import CITIZEN, ENTERPRISE, PENDING_PUSHES, quiet_until

BULK_BATCH = 5000
_COLUMNS = ("id", "recipient_kind", "recipient_id", "topic", "title", "body", "data", "dedupe_key", "created_at")
# The messages table as stored: the encrypted columns as the text they hold (encrypted here, in bulk).
_STORED = table("messages", *(column(c.name, Text() if isinstance(c.type, EncryptedText) else c.type)
                              for c in Message.__table__.c if c.name in _COLUMNS))
# PostgreSQL: the rows are COPied into a staging table of the transaction's own, then
# moved on in one statement that skips whoever already holds the key.
_STAGING = "nht_messages_staged"
_STAGING_COLUMNS = ("id", "recipient_id", "title", "body", "data", "dedupe_key")
_CREATE_STAGING = text(
    f"CREATE TEMPORARY TABLE IF NOT EXISTS {_STAGING} (id text, recipient_id text, title text, body text, "
    "data text, dedupe_key text) ON COMMIT DROP")
_MOVE_STAGED = text(
    f"WITH staged AS (DELETE FROM {_STAGING} RETURNING *) "
    "INSERT INTO messages (id, recipient_kind, recipient_id, topic, title, body, data, dedupe_key, created_at) "
    "SELECT id, :kind, recipient_id, :topic, title, body, data, dedupe_key, :created_at FROM staged "
    "ON CONFLICT (recipient_kind, recipient_id, dedupe_key) DO NOTHING RETURNING id, recipient_id"
).bindparams(bindparam("kind", type_=String), bindparam("topic", type_=String),
             bindparam("created_at", type_=DateTime(timezone=True)))
_HOLDERS = text(
    "SELECT u.id FROM unnest(string_to_array(:ids, ',')) AS u(id) CROSS JOIN LATERAL (SELECT 1 FROM messages m "
    "WHERE m.recipient_kind = :kind AND m.recipient_id = u.id AND m.dedupe_key = :key LIMIT 1) AS held"
).bindparams(bindparam("ids", type_=Text), bindparam("kind", type_=String), bindparam("key", type_=String))


def notify_enterprises(enterprise_ids, *, topic: str, title: str, body: str, data: dict | None = None,
                       dedupe_key: str) -> dict[str, int]:
    """``notify_enterprise`` for many enterprises, with the same rules (see the module's
    docstring). In the caller's transaction. Answers counts of what was new."""
    if topic not in TOPICS:
        raise ValueError(f"unknown topic {topic!r}")
    if not dedupe_key:
        raise ValueError("a bulk send needs a dedupe_key: it is what makes a re-run harmless")
    ids = list(dict.fromkeys(enterprise_ids))
    counts = {"delivered": 0, "member_copies": 0, "pushes": 0}
    payload = json.dumps(data or {}, ensure_ascii=False)
    for start in range(0, len(ids), BULK_BATCH):
        batch = ids[start:start + BULK_BATCH]
        prefs = _preferences_many(ENTERPRISE, batch)
        wanted = [e for e in batch if not (topic in OPTIONAL_TOPICS and topic not in prefs[e]["topics"])]
        wanted = _without_holders(ENTERPRISE, wanted, dedupe_key)
        created = _insert_many(ENTERPRISE, [(e, payload, dedupe_key) for e in wanted], topic, title, body)
        counts["delivered"] += len(created)
        if not created:
            continue
        pairs = members_of([recipient for _, recipient in created])
        member_prefs = _preferences_many(CITIZEN, sorted({user for _, user in pairs}))
        copies = []
        for enterprise_id, user_id in pairs:
            p = member_prefs[user_id]
            if topic in p["enterprise_topics"] and not (topic in OPTIONAL_TOPICS and topic not in p["topics"]):
                copy_data = json.dumps({**(data or {}), "enterprise_id": enterprise_id}, ensure_ascii=False)
                copies.append((user_id, copy_data, f"enterprise:{enterprise_id}:{dedupe_key}"))
        copied = _insert_many(CITIZEN, copies, topic, title, body)
        counts["member_copies"] += len(copied)
        counts["pushes"] += _queue_pushes_many(
            [(message_id, user_id) for message_id, user_id in copied if topic in member_prefs[user_id]["topics"]],
            member_prefs)
    return counts


def _postgresql() -> bool:
    return db.session().get_bind().dialect.name == "postgresql"


def _id_list(ids: list[str]) -> str:
    """Ids (ULIDs, never a comma) as one parameter for ``string_to_array(:ids, ',')``:
    psycopg dumps a list parameter element by element in Python, which for 5,000 ids
    cost more than the query it served."""
    if any("," in i for i in ids):
        raise ValueError("an id holds a comma")
    return ",".join(ids)


def _among(column_, values):
    """``column IN values`` for thousands of values. On PostgreSQL as a semi-join against
    unnest(one parameter): a long IN list of parameters in a prepared (generic) plan is
    searched linearly for every row, which made a 5,000-id page take seconds."""
    values = list(values)
    if _postgresql():
        from sqlalchemy import func

        return column_.in_(select(func.unnest(func.string_to_array(bindparam("among", _id_list(values), type_=Text),
                                                                   ","))))
    return column_.in_(values)


def _preferences_many(kind: str, owner_ids: list[str]) -> dict[str, dict]:
    """preferences_of for many owners in one query (owners without a row get the defaults)."""
    found = {}
    for row in db.session().execute(select(MessagePreference).where(
            MessagePreference.owner_kind == kind, _among(MessagePreference.owner_id, owner_ids))).scalars():
        stored = json.loads(row.topics)
        found[row.owner_id] = {"topics": stored["topics"], "enterprise_topics": stored.get("enterprise_topics", []),
                               "quiet_start": row.quiet_start, "quiet_end": row.quiet_end}
    default = {"topics": list(TOPICS), "enterprise_topics": [], "quiet_start": None, "quiet_end": None}
    return {owner: found.get(owner, default) for owner in owner_ids}


def _without_holders(kind: str, recipients: list[str], dedupe_key: str) -> list[str]:
    """The recipients who do not hold a message with this dedupe key yet. On PostgreSQL
    one index probe per recipient, whatever the statistics say (a semi-join planned while
    the inbox looked empty scanned every message of the kind once per recipient)."""
    if not recipients:
        return []
    if _postgresql():
        holders = set(db.session().execute(_HOLDERS, {"kind": kind, "key": dedupe_key,
                                                      "ids": _id_list(recipients)}).scalars())
    else:
        holders = set(db.session().execute(select(Message.recipient_id).where(
            Message.recipient_kind == kind, Message.dedupe_key == dedupe_key,
            Message.recipient_id.in_(recipients))).scalars())
    return [r for r in recipients if r not in holders] if holders else recipients


def _insert_many(kind: str, rows: list[tuple[str, str, str]], topic: str, title: str, body: str) -> list[tuple[str, str]]:
    """Insert (recipient_id, data_json, dedupe_key) messages, skipping those already there;
    answers (message_id, recipient_id) of the rows actually inserted."""
    if not rows:
        return []
    session, n, now = db.session(), len(rows), utcnow()
    recipients, datas, keys = (list(values) for values in zip(*rows, strict=True))
    ids = new_ids(n)
    columns = Message.__table__.c
    titles = columns.title.type.encrypt_many([title[:100]] * n)
    bodies = columns.body.type.encrypt_many([body] * n)
    datas = columns.data.type.encrypt_many(datas)
    if _postgresql():
        session.execute(_CREATE_STAGING)  # the transaction's first write, if it is: BEGIN goes first
        db.copy_rows(_STAGING, _STAGING_COLUMNS, zip(ids, recipients, titles, bodies, datas, keys, strict=True))
        result = session.execute(_MOVE_STAGED, {"kind": kind, "topic": topic, "created_at": now})
        return [(row[0], row[1]) for row in result]
    from sqlalchemy.dialects.sqlite import insert as sqlite_insert

    statement = sqlite_insert(_STORED).on_conflict_do_nothing(
        index_elements=["recipient_kind", "recipient_id", "dedupe_key"]).returning(_STORED.c.id, _STORED.c.recipient_id)
    params = [{"id": ids[i], "recipient_kind": kind, "recipient_id": recipients[i], "topic": topic,
               "title": titles[i], "body": bodies[i], "data": datas[i], "dedupe_key": keys[i], "created_at": now}
              for i in range(n)]
    return [(row[0], row[1]) for row in session.execute(statement, params)]


def _queue_pushes_many(messages_to: list[tuple[str, str]], prefs: dict[str, dict]) -> int:
    """PushDelivery rows for each (message_id, user_id) to each of the user's devices."""
    if not messages_to:
        return 0
    session = db.session()
    devices: dict[str, list[str]] = {}
    for device_id, user_id in session.execute(select(Device.id, Device.user_id).where(
            _among(Device.user_id, sorted({user for _, user in messages_to})))):
        devices.setdefault(user_id, []).append(device_id)
    now, rows = utcnow(), []
    for message_id, user_id in messages_to:
        not_before = quiet_until(prefs[user_id], now)
        rows.extend({"message_id": message_id, "device_id": device_id, "status": "pending",
                     "not_before": not_before, "attempts": 0} for device_id in devices.get(user_id, ()))
    if rows:
        for row, push_id in zip(rows, new_ids(len(rows)), strict=True):
            row["id"] = push_id
        session.execute(PushDelivery.__table__.insert(), rows)
        session.info.setdefault(PENDING_PUSHES, []).extend((row["id"], row["not_before"]) for row in rows)
    return len(rows)
