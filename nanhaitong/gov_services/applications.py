"""Applications: recorded, delivered exactly once in effect, followed by callbacks and polling."""

from __future__ import annotations

import json
from datetime import datetime

from flask import current_app
from sqlalchemy import select

from integrations.errors import IntegrationError, NonRetryableError, RetryableError, UpstreamRejectedError
from integrations.gov_gateway import (
    FINAL_STATUSES,
    SignatureError,
    parse_status,
    verify_signed_request,
)
from schemas.common import With

from .. import db
from ..audit.service import record as audit
from ..authorizations import Resource, authorize, permitted
from ..errors import N_, AppError, BadRequest, Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from ..events import application_status_changed
from ..kernel import Principal
from ..licences import service as licences
from ..messages import service as messages
from ..sms_templates import inbox_text, phrase
from ..timeutil import as_utc, utcnow
from . import stores
from .catalogue import CALLBACK_APP_KEYS, MAX_ATTACHMENTS, get_item
from .forwarding import check_fields, forwarded_identity, service_resource, upstream_client
from .models import GovApplication, GovApplicationEvent, GovServiceItem

# -- applications ---------------------------------------------------------------------------------

def _application_resource(application: GovApplication) -> Resource:
    return Resource(type="application", owner_kind=application.subject_kind, owner_id=application.subject_id,
                    id=application.id, attrs={"service_code": application.service_code})


def apply(principal: Principal, code: str, form: dict, licence_ids: list[str]) -> GovApplication:
    item = get_item(code)
    if item.kind != "application":
        raise Conflict("This service is queried, not applied for.", code="not_an_application_service")
    resource = service_resource(principal, item)
    check_fields(item, form, "form")
    if len(set(licence_ids)) != len(licence_ids) or len(licence_ids) > MAX_ATTACHMENTS:
        raise ValidationFailed({"licence_ids": ["At most {count} different licences.".format(count=MAX_ATTACHMENTS)]})
    authorize(principal, "gov_services:apply", resource)
    forwarded_identity(resource.owner_kind, resource.owner_id, principal.account_id)  # refuse early when unverified
    attachable = set(json.loads(item.attachable_licence_types))
    attachments = []
    for licence_id in licence_ids:
        try:
            licence = licences.get_licence(principal, licence_id)
        except (NotFound, Forbidden):
            # Only the subject's own licences, and only those the caller may read.
            raise ValidationFailed({"licence_ids": ["{licence_id}: no such licence in your wallet.".format(licence_id=licence_id)]}) from None
        if (licence.holder_kind, licence.holder_id) != (resource.owner_kind, resource.owner_id):
            raise ValidationFailed({"licence_ids": ["{licence_id}: no such licence in your wallet.".format(licence_id=licence_id)]})
        if licence.type_code not in attachable:
            raise ValidationFailed({"licence_ids": ["{licence_id}: this service does not take a {licence_type}.".format(
                licence_id=licence_id, licence_type=licence.type_code)]})
        if licences.effective_status(licence) != "valid":
            raise ValidationFailed({"licence_ids": ["{licence_id}: the licence is not valid.".format(licence_id=licence_id)]})
        attachments.append({"licence_id": licence.id, "code": licence.code, "type_code": licence.type_code,
                            "digest": licence.digest})
    with db.unit_of_work("record the application"):
        application = _record_application(principal, item, resource, form, attachments)
    application = deliver(application.id)
    if application.status == "queued" and not current_app.config["JOBS_EAGER"]:
        from .jobs import deliver_application  # here: jobs imports this module

        deliver_application.apply_async((application.id,), countdown=15)
    return application


def _record_application(principal: Principal, item: GovServiceItem, resource: Resource, form: dict,
                        attachments: list[dict]) -> GovApplication:
    session = db.session()
    application = GovApplication(
        service_code=item.code, provider=item.provider, subject_kind=resource.owner_kind,
        subject_id=resource.owner_id, applicant_id=principal.account_id, grant_id=principal.grant_id,
        form=json.dumps(form, ensure_ascii=False, sort_keys=True),
        attachments=json.dumps(attachments, ensure_ascii=False), status="queued")
    session.add(application)
    session.flush()
    session.add(GovApplicationEvent(application_id=application.id, status="queued", previous_status=None,
                                    source="created"))
    audit("gov_services.application.created", object_type="application", object_id=application.id,
          on_behalf_of=f"{resource.owner_kind}:{resource.owner_id}",
          details={"service_code": item.code, "attachments": len(attachments)})
    return application


def deliver(application_id: str, *, actor: str | None = None) -> GovApplication:
    """Hand a queued application to its upstream (at most once in effect: the upstream is
    idempotent on our id, so two deliveries at once do no harm). Answers the application,
    still ``queued`` when the upstream could not take it now. No transaction is open during
    the upstream call: the result is recorded in a unit of its own, on the locked row."""
    session = db.session()
    application = session.get(GovApplication, application_id)
    if application.status != "queued":
        return application
    try:
        identity = forwarded_identity(application.subject_kind, application.subject_id, application.applicant_id)
        receipt = upstream_client(application.provider).submit(
            application.id, application.service_code, json.loads(application.form),
            [{k: a[k] for k in ("code", "type_code", "digest")} for a in json.loads(application.attachments)],
            identity)
    except (RetryableError, NonRetryableError, AppError) as failure:
        with db.unit_of_work("record the failed delivery"):
            return _record_delivery(application_id, failure=failure, actor=actor)
    with db.unit_of_work("record the delivery"):
        return _record_delivery(application_id, receipt=receipt, actor=actor)


def _record_delivery(application_id: str, *, actor: str | None, receipt=None, failure=None) -> GovApplication:
    application = db.session().execute(
        select(GovApplication).where(GovApplication.id == application_id).with_for_update()
        .execution_options(populate_existing=True)).scalar_one()
    if application.status != "queued":
        return application  # another delivery recorded it first
    on_behalf_of = f"{application.subject_kind}:{application.subject_id}"
    if failure is not None:
        application.delivery_attempts += 1
        refused = isinstance(failure, UpstreamRejectedError)
        application.last_error = (failure.upstream_code if refused else type(failure).__name__)[:80]
        audit("gov_services.application.delivery_failed", actor=actor, result="failure",
              object_type="application", object_id=application.id, on_behalf_of=on_behalf_of,
              details={"error": application.last_error, "attempt": application.delivery_attempts})
        if refused and failure.status is not None and 400 <= failure.status < 500 and failure.status != 409:
            # The upstream looked at it and said no: that is the answer, not a delivery to retry.
            _change_status(application, "rejected", source="delivery", note=None, actor=actor)
        return application
    application.delivery_attempts += 1
    application.upstream_reference = receipt.reference
    application.upstream_version = receipt.version
    application.submitted_at = utcnow()
    application.last_error = None
    audit("gov_services.application.delivered", actor=actor, object_type="application", object_id=application.id,
          on_behalf_of=on_behalf_of, details={"reference": receipt.reference,
                                              "attempt": application.delivery_attempts})
    _change_status(application, receipt.status, source="delivery", note=None, actor=actor)
    return application


def _change_status(application: GovApplication, status: str, *, source: str, note: str | None,
                   actor: str | None, version: int | None = None, occurred_at: datetime | None = None) -> bool:
    previous = application.status
    if status == previous:
        return False
    moment = occurred_at or utcnow()
    application.status = status
    application.updated_at = utcnow()
    event = GovApplicationEvent(application_id=application.id, status=status, previous_status=previous,
                                source=source, note=note, upstream_version=version, occurred_at=moment)
    db.session().add(event)
    db.session().flush()
    audit("gov_services.application.status_changed", actor=actor, object_type="application",
          object_id=application.id, on_behalf_of=f"{application.subject_kind}:{application.subject_id}",
          details={"status": status, "previous_status": previous, "source": source})
    enterprise_id = application.subject_id if application.subject_kind == "enterprise" else None
    user_id = application.subject_id if application.subject_kind == "citizen" else application.applicant_id
    application_status_changed.send(
        "gov_services", application_id=application.id, user_id=user_id, enterprise_id=enterprise_id,
        service_code=application.service_code, status=status, previous_status=previous, occurred_at=moment)
    _notify(application, user_id, enterprise_id, status, previous, event.id)
    return True


STATUS_TEXT = {"queued": N_("accepted, waiting to be submitted"), "submitted": N_("submitted for review"),
               "accepted": N_("accepted for processing"), "need_more_materials": N_("more materials needed"),
               "approved": N_("completed (approved)"), "rejected": N_("not approved")}


def _notify(application: GovApplication, user_id: str, enterprise_id: str | None, status: str, previous: str,
            event_id: str) -> None:
    """The user's inbox message for a status change (in this transaction, once per change).
    For an enterprise's application: the enterprise's inbox, and the member who applied."""
    item = db.session().get(GovServiceItem, application.service_code)
    title, body = inbox_text("application_status", service=item.name, status=phrase(STATUS_TEXT[status]),
                             reference=application.upstream_reference or application.id)
    data = {"application_id": application.id, "service_code": application.service_code, "status": status,
            "previous_status": previous}
    dedupe_key = f"gov_application:{application.id}:{event_id}"
    if enterprise_id:
        messages.notify_enterprise(enterprise_id, topic="application_status", title=title, body=body, data=data,
                                   dedupe_key=dedupe_key)
    messages.notify_user(user_id, topic="application_status", title=title, body=body, data=data,
                         dedupe_key=dedupe_key)


def apply_report(application: GovApplication, *, status: str, version: int, note: str | None,
                 occurred_at: datetime | None, source: str, actor: str) -> bool:
    """Take an upstream status (callback or poll) if it is newer than what we hold."""
    if version <= application.upstream_version:
        return False  # a duplicate or an older report: what we hold is newer
    application.upstream_version = version
    changed = _change_status(application, status, source=source, note=note, actor=actor, version=version,
                             occurred_at=occurred_at)
    application.updated_at = utcnow()
    return changed


def _parse_time(value: str | None) -> datetime | None:
    try:
        return as_utc(datetime.fromisoformat(value.replace("Z", "+00:00"))) if value else None
    except (ValueError, AttributeError):
        return None


@db.unit_of_work()
def receive_callback(method: str, path: str, query_string: str, headers: dict, body: bytes) -> dict:
    """A status callback from a provincial gateway: verified (HMAC, time window, nonce) or refused."""
    config = current_app.config
    secrets = {"yueshengshi": config["YUESHENGSHI_CALLBACK_SECRET"],
               "yueshangtong_gateway": config["YUESHANGTONG_GATEWAY_CALLBACK_SECRET"]}
    session = db.session()
    try:
        app_key = verify_signed_request(secrets, method, path, query_string, headers, body,
                                        remember_nonce=stores.remember_nonce)
    except SignatureError as refusal:
        db.keep_as_evidence(audit, "gov_services.callback.refused", actor="upstream:unverified", result="denied",
                            details={"reason": refusal.reason})
        raise Unauthorized("The callback's signature is not valid.", code="invalid_callback_signature",
                           details={"reason": refusal.reason}) from None
    provider = CALLBACK_APP_KEYS[app_key]
    try:
        payload = json.loads(body)
    except ValueError:
        payload = None
    report = parse_status(payload)
    if report is None:
        raise BadRequest("The callback is not a status report.", code="invalid_callback")
    application = session.execute(
        select(GovApplication).where(GovApplication.upstream_reference == report.reference).with_for_update()
    ).scalar_one_or_none()
    if application is None or application.id != report.application_id or application.provider != provider:
        raise NotFound("No application has this reference.", code="application_not_found")
    changed = apply_report(application, status=report.status, version=report.version, note=payload.get("note")
                           if isinstance(payload.get("note"), str) else None,
                           occurred_at=_parse_time(payload.get("occurred_at")), source="callback",
                           actor=f"upstream:{provider}")
    audit("gov_services.callback.received", actor=f"upstream:{provider}", object_type="application",
          object_id=application.id, details={"status": report.status, "version": report.version,
                                             "applied": changed})
    return {"application_id": application.id, "status": application.status, "applied": changed}


def poll(*, limit: int = 200, actor: str = "system:gov-services-poll") -> dict:
    """Deliver queued applications and bring the others up to date (the callbacks' fallback)."""
    session = db.session()
    counts = {"delivered": 0, "still_queued": 0, "polled": 0, "changed": 0, "failed": 0}
    queued = session.execute(select(GovApplication.id).where(GovApplication.status == "queued")
                             .order_by(GovApplication.id).limit(limit)).scalars().all()
    for application_id in queued:
        application = deliver(application_id, actor=actor)
        counts["delivered" if application.status != "queued" else "still_queued"] += 1
    open_ids = session.execute(
        select(GovApplication.id).where(GovApplication.status.not_in(["queued", *FINAL_STATUSES]),
                                        GovApplication.upstream_reference.is_not(None))
        .order_by(GovApplication.last_polled_at.is_not(None), GovApplication.last_polled_at).limit(limit)
    ).scalars().all()
    for application_id in open_ids:
        application = session.get(GovApplication, application_id)
        try:
            report = upstream_client(application.provider).status(application.upstream_reference)
        except IntegrationError:
            counts["failed"] += 1
            continue
        counts["polled"] += 1
        with db.unit_of_work("record one application's status"):
            application = session.execute(select(GovApplication).where(GovApplication.id == application_id)
                                          .with_for_update()).scalar_one()
            for entry in sorted((e for e in report.history if isinstance(e.get("version"), int)),
                                key=lambda e: e["version"]):
                if apply_report(application, status=entry["status"], version=entry["version"], note=entry["note"],
                                occurred_at=_parse_time(entry["occurred_at"]), source="poll", actor=actor):
                    counts["changed"] += 1
            application.last_polled_at = utcnow()
    return counts


def get_application(principal: Principal, application_id: str) -> GovApplication:
    application = db.session().get(GovApplication, application_id)
    if application is None:
        raise NotFound("No such application.", code="application_not_found")
    authorize(principal, "gov_services:apply", _application_resource(application))
    return application


def list_applications(principal: Principal, *, status: str | None, service_code: str | None, limit: int,
                      cursor: str | None) -> tuple[list[GovApplication], str | None]:
    kind, ident = principal.subject
    query = select(GovApplication).where(GovApplication.subject_kind == kind, GovApplication.subject_id == ident)
    if status:
        query = query.where(GovApplication.status == status)
    if service_code:
        query = query.where(GovApplication.service_code == service_code)
    if cursor:
        query = query.where(GovApplication.id < cursor)
    rows = db.session().execute(query.order_by(GovApplication.id.desc())).scalars().all()
    visible = [row for row in rows if permitted(principal, "gov_services:apply", _application_resource(row))]
    page = visible[:limit]
    for row in page:
        authorize(principal, "gov_services:apply", _application_resource(row))
    return page, (page[-1].id if len(visible) > limit else None)


def with_history(applications: list[GovApplication]) -> list[With]:
    """Applications served with their service's name, whether final, and their history: in
    two queries, however many."""
    session = db.session()
    codes = {a.service_code for a in applications}
    names = dict(session.execute(select(GovServiceItem.code, GovServiceItem.name)
                                 .where(GovServiceItem.code.in_(codes))).all()) if codes else {}
    events: dict[str, list[GovApplicationEvent]] = {a.id: [] for a in applications}
    for event in session.execute(
            select(GovApplicationEvent).where(GovApplicationEvent.application_id.in_(list(events)))
            .order_by(GovApplicationEvent.recorded_at, GovApplicationEvent.id)).scalars():
        events[event.application_id].append(event)
    return [With(a, service_name=names[a.service_code], final=a.status in FINAL_STATUSES, history=events[a.id])
            for a in applications]
