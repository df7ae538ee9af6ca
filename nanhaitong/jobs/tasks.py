"""Jobs shared by every domain."""

from __future__ import annotations

import logging

from celery import shared_task
from flask import after_this_request, current_app, has_request_context

from integrations.errors import RetryableError

from ..clients import clients
from ..ids import new_id

SMS_CONTEXT = "jobs.sms.phone"
log = logging.getLogger("nanhaitong.jobs")


def after_response(work) -> None:
    """Run ``work()`` once the answer has been sent (outside a request: now).

    Work whose presence or duration must not show in the answer (texting a staff code to
    staff phones only) runs when the server closes the response, in the app's context;
    a failure is logged, the caller already has its answer.
    """
    if not has_request_context():
        work()
        return
    app = current_app._get_current_object()

    def run():
        with app.app_context():
            try:
                work()
            except Exception:  # noqa: BLE001 - nobody is left to answer; the log says what failed
                log.warning("work after the response failed", exc_info=True)

    @after_this_request
    def _on_close(response):
        response.call_on_close(run)
        return response


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
