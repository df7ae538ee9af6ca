"""Channel callbacks: authenticate, check against our record, record, move, answer at once.

Nothing changes before the notification's signature verifies (and, WeChat, its timestamp
is fresh and its resource decrypts), the merchant is ours, the order number is one of
ours and the amount is the order's. The event is then recorded (once: a redelivery is
recognised by its id) and the order moved in one transaction under the order's row lock;
fulfilment (or the refund's completion) follows after the commit, on the queue.
"""

from __future__ import annotations

import logging

from flask import current_app
from limits import parse as parse_limit
from sqlalchemy import bindparam, select
from sqlalchemy.exc import IntegrityError

from .. import db
from ..audit.service import record as audit
from ..errors import RateLimited
from ..ratelimit import enforce, strategy
from . import states
from .channels import CallbackRejected, ChannelEvent
from .models import GasBillClaim, PaymentEvent, PaymentOrder

log = logging.getLogger(__name__)
ACTOR = "system:payment_callback"
_RECORDED = select(PaymentEvent.id).where(PaymentEvent.channel == bindparam("channel"),
                                          PaymentEvent.event_key == bindparam("event_key"))
# A redelivery recognised before any lock or transaction: the event recorded already
# (committed, so it passed every check below), for this very order and amount.
_SEEN = (select(PaymentOrder.out_trade_no, PaymentOrder.amount_fen)
         .join(PaymentEvent, PaymentEvent.order_id == PaymentOrder.id)
         .where(PaymentEvent.channel == bindparam("channel"), PaymentEvent.event_key == bindparam("event_key")))


_AUDIT_ONCE = parse_limit("1 per minute")


def _refusals_limit() -> str:
    return f"{current_app.config['PAYMENTS_CALLBACK_REFUSALS_PER_MINUTE']} per minute"


def check_source(channel: str, source: str) -> None:
    """A source whose callbacks were refused too often this minute is answered 429 at once,
    before any signature check, certificate fetch or database work (issue 21, finding 5).
    Gateways' genuine callbacks are never refused, so they never count."""
    try:
        enforce(_refusals_limit(), "callback-refused", channel, source, count=False)
    except RateLimited as limited:
        raise CallbackRejected("too_many_refusals", 429, retry_after=limited.details["retry_after"]) from None


def _reject(channel: str, reason: str, out_trade_no: str | None = None, status: int = 400, source: str = "-"):
    """Refuse a callback: counted per source; audited once per source, reason and minute
    (800 forged callbacks made 800 audit rows), logged every time."""
    strategy().hit(parse_limit(_refusals_limit()), "nht", "callback-refused", channel, source)
    if strategy().hit(_AUDIT_ONCE, "callback-refusal-audited", channel, source, reason):
        db.keep_as_evidence(audit, "payment.callback_rejected", result="denied", actor=f"{ACTOR}:{channel}",
                            object_type="payment_order", object_id=out_trade_no,
                            details={"channel": channel, "reason": reason, "audited": "first_per_minute"})
    log.warning("payment callback rejected", extra={"fields": {"channel": channel, "reason": reason}})
    raise CallbackRejected(reason, status)


def handle(event: ChannelEvent, source: str = "-") -> str:
    """Apply a verified channel event; answer what happened (applied | no_change | duplicate).

    Raises CallbackRejected when the event does not match our record.
    """
    if _seen_before(event):
        return "duplicate"
    try:
        with db.unit_of_work():
            order_id, moved = _apply(event, source)
    except IntegrityError:  # this very notification was handled already (a redelivery)
        return "duplicate"
    if order_id is None:
        return "duplicate"
    if moved:
        _after(order_id, event)
    return "applied" if moved else "no_change"


def _seen_before(event: ChannelEvent) -> bool:
    """Gateways redeliver until answered, so most notifications are repeats: one plain read
    (no BEGIN, no row lock, no order loaded) answers those. Anything else, an event not
    recorded yet or one that does not match what was recorded, takes the locked path,
    which decides under the order's lock (and the unique key behind it)."""
    seen = db.session().execute(_SEEN, {"channel": event.channel, "event_key": event.event_key[:80]}).first()
    return seen is not None and seen.out_trade_no == event.out_trade_no and seen.amount_fen == event.amount_fen


def _apply(event: ChannelEvent, source: str) -> tuple[str | None, bool]:
    """The event applied under the order's lock: (the order's id, whether it moved), or
    (None, False) for an event seen before."""
    session = db.session()
    order = states.lock_by_out_trade_no(event.out_trade_no)
    if order is None:
        _reject(event.channel, "unknown_order", event.out_trade_no, source=source)
    if order.channel != event.channel:
        _reject(event.channel, "wrong_channel", event.out_trade_no, source=source)
    if event.amount_fen != order.amount_fen:
        _reject(event.channel, "amount_mismatch", event.out_trade_no, source=source)
    if event.kind == "refund" and (event.refund_no != order.refund_no or event.refund_fen != order.amount_fen):
        _reject(event.channel, "refund_mismatch", event.out_trade_no, source=source)
    event_key = event.event_key[:80]
    # A redelivery, seen under the order's lock: every event of an order is recorded
    # under that lock, so this read cannot miss one being recorded. (The unique key
    # below still decides, should one ever get past.) Answering here spares the
    # database a failing insert, which costs it an error and a rollback.
    if session.execute(_RECORDED, {"channel": event.channel, "event_key": event_key}).first():
        return None, False

    moved = False
    if event.kind == "payment":
        if order.status in (states.CANCELLED, states.EXPIRED):
            # Paid after we gave up on it (the gateway closes at time_expire; belt and braces):
            # the money goes back.
            _, moved = states.advance(order.id, states.REFUNDING, "late_payment", actor=ACTOR,
                                      apply=lambda o: _mark_paid(o, event, refund=True))
        else:
            _, moved = states.advance(order.id, states.PAID, "payment_confirmed", actor=ACTOR,
                                      details={"trade_no": event.trade_no},
                                      apply=lambda o: _mark_paid(o, event))
    else:
        _, moved = states.advance(order.id, states.REFUNDED, "refund_confirmed", actor=ACTOR,
                                  details={"refund_no": event.refund_no})
        if moved:
            session.execute(GasBillClaim.__table__.delete().where(GasBillClaim.order_id == order.id))
    session.add(PaymentEvent(channel=event.channel, event_key=event_key, kind=event.kind,
                             order_id=order.id, outcome="applied" if moved else "no_change"))
    return order.id, moved


def _mark_paid(order: PaymentOrder, event: ChannelEvent, *, refund: bool = False) -> None:
    from ..timeutil import utcnow

    order.channel_trade_no = event.trade_no
    order.paid_at = order.paid_at or utcnow()
    if refund:
        order.refund_no = order.refund_no or f"R{order.out_trade_no}"[:32]
        order.failure_reason = "late_payment"


def _after(order_id: str, event: ChannelEvent) -> None:
    from . import fulfilment

    order = db.session().get(PaymentOrder, order_id)
    if order.status == states.PAID:
        fulfilment.enqueue_fulfilment(order_id)
    elif order.status == states.REFUNDING:
        fulfilment.enqueue_refund(order_id)
    elif order.status == states.REFUNDED:
        fulfilment.tell_refunded(order_id)


def handle_checked(parse, *args, source: str = "-") -> str:
    """Refuse a flooding source, parse (authenticate) a callback, count a refusal, then apply it."""
    channel = "wechat" if parse.__name__.endswith("wechat") else "alipay"
    check_source(channel, source)
    try:
        event = parse(*args)
    except CallbackRejected as rejected:
        _reject(channel, rejected.reason, status=rejected.status, source=source)
    return handle(event, source)
