"""Provincial services: the catalogue, proxied queries, applications and their status.

Rules kept here:

- A service is for citizens or for enterprises (its ``audience``). A citizen uses a
  citizen service for themself or, under a live grant, for the grantor; an enterprise
  service is used acting for the enterprise (act-as). ``authorize`` decides, with the
  actions ``gov_services:query`` and ``gov_services:apply`` and the service code as the
  constraint grants may limit.
- The upstream receives the verified identity of whom the call is for (real name and ID
  number; for an enterprise its USCC and name, with the acting member's identity when
  verified) in signed headers. Every proxied call is audited (no personal data in it).
- Applications are stored first as ``queued`` and then delivered; the upstream is
  idempotent on our application id, so an application accepted while the upstream was
  down or slow is delivered later (``flask gov-services poll`` / the Celery job) exactly
  once: never lost, never doubled.
- Every status change is a history row, an audit event, the
  ``application_status_changed`` domain event and an inbox message (nanhaitong.messages),
  all in one transaction.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from pathlib import Path
from typing import Any

from flask import current_app
from sqlalchemy import or_, select

from integrations.errors import IntegrationError, NonRetryableError, RetryableError, UpstreamRejectedError
from integrations.gov_gateway import (
    FINAL_STATUSES,
    ForwardedIdentity,
    SignatureError,
    parse_status,
    verify_signed_request,
)

from .. import db
from ..audit.service import record as audit
from ..authorizations.decide import Resource, authorize, permitted
from ..clients import clients
from ..errors import AppError, BadRequest, Conflict, Forbidden, NotFound, Unauthorized, ValidationFailed
from ..events import application_status_changed
from ..identity import directory
from ..identity.principal import Principal
from ..licences import service as licences
from ..messages import service as messages
from ..security.masking import mask_middle
from ..timeutil import as_utc, isoformat, utcnow
from ..upstream import upstream_errors
from . import forms, stores
from .models import GovApplication, GovApplicationEvent, GovServiceItem

CATALOGUE_FILE = Path(__file__).with_name("catalogue.json")
PROVIDERS = {"yueshengshi": "粤省事", "yueshangtong": "粤商通"}
AUDIENCE_OF = {"yueshengshi": "citizen", "yueshangtong": "enterprise"}
CALLBACK_APP_KEYS = {"yueshengshi": "yueshengshi", "yueshangtong_gateway": "yueshangtong"}
KINDS = ("query", "application")
STATUSES = ("queued", "submitted", "accepted", "need_more_materials", "approved", "rejected")
MAX_ATTACHMENTS = 10
ITEM_FIELDS = ("provider", "kind", "category", "name", "department", "description", "eligibility", "materials",
               "fee_fen", "fee_note", "legal_time_limit_days", "promised_time_limit_days", "form_schema",
               "attachable_licence_types", "cacheable", "cache_ttl_seconds", "status")
_JSON_FIELDS = ("materials", "form_schema", "attachable_licence_types")


def _client(provider: str):
    every = clients()
    return every.yueshengshi if provider == "yueshengshi" else every.yueshangtong_services


# -- the catalogue ---------------------------------------------------------------------------

def get_item(code: str, *, include_retired: bool = False) -> GovServiceItem:
    item = db.session().get(GovServiceItem, code) if isinstance(code, str) and len(code) <= 64 else None
    if item is None or (item.status != "active" and not include_retired):
        raise NotFound("No such service.", code="gov_service_not_found")
    return item


def list_items(*, audience=None, provider=None, category=None, kind=None, q=None, include_retired=False,
               limit: int, cursor: str | None) -> tuple[list[GovServiceItem], str | None]:
    query = select(GovServiceItem)
    if not include_retired:
        query = query.where(GovServiceItem.status == "active")
    for column, value in ((GovServiceItem.audience, audience), (GovServiceItem.provider, provider),
                          (GovServiceItem.category, category), (GovServiceItem.kind, kind)):
        if value:
            query = query.where(column == value)
    if q:
        pattern = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(or_(GovServiceItem.name.like(pattern, escape="\\"),
                                GovServiceItem.description.like(pattern, escape="\\"),
                                GovServiceItem.code.like(pattern, escape="\\")))
    if cursor:
        query = query.where(GovServiceItem.code > cursor)
    rows = db.session().execute(query.order_by(GovServiceItem.code).limit(limit + 1)).scalars().all()
    return rows[:limit], (rows[limit - 1].code if len(rows) > limit else None)


def item_view(item: GovServiceItem) -> dict:
    return {
        "code": item.code, "provider": item.provider, "provider_name": PROVIDERS[item.provider],
        "audience": item.audience, "kind": item.kind, "category": item.category, "name": item.name,
        "department": item.department, "description": item.description, "eligibility": item.eligibility,
        "materials": json.loads(item.materials), "fee_fen": item.fee_fen, "fee_note": item.fee_note,
        "legal_time_limit_days": item.legal_time_limit_days,
        "promised_time_limit_days": item.promised_time_limit_days,
        "form_schema": json.loads(item.form_schema),
        "attachable_licence_types": json.loads(item.attachable_licence_types),
        "cacheable": item.cacheable, "cache_ttl_seconds": item.cache_ttl_seconds, "status": item.status,
        "updated_at": isoformat(item.updated_at),
    }


def _apply_fields(item: GovServiceItem, data: dict) -> None:
    if "form_schema" in data:
        try:
            forms.check_schema(data["form_schema"])
        except forms.SchemaError as exc:
            raise ValidationFailed({"form_schema": [str(exc)]}) from None
    for name in ITEM_FIELDS:
        if name in data:
            value = data[name]
            setattr(item, name, json.dumps(value, ensure_ascii=False, sort_keys=True) if name in _JSON_FIELDS
                    else value)
    if "provider" in data:
        item.audience = AUDIENCE_OF[data["provider"]]
    if item.cacheable and not item.cache_ttl_seconds:
        raise ValidationFailed({"cache_ttl_seconds": ["A cacheable service needs a cache time."]})
    item.updated_at = utcnow()


def create_item(data: dict, *, actor: str | None = None) -> GovServiceItem:
    session = db.session()
    if data["code"].split(".")[0] != {"yueshengshi": "yss", "yueshangtong": "ysst"}[data["provider"]]:
        raise ValidationFailed({"code": ["The code's prefix must name the provider (yss. or ysst.)."]})
    if session.get(GovServiceItem, data["code"]) is not None:
        raise Conflict("A service with this code exists.", code="gov_service_exists")
    item = GovServiceItem(code=data["code"], status="active")
    _apply_fields(item, {"attachable_licence_types": [], "cacheable": False, "cache_ttl_seconds": 0,
                         "fee_fen": 0, **data})
    session.add(item)
    audit("gov_services.item.created", actor=actor, object_type="gov_service", object_id=item.code)
    session.commit()
    return item


def update_item(code: str, data: dict, *, actor: str | None = None) -> GovServiceItem:
    item = get_item(code, include_retired=True)
    _apply_fields(item, data)
    audit("gov_services.item.updated", actor=actor, object_type="gov_service", object_id=item.code,
          details={"fields": sorted(data)})
    db.session().commit()
    return item


def load_catalogue(path: Path | None = None, *, actor: str = "system:catalogue-load") -> dict:
    """Create or update the items of a catalogue file (by code); items not in it are kept."""
    document = json.loads((path or CATALOGUE_FILE).read_text(encoding="utf-8"))
    session = db.session()
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for entry in document["items"]:
        forms.check_schema(entry["form_schema"])
        if entry["provider"] not in PROVIDERS or entry["kind"] not in KINDS:
            raise ValueError(f"{entry['code']}: unknown provider or kind")
        data = {k: v for k, v in entry.items() if k in ITEM_FIELDS}
        item = session.get(GovServiceItem, entry["code"])
        if item is None:
            item = GovServiceItem(code=entry["code"], status="active")
            session.add(item)
            counts["created"] += 1
        elif item_view(item) | {"updated_at": None} == _as_view(entry, item) | {"updated_at": None}:
            counts["unchanged"] += 1
            continue
        else:
            counts["updated"] += 1
        _apply_fields(item, data)
    audit("gov_services.catalogue.loaded", actor=actor, details=counts)
    session.commit()
    return counts


def _as_view(entry: dict, item: GovServiceItem) -> dict:
    view = item_view(item)
    view.update({k: v for k, v in entry.items() if k in view})
    return view


# -- acting ---------------------------------------------------------------------------------------

def _resource(principal: Principal, item: GovServiceItem) -> Resource:
    kind, ident = principal.subject
    if kind != item.audience:
        if item.audience == "enterprise":
            raise Forbidden("This is an enterprise service: act for your enterprise first.",
                            code="enterprise_context_required")
        raise Forbidden("This is a personal service: it cannot be used acting for an enterprise.",
                        code="personal_context_required")
    return Resource(type="gov_service", owner_kind=kind, owner_id=ident, id=item.code,
                    attrs={"service_code": item.code})


def _identity(subject_kind: str, subject_id: str, acting_user_id: str) -> ForwardedIdentity:
    if subject_kind == "citizen":
        verified = directory.verified_identity(subject_id)
        if verified is None:
            raise Forbidden("Provincial services need a real-name verified identity.",
                            code="assurance_level_required", details={"required": 2})
        return ForwardedIdentity("citizen", verified[0], verified[1])
    registration = directory.enterprise_registration(subject_id)
    if registration is None:
        raise NotFound("No such enterprise.", code="enterprise_not_found")
    member = directory.verified_identity(acting_user_id)
    return ForwardedIdentity("enterprise", member[0] if member else None, member[1] if member else None,
                             registration[0], registration[1])


def _field_problems(item: GovServiceItem, values: Any, prefix: str) -> None:
    problems = forms.validate(json.loads(item.form_schema), values)
    if problems:
        raise ValidationFailed({f"{prefix}.{name}": messages for name, messages in problems.items()})


def _proxied(action: str, item: GovServiceItem, resource: Resource, **details):
    """Audit a proxied call that failed (in its own transaction), then let the error out."""
    db.session().rollback()
    audit(action, result="failure", object_type="gov_service", object_id=item.code,
          on_behalf_of=f"{resource.owner_kind}:{resource.owner_id}", details=details)
    db.session().commit()


# -- queries --------------------------------------------------------------------------------------

def query(principal: Principal, code: str, params: dict) -> dict:
    item = get_item(code)
    if item.kind != "query":
        raise Conflict("This service is applied for, not queried.", code="not_a_query_service")
    resource = _resource(principal, item)
    _field_problems(item, params, "params")
    authorize(principal, "gov_services:query", resource)
    identity = _identity(resource.owner_kind, resource.owner_id, principal.account_id)
    canonical = json.dumps(params, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    key = hashlib.sha256(f"{resource.owner_kind}:{resource.owner_id}|{item.code}|{canonical}".encode()).hexdigest()
    cached = stores.cache_get(key) if item.cacheable else None
    if cached is None:
        try:
            with upstream_errors(PROVIDERS[item.provider]):
                answer = _client(item.provider).query(item.code, params, identity)
        except AppError as failure:
            _proxied("gov_services.query", item, resource, service_code=item.code, error=failure.code)
            raise
        cached = {"summary": answer.summary, "fields": answer.fields, "records": answer.records,
                  "upstream_request_id": answer.request_id, "queried_at": isoformat(utcnow())}
        if item.cacheable:
            stores.cache_put(key, cached, item.cache_ttl_seconds)
        from_cache = False
    else:
        from_cache = True
    audit("gov_services.query", object_type="gov_service", object_id=item.code,
          on_behalf_of=f"{resource.owner_kind}:{resource.owner_id}",
          details={"service_code": item.code, "provider": item.provider, "cached": from_cache,
                   "upstream_request_id": cached["upstream_request_id"]})
    db.session().commit()
    return {"service_code": item.code, "provider": item.provider, "cached": from_cache, **cached}


# -- applications ---------------------------------------------------------------------------------

def _application_resource(application: GovApplication) -> Resource:
    return Resource(type="application", owner_kind=application.subject_kind, owner_id=application.subject_id,
                    id=application.id, attrs={"service_code": application.service_code})


def apply(principal: Principal, code: str, form: dict, licence_ids: list[str]) -> GovApplication:
    item = get_item(code)
    if item.kind != "application":
        raise Conflict("This service is queried, not applied for.", code="not_an_application_service")
    resource = _resource(principal, item)
    _field_problems(item, form, "form")
    if len(set(licence_ids)) != len(licence_ids) or len(licence_ids) > MAX_ATTACHMENTS:
        raise ValidationFailed({"licence_ids": ["At most {count} different licences.".format(count=MAX_ATTACHMENTS)]})
    authorize(principal, "gov_services:apply", resource)
    _identity(resource.owner_kind, resource.owner_id, principal.account_id)  # refuse early when unverified
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
    session.commit()
    application = deliver(application.id)
    if application.status == "queued" and not current_app.config["JOBS_EAGER"]:
        from .jobs import deliver_application  # here: jobs imports this module

        deliver_application.apply_async((application.id,), countdown=15)
    return application


def deliver(application_id: str, *, actor: str | None = None) -> GovApplication:
    """Hand a queued application to its upstream (at most once in effect: the upstream is
    idempotent on our id). Answers the application, still ``queued`` when the upstream
    could not take it now."""
    session = db.session()
    application = session.execute(
        select(GovApplication).where(GovApplication.id == application_id).with_for_update()).scalar_one()
    if application.status != "queued":
        session.commit()
        return application
    on_behalf_of = f"{application.subject_kind}:{application.subject_id}"
    try:
        identity = _identity(application.subject_kind, application.subject_id, application.applicant_id)
        receipt = _client(application.provider).submit(
            application.id, application.service_code, json.loads(application.form),
            [{k: a[k] for k in ("code", "type_code", "digest")} for a in json.loads(application.attachments)],
            identity)
    except (RetryableError, NonRetryableError, AppError) as failure:
        application.delivery_attempts += 1
        refused = isinstance(failure, UpstreamRejectedError)
        application.last_error = (failure.upstream_code if refused else type(failure).__name__)[:80]
        audit("gov_services.application.delivery_failed", actor=actor, result="failure",
              object_type="application", object_id=application.id, on_behalf_of=on_behalf_of,
              details={"error": application.last_error, "attempt": application.delivery_attempts})
        if refused and failure.status is not None and 400 <= failure.status < 500 and failure.status != 409:
            # The upstream looked at it and said no: that is the answer, not a delivery to retry.
            _change_status(application, "rejected", source="delivery", note=None, actor=actor)
        session.commit()
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
    session.commit()
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


STATUS_TEXT = {"queued": "已受理，等待提交", "submitted": "已提交", "accepted": "已受理", "need_more_materials": "需补正材料",
               "approved": "已办结（通过）", "rejected": "未通过"}


def _notify(application: GovApplication, user_id: str, enterprise_id: str | None, status: str, previous: str,
            event_id: str) -> None:
    """The user's inbox message for a status change (in this transaction, once per change).
    For an enterprise's application: the enterprise's inbox, and the member who applied."""
    item = db.session().get(GovServiceItem, application.service_code)
    title = f"{item.name}：{STATUS_TEXT[status]}"
    body = f"您的申请（{application.upstream_reference or application.id}）状态已更新为“{STATUS_TEXT[status]}”。"
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
        audit("gov_services.callback.refused", actor="upstream:unverified", result="denied",
              details={"reason": refusal.reason})
        session.commit()
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
    session.commit()
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
            report = _client(application.provider).status(application.upstream_reference)
        except IntegrationError:
            counts["failed"] += 1
            session.rollback()
            continue
        counts["polled"] += 1
        application = session.execute(select(GovApplication).where(GovApplication.id == application_id)
                                      .with_for_update()).scalar_one()
        for entry in sorted((e for e in report.history if isinstance(e.get("version"), int)),
                            key=lambda e: e["version"]):
            if apply_report(application, status=entry["status"], version=entry["version"], note=entry["note"],
                            occurred_at=_parse_time(entry["occurred_at"]), source="poll", actor=actor):
                counts["changed"] += 1
        application.last_polled_at = utcnow()
        session.commit()
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


def application_view(application: GovApplication) -> dict:
    item = db.session().get(GovServiceItem, application.service_code)
    events = db.session().execute(
        select(GovApplicationEvent).where(GovApplicationEvent.application_id == application.id)
        .order_by(GovApplicationEvent.recorded_at, GovApplicationEvent.id)).scalars().all()
    return {
        "id": application.id, "service_code": application.service_code, "service_name": item.name,
        "provider": application.provider, "subject_kind": application.subject_kind,
        "status": application.status, "final": application.status in FINAL_STATUSES,
        "upstream_reference": application.upstream_reference,
        "form": {name: (mask_middle(value, 2, 4) if "account" in name and isinstance(value, str) else value)
                 for name, value in json.loads(application.form).items()},
        "attachments": [{"licence_id": a["licence_id"], "type_code": a["type_code"]}
                        for a in json.loads(application.attachments)],
        "created_at": isoformat(application.created_at), "updated_at": isoformat(application.updated_at),
        "submitted_at": isoformat(application.submitted_at) if application.submitted_at else None,
        "history": [{"status": e.status, "previous_status": e.previous_status, "source": e.source, "note": e.note,
                     "occurred_at": isoformat(e.occurred_at)} for e in events],
    }
