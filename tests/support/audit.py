"""Reading the audit trail."""

from __future__ import annotations

import json

from sqlalchemy import select

from nanhaitong import db
from nanhaitong.audit.models import AuditEvent


def audit_rows(app, action: str | None = None, prefix: str | None = None) -> list[AuditEvent]:
    """The audit events (all, one ``action``'s, or those starting with ``prefix``) in chain order."""
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.seq)
        if action:
            query = query.where(AuditEvent.action == action)
        if prefix:
            query = query.where(AuditEvent.action.like(prefix + "%"))
        return list(db.session().execute(query).scalars())


def details(event: AuditEvent) -> dict:
    return json.loads(event.details)


def assert_no_personal_data(event: AuditEvent, *people) -> None:
    text = json.dumps([event.details, event.object_id, event.actor, event.on_behalf_of], ensure_ascii=False)
    for person in people:
        assert person.id_number not in text and person.phone not in text and person.name not in text, text
