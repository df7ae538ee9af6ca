"""Jobs shared by every domain."""

from __future__ import annotations

from celery import shared_task
from flask import current_app

from integrations.errors import RetryableError

from ..clients import clients
from ..ids import new_id

SMS_CONTEXT = "jobs.sms.phone"


def enqueue_sms(phone: str, template: str, params: dict) -> str:
    """Queue an SMS; returns the idempotency key that makes redelivery send it once.

    The phone travels encrypted: queued jobs sit in the broker, which is storage too.
    """
    key = new_id()
    sealed_phone = current_app.extensions["nht.cipher"].encrypt(phone, context=SMS_CONTEXT)
    deliver_sms.delay(sealed_phone, template, params, key)
    return key


@shared_task(bind=True, max_retries=5)
def deliver_sms(self, sealed_phone: str, template: str, params: dict, idempotency_key: str) -> str:
    phone = current_app.extensions["nht.cipher"].decrypt(sealed_phone, context=SMS_CONTEXT)
    try:
        return clients().sms.send(phone, template, params, idempotency_key=idempotency_key)
    except RetryableError as exc:
        if self.request.is_eager:
            raise  # run in the request: the caller answers 503 and the user tries again
        # From a worker: back off and try again; the idempotency key makes it send once.
        raise self.retry(exc=exc, countdown=min(60, 2 ** self.request.retries)) from None
