"""The audit log for auditors: filter, read one event, export a date range as CSV.

Reads only; each export is itself audited. ``authorize`` decides (staff action
``admin:audit.read``). Dates are China dates; events carry UTC times.
"""

from __future__ import annotations

import csv
import io
from datetime import date, datetime, time, timedelta, timezone

from sqlalchemy import select

from .. import db
from ..authorizations import authorize, district
from ..errors import NotFound, ValidationFailed
from ..kernel import Principal
from ..timeutil import CHINA_STANDARD_TIME, isoformat
from .models import AuditEvent
from .service import record as audit

READ = "admin:audit.read"
EXPORT_MAX_DAYS = 31
CSV_FIELDS = ("seq", "id", "occurred_at", "actor", "on_behalf_of", "action", "object_type", "object_id",
              "source_ip", "request_id", "result", "details", "hash")


def _utc_bound(day: date) -> str:
    """The first instant of a China date, as the stored UTC text compares (ISO 8601, Z)."""
    return isoformat(datetime.combine(day, time(0), CHINA_STANDARD_TIME).astimezone(timezone.utc))


def _filtered(*, action: str | None = None, actor: str | None = None, result: str | None = None,
              object_type: str | None = None, object_id: str | None = None, date_from: date | None = None,
              date_to: date | None = None):
    query = select(AuditEvent)
    if action:  # a prefix: "payment." finds every payment event
        query = query.where(AuditEvent.action.startswith(action, autoescape=True))
    if actor:
        query = query.where(AuditEvent.actor == actor)
    if result:
        query = query.where(AuditEvent.result == result)
    if object_type:
        query = query.where(AuditEvent.object_type == object_type)
    if object_id:
        query = query.where(AuditEvent.object_id == object_id)
    if date_from:
        query = query.where(AuditEvent.occurred_at >= _utc_bound(date_from))
    if date_to:
        query = query.where(AuditEvent.occurred_at < _utc_bound(date_to + timedelta(days=1)))
    return query


def list_events(principal: Principal, *, limit: int = 50, cursor: int | None = None, **filters
                ) -> tuple[list[AuditEvent], int | None]:
    """Events newest first; ``cursor`` is the ``seq`` to continue below."""
    authorize(principal, READ, district("audit_log"))
    query = _filtered(**filters)
    if cursor:
        query = query.where(AuditEvent.seq < cursor)
    rows = db.session().execute(query.order_by(AuditEvent.seq.desc()).limit(limit + 1)).scalars().all()
    page = list(rows[:limit])
    return page, (page[-1].seq if len(rows) > limit else None)


def get_event(principal: Principal, event_id: str) -> AuditEvent:
    authorize(principal, READ, district("audit_event", event_id))
    event = db.session().execute(select(AuditEvent).where(AuditEvent.id == event_id)).scalar_one_or_none()
    if event is None:
        raise NotFound("No such audit event.", code="audit_event_not_found")
    return event


@db.unit_of_work("export_audit")
def export_csv(principal: Principal, *, date_from: date, date_to: date, **filters) -> str:
    """Every event of a China-date range (at most 31 days), oldest first, as CSV text."""
    if date_to < date_from or (date_to - date_from).days >= EXPORT_MAX_DAYS:
        raise ValidationFailed({"date_to": ["Export from date_from to date_to, at most 31 days."]},
                               code="export_range_invalid")
    authorize(principal, READ, district("audit_log"))
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_FIELDS)
    count = 0
    query = _filtered(date_from=date_from, date_to=date_to, **filters).order_by(AuditEvent.seq)
    for event in db.session().execute(query).scalars():
        writer.writerow([getattr(event, name) if getattr(event, name) is not None else "" for name in CSV_FIELDS])
        count += 1
    audit("audit.exported", details={"date_from": date_from.isoformat(), "date_to": date_to.isoformat(),
                                     "events": count, **{k: v for k, v in filters.items() if v}})
    return out.getvalue()
