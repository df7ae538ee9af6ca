"""What privacy asks of provincial services about one person (issue 23): applications
that block an account deletion, what each upstream received, a copy, and erasure.
The caller holds the unit of work."""

from __future__ import annotations

import json

from sqlalchemy import delete, or_, select

from integrations.gov_gateway import FINAL_STATUSES

from .. import db
from ..timeutil import isoformat
from .models import GovApplication, GovApplicationEvent, GovServiceItem

CITIZEN = "citizen"
PROVIDER_NAMES = {"yueshengshi": "粤省事（广东省政务服务平台）", "yueshangtong": "粤商通（广东省涉企服务平台）"}


def _own(user_id: str):
    return select(GovApplication).where(GovApplication.subject_kind == CITIZEN, GovApplication.subject_id == user_id)


def blockers(user_id: str) -> list[dict]:
    """Applications the person made (for themself or as an enterprise's handler) still in progress."""
    rows = db.session().execute(select(GovApplication).where(
        or_((GovApplication.subject_kind == CITIZEN) & (GovApplication.subject_id == user_id),
            GovApplication.applicant_id == user_id),
        GovApplication.status.not_in(list(FINAL_STATUSES)))).scalars().all()
    return [{"code": "application_in_progress", "object_type": "application", "object_id": a.id,
             "message": "您有办理中的政务服务申请，请等待办结后再注销。", "status": a.status} for a in rows]


def deliveries(user_id: str) -> list[dict]:
    """Each application handed to a provincial platform on the person's behalf: who
    received it, when, and which fields (the verified name and ID number go with each)."""
    rows = db.session().execute(
        select(GovApplication, GovServiceItem.name).join(GovServiceItem, GovServiceItem.code == GovApplication.service_code)
        .where(GovApplication.subject_kind == CITIZEN, GovApplication.subject_id == user_id,
               GovApplication.submitted_at.is_not(None)).order_by(GovApplication.id.desc())).all()
    return [{"id": a.id, "provider": a.provider, "provider_name": PROVIDER_NAMES.get(a.provider, a.provider),
             "service_code": a.service_code, "service_name": name, "grant_id": a.grant_id,
             "fields": ["real_name", "id_number", *sorted(json.loads(a.form))]
             + [f"licence:{x['type_code']}" for x in json.loads(a.attachments)],
             "at": a.submitted_at} for a, name in rows]


def export(user_id: str) -> dict:
    apps = db.session().execute(_own(user_id).order_by(GovApplication.id)).scalars().all()
    history: dict[str, list] = {a.id: [] for a in apps}
    if apps:
        for e in db.session().execute(select(GovApplicationEvent).where(
                GovApplicationEvent.application_id.in_(list(history))).order_by(GovApplicationEvent.id)).scalars():
            history[e.application_id].append({"status": e.status, "previous_status": e.previous_status,
                                              "source": e.source, "note": e.note,
                                              "occurred_at": isoformat(e.occurred_at)})
    return {"applications": [{"id": a.id, "service_code": a.service_code, "provider": a.provider, "status": a.status,
                              "upstream_reference": a.upstream_reference, "form": json.loads(a.form),
                              "attachments": json.loads(a.attachments), "created_at": isoformat(a.created_at),
                              "submitted_at": isoformat(a.submitted_at) if a.submitted_at else None,
                              "history": history[a.id]} for a in apps]}


def erase(user_id: str) -> dict:
    """Delete the person's own applications and their history (the provincial platform
    keeps its case file). An enterprise's applications stay: they are the enterprise's."""
    session = db.session()
    ids = list(session.execute(select(GovApplication.id).where(GovApplication.subject_kind == CITIZEN,
                                                               GovApplication.subject_id == user_id)).scalars())
    if not ids:
        return {"applications_deleted": 0}
    session.execute(delete(GovApplicationEvent).where(GovApplicationEvent.application_id.in_(ids)))
    deleted = session.execute(delete(GovApplication).where(GovApplication.id.in_(ids))).rowcount
    return {"applications_deleted": deleted}
