"""Webhooks: partners learn of application status changes and withdrawn consents.

Domain events (nanhaitong.events) are received inside the sender's transaction and
become outbox rows (``webhook_deliveries``) in that same transaction, so a rolled-back
change announces nothing. After the request (or by ``dispatch_due``, a periodic job and
``flask partners webhooks dispatch``) each row is sent by the ``deliver_webhook`` job:

    POST <subscription url>
    Content-Type: application/json
    X-NHT-Webhook-Id: <delivery id>            (the same on every retry: deduplicate on it)
    X-NHT-Webhook-Event: application.status_changed | consent.revoked | esign.envelope_changed
    X-NHT-Webhook-Signature: t=<unix seconds>,v1=<hex HMAC-SHA256(webhook_secret, "<t>.<body>")>

A 2xx answer is success; anything else is retried with exponential backoff
(``BACKOFF_BASE_SECONDS`` * 2^(attempt-1), at most ``BACKOFF_MAX_SECONDS``) up to
``MAX_ATTEMPTS``, then the delivery is ``failed``. Every attempt is recorded; operators
replay a delivery through the admin API or ``flask partners webhooks replay``.
Payloads name the user by the partner's pairwise subject only.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import time
from datetime import timedelta

from celery import shared_task
from flask import g, has_request_context
from sqlalchemy import select

from integrations.errors import IntegrationError
from schemas.common import With

from .. import db, events
from ..audit.service import record as audit
from ..authorizations import service as authorizations
from ..clients import clients
from ..errors import NotFound
from ..ids import new_id
from ..timeutil import isoformat, utcnow
from .models import Partner, WebhookAttempt, WebhookDelivery, WebhookSubscription
from .oauth_clients import pairwise_subject

MAX_ATTEMPTS = 8
BACKOFF_BASE_SECONDS = 30
BACKOFF_MAX_SECONDS = 3600
SIGNATURE_HEADER = "X-NHT-Webhook-Signature"
log = logging.getLogger("nanhaitong.partners.webhooks")


def backoff(attempts: int) -> int:
    return min(BACKOFF_MAX_SECONDS, BACKOFF_BASE_SECONDS * 2 ** max(0, attempts - 1))


def signature_header(secret: str, body: bytes, timestamp: int | None = None) -> str:
    timestamp = int(time.time()) if timestamp is None else timestamp
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={mac}"


def _subscriptions(partner_id: str, event: str) -> list[WebhookSubscription]:
    rows = db.session().execute(select(WebhookSubscription).where(
        WebhookSubscription.partner_id == partner_id, WebhookSubscription.active.is_(True))).scalars().all()
    return [row for row in rows if event in json.loads(row.events)]


def _enqueue(partner: Partner, event: str, data: dict, occurred_at) -> list[str]:
    """Outbox rows for the partner's subscriptions to ``event`` (in the caller's transaction)."""
    if partner is None or partner.status != "active":
        return []
    made = []
    for subscription in _subscriptions(partner.id, event):
        delivery_id = new_id()
        payload = {"id": delivery_id, "event": event, "occurred_at": isoformat(occurred_at), "data": data}
        db.session().add(WebhookDelivery(id=delivery_id, partner_id=partner.id, subscription_id=subscription.id,
                                         event=event, payload=json.dumps(payload, ensure_ascii=False,
                                                                         sort_keys=True)))
        made.append(delivery_id)
    if made and has_request_context():
        g.setdefault("nht_webhooks_to_send", []).extend(made)
    return made


@events.application_status_changed.connect
def _on_application_status_changed(sender, **fields):
    # Partners the user consented to follow their applications (gov_services:query).
    for grant in authorizations.live_partner_consents(fields["user_id"], "gov_services:query"):
        partner = db.session().get(Partner, grant.grantee_id)
        if partner is None:
            continue
        _enqueue(partner, "application.status_changed", {
            "sub": pairwise_subject(partner, fields["user_id"]),
            "application_id": fields["application_id"],
            "service_code": fields.get("service_code"),
            "status": fields["status"],
            "previous_status": fields.get("previous_status"),
        }, fields.get("occurred_at") or utcnow())


@events.esign_envelope_changed.connect
def _on_esign_envelope_changed(sender, **fields):
    # The partner that created the envelope through the OpenAPI follows it.
    partner = db.session().get(Partner, fields["partner_id"])
    if partner is None:
        return
    _enqueue(partner, "esign.envelope_changed", {
        "envelope_id": fields["envelope_id"], "status": fields["status"], "step": fields["step"],
        "signed_count": fields["signed_count"], "signer_count": fields["signer_count"],
    }, fields.get("occurred_at") or utcnow())


@events.grant_revoked.connect
def _on_grant_revoked(sender, **fields):
    if fields.get("grantee_kind") != "partner":
        return
    partner = db.session().get(Partner, fields["grantee_id"])
    if partner is None:
        return
    _enqueue(partner, "consent.revoked", {"sub": pairwise_subject(partner, fields["user_id"]),
                                          "consent_id": fields["grant_id"]}, utcnow())


def send_after_request(response):
    """Queue this request's new deliveries once its transaction has committed."""
    pending = g.pop("nht_webhooks_to_send", None) if has_request_context() else None
    if pending and response.status_code < 400:
        for delivery_id in pending:
            try:
                deliver_webhook.delay(delivery_id)
            except Exception:  # noqa: BLE001 - the row is committed: dispatch_due sends it later
                log.warning("webhook delivery %s not queued; left for the dispatcher", delivery_id, exc_info=True)
    return response


@db.unit_of_work()  # its first write comes after the partner answered
def deliver(delivery_id: str, *, replay: bool = False) -> WebhookDelivery | None:
    """One attempt at sending a delivery; records it and schedules the next on failure."""
    session = db.session()
    delivery = session.get(WebhookDelivery, delivery_id)
    if delivery is None or (delivery.status != "pending" and not replay):
        return delivery
    partner = session.get(Partner, delivery.partner_id)
    subscription = session.get(WebhookSubscription, delivery.subscription_id)
    body = delivery.payload.encode()
    headers = {"X-NHT-Webhook-Id": delivery.id, "X-NHT-Webhook-Event": delivery.event,
               SIGNATURE_HEADER: signature_header(partner.webhook_secret, body)}
    started = time.monotonic()
    status_code, error = None, None
    if partner.status != "active":
        error = "partner suspended"
    else:
        try:
            status_code = clients().partner_http.post_webhook(subscription.url, body, headers)
        except IntegrationError as exc:
            status_code, error = exc.status, str(exc)[:300]
    delivery.attempts += 1
    session.add(WebhookAttempt(delivery_id=delivery.id, status_code=status_code, error=error, replay=replay,
                               duration_ms=int((time.monotonic() - started) * 1000)))
    delivery.last_status_code, delivery.last_error = status_code, error
    if error is None:
        delivery.status, delivery.delivered_at = "delivered", utcnow()
    elif not replay and delivery.attempts >= MAX_ATTEMPTS:
        delivery.status = "failed"
    elif delivery.status == "pending":
        delivery.next_attempt_at = utcnow() + timedelta(seconds=backoff(delivery.attempts))
    audit("partner.webhook_attempted", actor="system:jobs", result="success" if error is None else "failure",
          object_type="webhook_delivery", object_id=delivery.id,
          details={"event": delivery.event, "attempt": delivery.attempts, "status_code": status_code,
                   "replay": replay})
    return delivery


@shared_task(bind=True, max_retries=MAX_ATTEMPTS)
def deliver_webhook(self, delivery_id: str, replay: bool = False) -> str | None:
    delivery = deliver(delivery_id, replay=replay)
    if delivery is None:
        return None
    if delivery.status == "pending" and not self.request.is_eager and not replay:
        # From a worker: the next attempt after the backoff (dispatch_due catches it too).
        self.apply_async((delivery_id,), countdown=backoff(delivery.attempts))
    return delivery.status


def dispatch_due(limit: int = 100) -> int:
    """Send every pending delivery whose next attempt is due (periodic job and CLI)."""
    due = db.session().execute(
        select(WebhookDelivery.id).where(WebhookDelivery.status == "pending",
                                         WebhookDelivery.next_attempt_at <= utcnow())
        .order_by(WebhookDelivery.next_attempt_at).limit(limit)).scalars().all()
    for delivery_id in due:
        deliver(delivery_id)
    return len(due)


@shared_task
def dispatch_due_webhooks() -> int:
    return dispatch_due()


def replay(delivery_id: str, *, partner_id: str | None = None, actor: str | None = None) -> WebhookDelivery:
    """Send a delivery again now, whatever its state (an operator's decision)."""
    delivery = db.session().get(WebhookDelivery, delivery_id)
    if delivery is None or (partner_id is not None and delivery.partner_id != partner_id):
        raise NotFound("No such webhook delivery.", code="webhook_delivery_not_found")
    with db.unit_of_work():
        audit("partner.webhook_replayed", actor=actor, object_type="webhook_delivery", object_id=delivery.id)
    deliver(delivery.id, replay=True)
    return db.session().get(WebhookDelivery, delivery_id)


def list_deliveries(partner_id: str, *, status: str | None, limit: int, cursor: str | None):
    query = select(WebhookDelivery).where(WebhookDelivery.partner_id == partner_id)
    if status:
        query = query.where(WebhookDelivery.status == status)
    if cursor:
        query = query.where(WebhookDelivery.id < cursor)
    rows = db.session().execute(query.order_by(WebhookDelivery.id.desc()).limit(limit + 1)).scalars().all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


@db.unit_of_work()
def subscribe(partner_id: str, url: str, event_names: list[str], *, actor: str | None = None) -> WebhookSubscription:
    subscription = WebhookSubscription(partner_id=partner_id, url=url, events=json.dumps(sorted(set(event_names))))
    db.session().add(subscription)
    db.session().flush()
    audit("partner.webhook_subscribed", actor=actor, object_type="webhook_subscription", object_id=subscription.id,
          details={"partner": partner_id, "events": sorted(set(event_names))})
    return subscription


@db.unit_of_work()
def update_subscription(partner_id: str, subscription_id: str, changes: dict, *,
                        actor: str | None = None) -> WebhookSubscription:
    """Change a subscription's URL or events, or switch it off and on (an inactive one gets
    no new deliveries; those already queued are still sent)."""
    row = db.session().get(WebhookSubscription, subscription_id)
    if row is None or row.partner_id != partner_id:
        raise NotFound("No such webhook subscription.", code="webhook_subscription_not_found")
    if "url" in changes:
        row.url = changes["url"]
    if "events" in changes:
        row.events = json.dumps(sorted(set(changes["events"])))
    if "active" in changes:
        row.active = bool(changes["active"])
    audit("partner.webhook_subscription_updated", actor=actor, object_type="webhook_subscription",
          object_id=row.id, details={"partner": partner_id, "fields": sorted(changes)})
    return row


def subscriptions(partner_id: str) -> list[WebhookSubscription]:
    return db.session().execute(select(WebhookSubscription).where(WebhookSubscription.partner_id == partner_id)
                                .order_by(WebhookSubscription.id)).scalars().all()


def with_attempts(delivery: WebhookDelivery) -> With:
    """A delivery served with every attempt made of it, oldest first."""
    return With(delivery, attempt_log=db.session().execute(
        select(WebhookAttempt).where(WebhookAttempt.delivery_id == delivery.id)
        .order_by(WebhookAttempt.at, WebhookAttempt.id)).scalars().all())
