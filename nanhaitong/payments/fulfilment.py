"""After payment: the top-up or bill payment to the utility, and the refund when it fails.

``fulfil_order`` sends the order to the utility with the order's own idempotency key
(so however many times it runs, the utility credits once) and moves the order to
``fulfilled``. A retryable failure is retried with backoff (``FULFIL_RETRIES`` times);
when the utility refuses, or keeps failing, the order becomes ``fulfilment_failed`` and
is refunded through its channel (``refunding``; ``refunded`` when the channel's refund
callback arrives). No database transaction is held while a utility or gateway answers.
"""

from __future__ import annotations

import logging
import time

from celery import shared_task

from integrations.errors import IntegrationError, NonRetryableError, RetryableError

from .. import db
from ..audit.service import record as audit
from ..clients import clients
from ..errors import N_
from ..identity import contact_phone
from ..jobs.tasks import enqueue_sms
from ..messages import service as messages
from ..sms_templates import china_time_text, inbox_text, phrase
from ..timeutil import utcnow
from . import channels, states
from .models import GasBillClaim, PaymentOrder, UtilityAccount

log = logging.getLogger(__name__)
ACTOR = "system:payments"
FULFIL_RETRIES = 5
REFUND_RETRIES = 8
EAGER_BACKOFF = (0.05, 0.1, 0.2, 0.4, 0.8)  # in-process retries (embedded mode, tests)


def enqueue_fulfilment(order_id: str) -> None:
    fulfil_order.delay(order_id)


def enqueue_refund(order_id: str) -> None:
    refund_order.delay(order_id)


def _idempotency_key(order: PaymentOrder) -> str:
    return f"nht-{order.id}"


def attempt(order_id: str) -> str:
    """One try: answers done | noop | retry | failed:<reason>. Two units: the attempt is
    counted before the utility is called, its outcome recorded after."""
    with db.unit_of_work("count the attempt"):
        order = states.lock(order_id)
        if order is None or order.status != states.PAID:
            return "noop"
        account = db.session().get(UtilityAccount, order.account_id)
        number, kind, amount, bill_id = account.number, order.kind, order.amount_fen, order.bill_id
        out_trade_no, key = order.out_trade_no, _idempotency_key(order)
        order.fulfilment_attempts += 1
    try:
        if kind == "bus_card_topup":
            reference = clients().lingnan_pass.top_up(number, amount, order_no=out_trade_no,
                                                      idempotency_key=key)["topup_id"]
        else:
            reference = clients().gas_utility.pay_bill(number, bill_id, amount, order_no=out_trade_no,
                                                       idempotency_key=key)["payment_id"]
    except RetryableError:
        return "retry"
    except NonRetryableError as exc:
        return "failed:" + (getattr(exc, "upstream_code", None) or "utility_refused")[:50]
    with db.unit_of_work("record the fulfilment"):
        _, moved = states.advance(order_id, states.FULFILLED, "utility_confirmed", actor=ACTOR,
                                  details={"reference": reference},
                                  apply=lambda o: setattr(o, "fulfilment_ref", reference))
        if moved:
            _tell(order_id, "fulfilled")
    return "done"


def give_up(order_id: str, reason: str) -> None:
    """Fulfilment finally failed: record it, then refund through the channel."""

    def note(order):
        order.failure_reason = reason
        order.refund_no = order.refund_no or f"R{order.out_trade_no}"[:32]

    with db.unit_of_work():
        _, moved = states.advance(order_id, states.FULFILMENT_FAILED, "fulfilment_failed", actor=ACTOR,
                                  details={"reason": reason}, apply=note)
        if moved:
            states.advance(order_id, states.REFUNDING, "automatic_refund", actor=ACTOR)
            _tell(order_id, "fulfilment_failed")
    if moved:
        enqueue_refund(order_id)


@shared_task(bind=True, max_retries=FULFIL_RETRIES, name="payments.fulfil_order")
def fulfil_order(self, order_id: str) -> str:
    result = attempt(order_id)
    if result == "retry" and self.request.is_eager:
        for delay in EAGER_BACKOFF:
            time.sleep(delay)
            result = attempt(order_id)
            if result != "retry":
                break
    if result == "retry":
        if not self.request.is_eager and self.request.retries < self.max_retries:
            raise self.retry(countdown=min(600, 10 * 2 ** self.request.retries))
        give_up(order_id, "utility_unavailable")
        return "failed"
    if result.startswith("failed:"):
        give_up(order_id, result.partition(":")[2])
        return "failed"
    return result


def refund_attempt(order_id: str) -> str:
    # Recorded before the call: the channel's refund callback may arrive (and be
    # recorded) before the call returns here.
    with db.unit_of_work("record the refund request"):
        order = states.lock(order_id)
        if order is None or order.status != states.REFUNDING:
            return "noop"
        channel, out_trade_no, refund_no, amount = order.channel, order.out_trade_no, order.refund_no, order.amount_fen
        audit("payment.refund_requested", actor=ACTOR, object_type="payment_order", object_id=order_id,
              details={"channel": channel, "refund_no": refund_no, "amount_fen": amount})
    try:
        channels.refund(channel, out_trade_no=out_trade_no, refund_no=refund_no, amount_fen=amount,
                        reason="缴费未能完成，自动退款")
    except RetryableError:
        return "retry"
    except IntegrationError as exc:
        log.error("refund refused by the channel", extra={"fields": {"order_id": order_id, "error": str(exc)}})
        with db.unit_of_work("record the refusal"):
            audit("payment.refund_refused", result="failure", actor=ACTOR, object_type="payment_order",
                  object_id=order_id, details={"channel": channel, "error": type(exc).__name__})
        return "refused"
    return "requested"


@shared_task(bind=True, max_retries=REFUND_RETRIES, name="payments.refund_order")
def refund_order(self, order_id: str) -> str:
    result = refund_attempt(order_id)
    if result == "retry" and self.request.is_eager:
        for delay in EAGER_BACKOFF:
            time.sleep(delay)
            result = refund_attempt(order_id)
            if result != "retry":
                break
    if result == "retry" and not self.request.is_eager and self.request.retries < self.max_retries:
        raise self.retry(countdown=min(1800, 30 * 2 ** self.request.retries))
    return result


@db.unit_of_work()
def tell_refunded(order_id: str) -> None:
    _tell(order_id, "refunded")


@shared_task(name="payments.expire_orders")
def expire_orders() -> int:
    from .service import expire_due

    return expire_due()


@shared_task(name="payments.reconcile")
def reconcile_day(day: str | None = None) -> int:
    from .reconcile import reconcile_and_record

    return len(reconcile_and_record(day))


@shared_task(name="payments.alert_stuck")
def alert_stuck() -> int:
    from .admin import alert_stuck_orders

    return alert_stuck_orders()


# -- telling the user ----------------------------------------------------------------------



def _tell(order_id: str, what: str) -> None:
    """Tell the order's owner, in the caller's transaction (exactly once per order and step)."""
    order = db.session().get(PaymentOrder, order_id)
    subject = (phrase(N_("bus card top-up")) if order.kind == "bus_card_topup"
               else phrase(N_("gas bill ({period}) payment"), period=order.bill_period))
    yuan = f"{order.amount_fen // 100}.{order.amount_fen % 100:02d}"
    title, body = inbox_text(f"payment_{what}", what=subject, yuan=yuan)
    notify_owner(order, title=title, body=body, step=what)
    if what in _SMS:
        _text(order, _SMS[what], {"what": subject, "yuan": yuan, "time": china_time_text(utcnow())})


_SMS = {"fulfilled": "payment_notice", "refunded": "refund_notice"}


def _text(order: PaymentOrder, template: str, params: dict) -> None:
    """The payment notice by SMS too (a registered template); a gateway failure loses only the SMS."""
    phone = contact_phone(order.owner_kind, order.owner_id)
    if not phone:
        return
    try:
        enqueue_sms(phone, template, params)
    except IntegrationError:
        log.warning("payment notice SMS not sent", extra={"fields": {"order_id": order.id, "template": template}})


def notify_owner(order: PaymentOrder, *, title: str, body: str, step: str) -> None:
    data = {"order_id": order.id, "status": order.status, "amount_fen": order.amount_fen}
    key = f"payment:{order.id}:{step}"
    if order.owner_kind == "enterprise":
        messages.notify_enterprise(order.owner_id, topic="payment", title=title, body=body, data=data, dedupe_key=key)
    else:
        messages.notify_user(order.owner_id, topic="payment", title=title, body=body, data=data, dedupe_key=key)


def release_claim(order_id: str) -> None:
    db.session().execute(GasBillClaim.__table__.delete().where(GasBillClaim.order_id == order_id))
