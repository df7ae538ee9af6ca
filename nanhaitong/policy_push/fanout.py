"""The fan-out job: match every enterprise to a published version, set-wise, and send it.

The targeting rules become one SQL query over the enterprises (service.
matching_enterprise_ids), read in keyset pages of ``BATCH`` ids; each page goes to the
inbox in bulk (messages.notify_enterprises) and commits with the progress record, so
editors watch ``processed`` grow and a crash loses at most one page. The inbox's
dedupe key "policy:<id>:v<version>" makes any re-run (a retried job, a republish, two
workers) send nothing twice. A withdrawn or superseded version stops at the next page.
"""

from __future__ import annotations

import json
import logging

from celery import shared_task
from sqlalchemy import func, select

from .. import db
from ..audit.service import record as audit
from ..identity import count_enterprises
from ..messages import service as messages
from ..timeutil import utcnow
from .models import Policy, PolicyFanOut, PolicyVersion

BATCH = 5000
PREVIEW = 200
log = logging.getLogger(__name__)


def queue_fanout(fanout_id: str) -> None:
    run_policy_fanout.delay(fanout_id)


@shared_task(bind=True, max_retries=5)
def run_policy_fanout(self, fanout_id: str) -> str:
    status = run(fanout_id)
    if status == "failed" and not self.request.is_eager:
        raise self.retry(countdown=min(600, 10 * 2 ** self.request.retries))
    return status


def dedupe_key(policy_id: str, version: int) -> str:
    return f"policy:{policy_id}:v{version}"


def run(fanout_id: str, batch: int | None = None) -> str:
    """Run (or resume) one fan-out; answers its final status."""
    batch = batch or BATCH
    from .service import matching_enterprise_ids

    session = db.session()
    fanout = session.get(PolicyFanOut, fanout_id)
    if fanout is None or fanout.status in ("done", "stopped"):
        return fanout.status if fanout else "missing"
    version = session.execute(select(PolicyVersion).where(
        PolicyVersion.policy_id == fanout.policy_id, PolicyVersion.version == fanout.version)).scalar_one()
    rules = json.loads(version.rules)
    key = dedupe_key(fanout.policy_id, fanout.version)
    body = version.summary if len(version.summary) <= PREVIEW else version.summary[:PREVIEW - 1] + "…"
    data = {"policy_id": fanout.policy_id, "version": fanout.version, "apply_until": version.apply_until}
    try:
        with db.unit_of_work("start"):
            fanout.status, fanout.started_at, fanout.error = "running", utcnow(), None
            fanout.processed = fanout.delivered = fanout.member_copies = 0
            fanout.total = count_enterprises()
            fanout.matched = session.execute(
                select(func.count()).select_from(matching_enterprise_ids(rules).subquery())).scalar_one()
        last_id = None
        while fanout.status == "running":
            with db.unit_of_work("one batch"):  # progress is visible batch by batch
                if not _still_current(fanout):
                    fanout.status = "stopped"
                    continue
                ids = list(session.execute(matching_enterprise_ids(rules, after_id=last_id, limit=batch)).scalars())
                if not ids:
                    fanout.status = "done"
                    continue
                counts = messages.notify_enterprises(ids, topic="policy", title=version.title, body=body,
                                                     data=data, dedupe_key=key)
                fanout.processed += len(ids)
                fanout.delivered += counts["delivered"]
                fanout.member_copies += counts["member_copies"]
                last_id = ids[-1]
        with db.unit_of_work("finish"):
            fanout.finished_at = utcnow()
            audit("policy_push.fanout_finished", actor="system:jobs", object_type="policy",
                  object_id=fanout.policy_id,
                  details={"fanout_id": fanout.id, "version": fanout.version, "status": fanout.status,
                           "matched": fanout.matched, "delivered": fanout.delivered,
                           "member_copies": fanout.member_copies})
    except Exception as exc:  # recorded for the editors; the job is retried
        log.exception("policy fan-out %s failed", fanout_id)
        with db.unit_of_work("record the failure"):
            fanout = session.get(PolicyFanOut, fanout_id)
            fanout.status, fanout.error, fanout.finished_at = "failed", type(exc).__name__, utcnow()
    return fanout.status


def _still_current(fanout: PolicyFanOut) -> bool:
    session = db.session()
    policy = session.get(Policy, fanout.policy_id)
    session.refresh(policy)
    return policy.status == "published" and policy.current_version == fanout.version
