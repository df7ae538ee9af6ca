"""The order state machine: the allowed transitions as data, and the one function that moves an order.

::

    awaiting_payment -> paid -> fulfilled
                             -> fulfilment_failed -> refunding -> refunded
    awaiting_payment -> cancelled | expired
    cancelled | expired -> refunding          (a payment that arrived after we gave up: returned)

Every move happens under a row lock (``SELECT ... FOR UPDATE`` on PostgreSQL; on SQLite
that locking read begins the transaction IMMEDIATE, which serialises writers), is recorded in
``payment_status_changes`` with its cause and in the audit log, and lands in the caller's
transaction (the caller commits). A move the table does not allow from the order's
current status is a no-op: a repeated or late event can never move an order backwards.
"""

from __future__ import annotations

import json
from typing import Callable

from sqlalchemy import bindparam, insert, select

from .. import db
from ..audit.service import record as audit
from ..ids import new_id
from ..timeutil import utcnow
from .models import PaymentOrder, PaymentStatusChange

AWAITING_PAYMENT = "awaiting_payment"
PAID = "paid"
FULFILLED = "fulfilled"
FULFILMENT_FAILED = "fulfilment_failed"
REFUNDING = "refunding"
REFUNDED = "refunded"
CANCELLED = "cancelled"
EXPIRED = "expired"

TRANSITIONS: dict[str, frozenset[str]] = {
    AWAITING_PAYMENT: frozenset({PAID, CANCELLED, EXPIRED}),
    PAID: frozenset({FULFILLED, FULFILMENT_FAILED}),
    FULFILMENT_FAILED: frozenset({REFUNDING}),
    REFUNDING: frozenset({REFUNDED}),
    CANCELLED: frozenset({REFUNDING}),
    EXPIRED: frozenset({REFUNDING}),
    FULFILLED: frozenset(),
    REFUNDED: frozenset(),
}
STATUSES = tuple(TRANSITIONS)
FINAL = frozenset(status for status, onward in TRANSITIONS.items() if not onward)

# The timestamp column each status sets when it is entered.
_STAMPS = {PAID: "paid_at", FULFILLED: "fulfilled_at", REFUNDED: "refunded_at", CANCELLED: "closed_at",
           EXPIRED: "closed_at"}


def allowed(current: str, to: str) -> bool:
    return to in TRANSITIONS.get(current, frozenset())


def _locking(criterion):
    return select(PaymentOrder).where(criterion).with_for_update().execution_options(populate_existing=True)


# Built once: building a statement costs about as much as sending it.
_LOCK = _locking(PaymentOrder.id == bindparam("order_id"))
_LOCK_BY_OUT_TRADE_NO = _locking(PaymentOrder.out_trade_no == bindparam("out_trade_no"))


def lock(order_id: str) -> PaymentOrder | None:
    """The order, freshly read and locked for the rest of the transaction."""
    return db.session().execute(_LOCK, {"order_id": order_id}).scalar_one_or_none()


def lock_by_out_trade_no(out_trade_no: str) -> PaymentOrder | None:
    """``lock``, finding the order by the number the gateways know it by (one round trip)."""
    return db.session().execute(_LOCK_BY_OUT_TRADE_NO, {"out_trade_no": out_trade_no}).scalar_one_or_none()


def advance(order_id: str, to: str, cause: str, *, actor: str = "system:payments", details: dict | None = None,
            apply: Callable[[PaymentOrder], None] | None = None) -> tuple[PaymentOrder | None, bool]:
    """Move the order to ``to`` if the table allows it from where it is; answer (order, moved).

    ``apply`` changes more of the order in the same transaction when (and only when) it moves.
    """
    order = lock(order_id)
    if order is None or not allowed(order.status, to):
        return order, False
    previous = order.status
    order.status = to
    stamp = _STAMPS.get(to)
    if stamp and getattr(order, stamp) is None:
        setattr(order, stamp, utcnow())
    if apply:
        apply(order)
    details = dict(details or {})
    db.session().add(PaymentStatusChange(order_id=order.id, from_status=previous, to_status=to, cause=cause,
                                         actor=actor, details=json.dumps(details, sort_keys=True)))
    audit(f"payment.{to}", actor=actor, object_type="payment_order", object_id=order.id,
          on_behalf_of=f"{order.owner_kind}:{order.owner_id}",
          details={"from": previous, "cause": cause, "amount_fen": order.amount_fen, "channel": order.channel,
                   "out_trade_no": order.out_trade_no, **details})
    return order, True


# Plain INSERTs, not ORM objects: an object's flush cost more than its statement.
_INSERT_ORDER = insert(PaymentOrder.__table__)
_INSERT_CHANGE = insert(PaymentStatusChange.__table__)


def insert_order(values: dict) -> None:
    """A new order's row (``values`` name its columns; id and the rest as the caller sets)."""
    db.session().execute(_INSERT_ORDER, values)


def record_creation(order_id: str, actor: str) -> PaymentStatusChange:
    """The order's first history line (it is created in ``awaiting_payment``), answered as
    the object its row reads back as."""
    change = {"id": new_id(), "order_id": order_id, "from_status": None, "to_status": AWAITING_PAYMENT,
              "cause": "created", "actor": actor, "details": "{}", "at": utcnow()}
    db.session().execute(_INSERT_CHANGE, change)
    return PaymentStatusChange(**change)
