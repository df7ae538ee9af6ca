"""Reconciliation: the channel's statement for a day against our orders.

Days are China Standard Time dates, as both gateways cut their statements. Mismatches:

* ``paid_there_not_here``: the statement has a payment for an order we never saw paid;
* ``amount_differs``: the statement's amount is not the order's;
* ``refunded_there_only``: the statement has a refund for an order we did not refund;
* ``paid_here_not_there``: we hold the order as paid that day; the statement does not.
"""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from sqlalchemy import select

from .. import db
from ..audit.service import record as audit
from ..timeutil import CHINA_STANDARD_TIME, china_today
from ..upstream import upstream_errors
from . import channels, states
from .models import PaymentOrder

UNPAID = {states.AWAITING_PAYMENT, states.CANCELLED, states.EXPIRED}
REFUNDED = {states.REFUNDING, states.REFUNDED}


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time(0), CHINA_STANDARD_TIME)
    return start, start + timedelta(days=1)


def reconcile(day: date, channel: str | None = None) -> list[dict]:
    mismatches: list[dict] = []
    for name in ([channel] if channel else list(channels.CHANNELS)):
        with upstream_errors(f"{name} statement"):
            lines = channels.statement(name, day.isoformat())
        session = db.session()
        by_number = {}
        numbers = {line.out_trade_no for line in lines}
        if numbers:
            by_number = {o.out_trade_no: o for o in session.execute(
                select(PaymentOrder).where(PaymentOrder.out_trade_no.in_(numbers))).scalars()}
        seen_paid = set()
        for line in lines:
            order = by_number.get(line.out_trade_no)
            entry = {"channel": name, "out_trade_no": line.out_trade_no, "statement_amount_fen": line.amount_fen,
                     "order_id": order.id if order else None,
                     "our_amount_fen": order.amount_fen if order else None,
                     "our_status": order.status if order else None}
            if line.kind == "payment":
                seen_paid.add(line.out_trade_no)
                if order is None or order.channel != name or (order.status in UNPAID and order.paid_at is None):
                    mismatches.append({"kind": "paid_there_not_here", **entry})
                elif order.amount_fen != line.amount_fen:
                    mismatches.append({"kind": "amount_differs", **entry})
            else:
                if order is None or order.status not in REFUNDED:
                    mismatches.append({"kind": "refunded_there_only", **entry})
                elif order.amount_fen != line.amount_fen:
                    mismatches.append({"kind": "amount_differs", **entry})
        start, end = _day_bounds(day)
        ours = session.execute(select(PaymentOrder).where(
            PaymentOrder.channel == name, PaymentOrder.paid_at >= start, PaymentOrder.paid_at < end)).scalars()
        for order in ours:
            if order.out_trade_no not in seen_paid:
                mismatches.append({"kind": "paid_here_not_there", "channel": name, "out_trade_no": order.out_trade_no,
                                   "statement_amount_fen": None, "order_id": order.id,
                                   "our_amount_fen": order.amount_fen, "our_status": order.status})
    return mismatches


def reconcile_and_record(day: str | date | None = None, channel: str | None = None,
                         started_by: str = "system:payments") -> list[dict]:
    """Run it, keep the run and its mismatches for staff to resolve (the console's
    reconciliation page), and put the outcome in the audit log (the scheduled job runs
    yesterday's)."""
    from .admin import record_run

    if day is None:
        day = china_today() - timedelta(days=1)
    elif isinstance(day, str):
        day = date.fromisoformat(day)
    found = reconcile(day, channel)
    with db.unit_of_work("record"):
        run = record_run(day, channel, found, started_by)
        audit("payment.reconciled", actor=started_by, result="failure" if found else "success",
              object_type="reconciliation_run", object_id=run.id,
              details={"date": day.isoformat(), "channel": channel or "all", "mismatches": len(found),
                       "kinds": sorted({m["kind"] for m in found})})
    return found
