"""Account deletion (注销, GB/T 35273-2020 8.5).

A request first checks what blocks it (unfinished payments or refunds, applications in
progress, signing requests awaiting the person, being the legal representative of an
enterprise that still has members) and answers 409 with the whole list. Otherwise it
signs the person out everywhere and starts a cooling-off period
(``NHT_PRIVACY_DELETION_COOLING_OFF_DAYS``, 15 by default): signing in again within it
cancels the deletion and leaves the account as it was. The person is told by SMS and in
the inbox either way.

When the period ends, a job (``privacy.run_due_deletions``, every five minutes on the
beat) erases the person from every domain through each one's public face:
authorizations (grants revoked, partners told by the consent.revoked webhook; the
access log), partners (tokens, codes), licences, provincial applications, one-stop
cases, appointments and evaluations, the inbox,
esign (unsigned requests; certificates revoked and their keys destroyed), payments
(utility accounts), idempotency answers, privacy's own records, and identity last
(sessions, codes, memberships, the account itself: the phone number is free again).
What the law requires is kept under the person's id, which nothing links to a phone,
name or ID number any more: payment records, signed documents and their certificates,
and the audit log, which gets one ``privacy.account_deleted`` event.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from .. import authorizations, db, esign, gov_services, identity, licences, messages, one_stop, partners, payments
from ..audit.service import record as audit
from ..authorizations import authorize
from ..errors import Conflict, NotFound
from ..idempotency import forget_owner
from ..identity import phone_of
from ..jobs.tasks import enqueue_sms
from ..kernel import Principal
from ..messages.service import notify_user
from ..sms_templates import inbox_text, sms_params
from ..timeutil import CHINA_STANDARD_TIME, as_utc, isoformat, utcnow
from ..upstream import upstream_errors
from .models import Agreement, DataExport, DeletionRequest, OptionalConsent
from .terms import own_account

log = logging.getLogger("nanhaitong.privacy")
SYSTEM = "system:account-deletion"


def blockers(user_id: str) -> list[dict]:
    """Everything that must finish before the account can go, from every domain."""
    found = []
    for domain in (payments, gov_services, one_stop, esign, identity):
        found.extend(domain.deletion_blockers(user_id))
    return found


def _pending(user_id: str, *, lock: bool = False) -> DeletionRequest | None:
    query = select(DeletionRequest).where(DeletionRequest.user_id == user_id, DeletionRequest.status == "cooling_off")
    return db.session().execute(query.with_for_update() if lock else query).scalars().first()


def _china(moment) -> str:
    return as_utc(moment).astimezone(CHINA_STANDARD_TIME).strftime("%Y年%m月%d日 %H:%M")


def _tell(user_id: str, template: str, values: dict, dedupe_key: str, data: dict) -> None:
    """Inbox and SMS (the SMS is queued, or sent at once in the embedded mode)."""
    title, body = inbox_text(template, **values)
    notify_user(user_id, topic="security", title=title, body=body, data=data, dedupe_key=dedupe_key)
    with upstream_errors("SMS gateway"):
        enqueue_sms(phone_of(user_id), template, sms_params(template, **values))


def status(principal: Principal) -> dict:
    authorize(principal, "privacy:manage", own_account(principal))
    row = _pending(principal.account_id)
    return {"request": row, "blockers": blockers(principal.account_id),
            "cooling_off_days": current_app.config["PRIVACY_DELETION_COOLING_OFF_DAYS"]}


@db.unit_of_work(conflict=Conflict("A deletion request is being made right now; try again.",
                                   code="deletion_in_progress"))
def request_deletion(principal: Principal) -> DeletionRequest:
    user_id = principal.account_id
    authorize(principal, "privacy:manage", own_account(principal))
    existing = _pending(user_id, lock=True)
    if existing is not None:
        return existing
    found = blockers(user_id)
    if found:
        db.keep_as_evidence(lambda: audit("privacy.deletion_requested", result="failure", object_type="user",
                                          object_id=user_id,
                                          details={"blockers": sorted({b["code"] for b in found})}))
        raise Conflict("Your account cannot be deleted yet.", code="account_deletion_blocked",
                       details={"blockers": found})
    days = current_app.config["PRIVACY_DELETION_COOLING_OFF_DAYS"]
    row = DeletionRequest(user_id=user_id, status="cooling_off", effective_at=utcnow() + timedelta(days=days))
    db.session().add(row)
    db.session().flush()
    ended = identity.end_sessions(user_id, "account_deletion_requested")
    audit("privacy.deletion_requested", object_type="account_deletion", object_id=row.id,
          details={"effective_at": isoformat(row.effective_at), "sessions_ended": ended})
    _tell(user_id, "account_deletion_requested", {"until": _china(row.effective_at)},
          f"privacy:deletion:{row.id}:requested", {"deletion_id": row.id})
    return row


@db.unit_of_work()
def cancel(principal: Principal) -> DeletionRequest:
    authorize(principal, "privacy:manage", own_account(principal))
    row = _pending(principal.account_id, lock=True)
    if row is None:
        raise NotFound("No deletion request is waiting.", code="deletion_request_not_found")
    _cancel(row, "cancelled_by_user")
    return row


def _cancel(row: DeletionRequest, reason: str) -> None:
    row.status, row.cancelled_at = "cancelled", utcnow()
    audit("privacy.deletion_cancelled", actor=f"citizen:{row.user_id}", object_type="account_deletion",
          object_id=row.id, details={"reason": reason})
    _tell(row.user_id, "account_deletion_cancelled", {}, f"privacy:deletion:{row.id}:cancelled",
          {"deletion_id": row.id})


def on_signed_in(_sender, *, user_id: str, **_):
    """Signing in within the cooling-off period cancels the deletion (in the sign-in's transaction)."""
    row = _pending(user_id, lock=True)
    if row is not None and as_utc(row.effective_at) > utcnow():
        _cancel(row, "signed_in")


# -- carrying it out ----------------------------------------------------------------------

def due_ids(limit: int = 100) -> list[str]:
    return list(db.session().execute(select(DeletionRequest.id).where(
        DeletionRequest.status == "cooling_off", DeletionRequest.effective_at <= utcnow())
        .order_by(DeletionRequest.effective_at).limit(limit)).scalars())


def _erase_own(user_id: str) -> dict:
    session = db.session()
    return {"agreements_deleted": session.execute(delete(Agreement).where(Agreement.user_id == user_id)).rowcount,
            "consents_deleted": session.execute(delete(OptionalConsent).where(
                OptionalConsent.user_id == user_id)).rowcount,
            "exports_deleted": session.execute(delete(DataExport).where(DataExport.user_id == user_id)).rowcount}


def carry_out(deletion_id: str) -> DeletionRequest | None:
    """Erase the person (safe to run twice: a request is claimed once, under its row lock)."""
    with db.unit_of_work("erase"):
        row = db.session().execute(select(DeletionRequest).where(DeletionRequest.id == deletion_id)
                                   .with_for_update()).scalar_one_or_none()
        if row is None or row.status != "cooling_off" or as_utc(row.effective_at) > utcnow():
            return row
        user_id = row.user_id
        if not identity.account_exists(user_id):
            row.status, row.completed_at = "completed", utcnow()
            return row
        found = blockers(user_id)
        if found:  # something started before the request (a refund still running): try again later
            row.effective_at = utcnow() + timedelta(days=1)
            audit("privacy.account_deletion_postponed", actor=SYSTEM, object_type="account_deletion",
                  object_id=row.id, details={"blockers": sorted({b["code"] for b in found})})
            return row
        phone = phone_of(user_id)  # held in memory only, for the last SMS
        summary = {
            # Grants first: partners' webhooks need the person's pairwise subject, made from the id.
            "authorizations": authorizations.erase_personal_data(user_id),
            "partners": partners.erase_personal_data(user_id),
            "licences": licences.erase_personal_data(user_id),
            "gov_services": gov_services.erase_personal_data(user_id),
            "one_stop": one_stop.erase_personal_data(user_id),
            "esign": esign.erase_personal_data(user_id),
            "payments": payments.erase_personal_data(user_id),
            "idempotency": {"answers_deleted": forget_owner(f"citizen:{user_id}")},
            "privacy": _erase_own(user_id),
            "messages": messages.erase_personal_data(user_id),
            "identity": identity.erase_personal_data(user_id),  # last: the others looked the person up
        }
        row.status, row.completed_at, row.summary = "completed", utcnow(), json.dumps(summary, sort_keys=True)
        audit("privacy.account_deleted", actor=SYSTEM, object_type="user", object_id=user_id,
              details={"deletion_id": row.id, "kept": ["payment_records", "signed_documents", "audit_log"],
                       **{domain: counts for domain, counts in summary.items()}})
    try:
        enqueue_sms(phone, "account_deleted", sms_params("account_deleted"))
    except Exception:  # noqa: BLE001 - the deletion stands; the farewell is a courtesy
        log.warning("account deletion %s: farewell SMS not sent", deletion_id)
    return row
