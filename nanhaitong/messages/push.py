"""Pushing inbox messages to phones, after the message is committed.

Each ``PushDelivery`` row is one push owed. A job sends it once the sender's transaction
commits (a rolled-back message pushes nothing); when the provider fails, the row stays
``pending`` and is sent again, by the job's own retries on a worker or by the
``flask messages push-due`` sweep (also a periodic task). The provider's idempotency
key is the delivery id, so a retry never notifies twice.
"""

from __future__ import annotations

from celery import shared_task
from sqlalchemy import event, select
from sqlalchemy.orm import Session

from integrations.errors import IntegrationError, RetryableError
from integrations.push import UnknownPushToken

from .. import db
from ..clients import clients
from ..timeutil import as_utc, utcnow
from .models import Device, Message, PushDelivery
from .service import PENDING_PUSHES

MAX_ATTEMPTS = 8


@event.listens_for(Session, "after_commit")
def _enqueue_committed(session: Session) -> None:
    for delivery_id, not_before in session.info.pop(PENDING_PUSHES, ()):
        delay = (as_utc(not_before) - utcnow()).total_seconds()
        if delay <= 0:
            send_push.delay(delivery_id)
        elif not send_push.app.conf.task_always_eager:
            send_push.apply_async((delivery_id,), countdown=delay)
        # Eagerly, a push for after quiet hours waits for the sweep.


@event.listens_for(Session, "after_rollback")
def _forget_rolled_back(session: Session) -> None:
    session.info.pop(PENDING_PUSHES, None)


@shared_task(bind=True, max_retries=MAX_ATTEMPTS)
def send_push(self, delivery_id: str) -> str:
    outcome = deliver(delivery_id)
    if outcome == "retry" and not self.request.is_eager:
        raise self.retry(countdown=min(600, 5 * 2 ** self.request.retries))
    return outcome


def deliver(delivery_id: str) -> str:
    """Send one owed push; answers sent, dropped, retry, waiting or done (already handled).

    Units of their own session: this may run inside the sender's after-commit hook, where
    the sender's session can emit no more SQL. The attempt is counted in one unit and its
    outcome recorded in another, with no transaction open while the provider answers (it
    takes the delivery's id as idempotency key, so two senders at once send one push)."""
    with db.independent_unit() as session:
        delivery = session.get(PushDelivery, delivery_id, with_for_update=True)
        if delivery is None or delivery.status != "pending":
            return "done"
        if as_utc(delivery.not_before) > utcnow():
            return "waiting"
        device = session.get(Device, delivery.device_id)
        if device is None:
            delivery.status, delivery.last_error = "dropped", "device removed"
            return "dropped"
        message = session.get(Message, delivery.message_id)
        delivery.attempts += 1
        token, platform, device_id = device.token, device.platform, device.id
        push = (message.title, _preview(message.body), {"message_id": message.id, "topic": message.topic})
    outcome: dict = {}
    try:
        outcome["provider_id"] = clients().push.send(token, platform, *push, idempotency_key=delivery_id)
    except UnknownPushToken:
        outcome.update(status="dropped", last_error="unknown_token", forget_device=True)
    except RetryableError as exc:
        outcome.update(last_error=str(exc)[:200], retryable=True)
    except IntegrationError as exc:
        outcome.update(status="dropped", last_error=str(exc)[:200])
    else:
        outcome.update(status="sent", sent_at=utcnow(), last_error=None)
    with db.independent_unit() as session:
        delivery = session.get(PushDelivery, delivery_id, with_for_update=True)
        if delivery.status != "pending":
            return "done"
        if outcome.pop("forget_device", False):
            device = session.get(Device, device_id)
            if device is not None:
                session.delete(device)  # uninstalled: its token will never work again
        if outcome.pop("retryable", False) and delivery.attempts >= MAX_ATTEMPTS:
            outcome["status"] = "dropped"
        for name, value in outcome.items():
            setattr(delivery, name, value)
        return {"pending": "retry"}.get(delivery.status, delivery.status)


def _preview(body: str) -> str:
    return body if len(body) <= 200 else body[:199] + "…"


def send_due(limit: int = 500) -> dict[str, int]:
    """Send every pending push whose time has come (retries after an outage, pushes held
    through quiet hours). Safe to run on several instances: each row is locked."""
    with db.independent_unit() as session:
        due = session.execute(
            select(PushDelivery.id).where(PushDelivery.status == "pending", PushDelivery.not_before <= utcnow())
            .order_by(PushDelivery.id).limit(limit)).scalars().all()
    counts: dict[str, int] = {}
    for delivery_id in due:
        outcome = deliver(delivery_id)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts


@shared_task
def send_due_pushes() -> dict[str, int]:
    return send_due()
