"""Payments for the district's staff (role ``payments_ops``): the order book, an order's
timeline, manual refunds with two-person approval, reconciliation runs and their
mismatches, and the queue of orders stuck in ``refunding`` or ``fulfilment_failed``.

Every operation asks ``authorize`` (staff actions ``admin:payments.*``) and is audited.
A manual refund goes through the same channel refund as an automatic one: the order
moves to ``refunding``, the refund is requested from the gateway, and the gateway's
refund notification moves it to ``refunded``. Above ``PAYMENTS_REFUND_APPROVAL_FEN`` the
request waits for a second payments_ops member (never the one who asked).
"""

from __future__ import annotations

import json
import logging
from datetime import date, datetime, time, timedelta

from flask import current_app
from sqlalchemy import func, select

from schemas.admin import REFUND_REQUEST_STATUSES
from schemas.common import With

from .. import db
from ..audit.service import record as audit
from ..authorizations import Resource, authorize, district
from ..errors import Conflict, NotFound, ValidationFailed
from ..identity import find_citizen, parties, party
from ..kernel import Principal
from ..timeutil import CHINA_STANDARD_TIME, as_utc, isoformat, utcnow
from . import reconcile, states
from .models import (
    PaymentEvent,
    PaymentOrder,
    PaymentStatusChange,
    ReconciliationMismatch,
    ReconciliationRun,
    RefundRequest,
    StuckOrderAlert,
)

log = logging.getLogger(__name__)
READ, REFUND, APPROVE, RECONCILE = ("admin:payments.read", "admin:payments.refund", "admin:payments.approve_refund",
                                    "admin:payments.reconcile")
STUCK = (states.REFUNDING, states.FULFILMENT_FAILED)
# An order may be refunded by hand when it is stuck on the way to its refund.
REFUNDABLE = STUCK
PENDING, REJECTED, EXECUTED = REFUND_REQUEST_STATUSES


def _when(moment):
    return isoformat(moment) if moment else None


def _order_resource(order: PaymentOrder, **attrs) -> Resource:
    return Resource(type="payment_order", owner_kind=order.owner_kind, owner_id=order.owner_id, id=order.id,
                    attrs={"amount_fen": order.amount_fen, **attrs})


def _china_day_start(day: date) -> datetime:
    return as_utc(datetime.combine(day, time(0), CHINA_STANDARD_TIME))


# -- the order book ------------------------------------------------------------------------

def search_orders(principal: Principal, *, out_trade_no: str | None = None, phone: str | None = None,
                  status: str | None = None, channel: str | None = None, date_from: date | None = None,
                  date_to: date | None = None, limit: int = 20, cursor: str | None = None
                  ) -> tuple[list[PaymentOrder], str | None]:
    """Orders newest first; dates are China dates of creation, both ends included."""
    authorize(principal, READ, district("payment_orders"))
    query = select(PaymentOrder)
    if out_trade_no:
        query = query.where(PaymentOrder.out_trade_no == out_trade_no.strip())
    if phone:
        citizen = find_citizen(phone=phone)
        if citizen is None:
            return [], None
        query = query.where(PaymentOrder.owner_kind == "citizen", PaymentOrder.owner_id == citizen.id)
    if status:
        query = query.where(PaymentOrder.status == status)
    if channel:
        query = query.where(PaymentOrder.channel == channel)
    if date_from:
        query = query.where(PaymentOrder.created_at >= _china_day_start(date_from))
    if date_to:
        query = query.where(PaymentOrder.created_at < _china_day_start(date_to + timedelta(days=1)))
    if cursor:
        query = query.where(PaymentOrder.id < cursor)
    rows = db.session().execute(query.order_by(PaymentOrder.id.desc()).limit(limit + 1)).scalars().all()
    page = list(rows[:limit])
    return page, (page[-1].id if len(rows) > limit else None)


def _order(order_id: str) -> PaymentOrder:
    order = db.session().get(PaymentOrder, order_id)
    if order is None:
        raise NotFound("No such payment_order.", code="payment_order_not_found")
    return order


def order_summary(order: PaymentOrder, owners: dict | None = None) -> dict:
    owner = (owners or {}).get((order.owner_kind, order.owner_id)) or party(order.owner_kind, order.owner_id)
    return {
        "id": order.id, "out_trade_no": order.out_trade_no, "kind": order.kind, "amount_fen": order.amount_fen,
        "channel": order.channel, "status": order.status, "owner": owner, "created_at": _when(order.created_at),
        "paid_at": _when(order.paid_at), "refunded_at": _when(order.refunded_at),
        "failure_reason": order.failure_reason,
    }


def order_summaries(orders: list[PaymentOrder]) -> list[dict]:
    owners = parties([(o.owner_kind, o.owner_id) for o in orders])
    return [order_summary(o, owners) for o in orders]


def order_timeline(principal: Principal, order_id: str) -> dict:
    """The order with every status change, every gateway event and every manual refund request,
    merged in time order. Reading it is a use of the owner's data: it lands in their access log."""
    authorize(principal, READ, district("payment_orders"), record_use=False)  # the role, before any lookup
    order = _order(order_id)
    authorize(principal, READ, _order_resource(order))
    session = db.session()
    entries = []
    for change in session.execute(select(PaymentStatusChange).where(PaymentStatusChange.order_id == order.id)):
        change = change[0]
        entries.append({"at": change.at, "kind": "status_change", "summary": change.to_status,
                        "details": {"from_status": change.from_status, "to_status": change.to_status,
                                    "cause": change.cause, "actor": change.actor, **json.loads(change.details or "{}")}})
    for event in session.execute(select(PaymentEvent).where(PaymentEvent.order_id == order.id)).scalars():
        entries.append({"at": event.received_at, "kind": "gateway_event", "summary": f"{event.channel} {event.kind}",
                        "details": {"channel": event.channel, "event": event.kind, "outcome": event.outcome}})
    requests = refund_requests_of(order.id)
    for item in requests:
        entries.append({"at": item.created_at, "kind": "refund_request", "summary": item.status,
                        "details": {"request_id": item.id, "reason": item.reason, "requested_by": item.requested_by,
                                    "amount_fen": item.amount_fen}})
        if item.decided_at:
            entries.append({"at": item.decided_at, "kind": "refund_decision", "summary": item.status,
                            "details": {"request_id": item.id, "decided_by": item.decided_by,
                                        "note": item.decision_note}})
    entries.sort(key=lambda e: as_utc(e["at"]))
    return {**order_summary(order), "fulfilled_at": _when(order.fulfilled_at), "refund_no": order.refund_no,
            "channel_trade_no": order.channel_trade_no,
            "timeline": [{**e, "at": isoformat(e["at"])} for e in entries],
            "refund_requests": requests,
            "refundable": order.status in REFUNDABLE and not any(r.status == PENDING for r in requests)}


# -- manual refunds ------------------------------------------------------------------------

def approval_threshold_fen() -> int:
    return current_app.config["PAYMENTS_REFUND_APPROVAL_FEN"]


def refund_requests_of(order_id: str) -> list[RefundRequest]:
    return list(db.session().execute(select(RefundRequest).where(RefundRequest.order_id == order_id)
                                     .order_by(RefundRequest.created_at, RefundRequest.id)).scalars())


def request_refund(principal: Principal, order_id: str, reason: str) -> RefundRequest:
    """Ask for a manual refund; it runs at once at or below the threshold, else waits for approval."""
    authorize(principal, REFUND, district("payment_orders"), record_use=False)  # the role, before any lookup
    reason = (reason or "").strip()
    if len(reason) < 4:
        raise ValidationFailed({"reason": ["Give the reason for the refund (at least 4 characters)."]})
    with db.unit_of_work("request"):
        order = states.lock(order_id)
        if order is None:
            raise NotFound("No such payment_order.", code="payment_order_not_found")
        authorize(principal, REFUND, _order_resource(order, reason=reason[:200]))
        if order.status not in REFUNDABLE:
            raise Conflict("Only an order stuck in refunding or fulfilment_failed can be refunded by hand.",
                           code="order_not_refundable", details={"status": order.status})
        if any(r.status == PENDING for r in refund_requests_of(order.id)):
            raise Conflict("A refund of this order is already waiting for approval.",
                           code="refund_already_requested")
        needs_approval = order.amount_fen > approval_threshold_fen()
        item = RefundRequest(order_id=order.id, amount_fen=order.amount_fen, reason=reason,
                             status=PENDING if needs_approval else EXECUTED, requested_by=principal.audit_name)
        db.session().add(item)
        db.session().flush()
        audit("payment.manual_refund_requested", object_type="payment_order", object_id=order.id,
              on_behalf_of=f"{order.owner_kind}:{order.owner_id}",
              details={"request_id": item.id, "amount_fen": order.amount_fen, "needs_approval": needs_approval,
                       "threshold_fen": approval_threshold_fen()})
        if not needs_approval:
            _start_refund(order, item, principal)
    if not needs_approval:
        _send_refund(order_id)
    return db.session().get(RefundRequest, item.id, populate_existing=True)


def _pending(request_id: str) -> RefundRequest:
    item = db.session().get(RefundRequest, request_id, with_for_update=True, populate_existing=True)
    if item is None:
        raise NotFound("No such refund request.", code="refund_request_not_found")
    return item


def decide_refund(principal: Principal, request_id: str, *, approve: bool, note: str | None = None
                  ) -> RefundRequest:
    """A second payments_ops member approves (the refund starts) or rejects a waiting request."""
    authorize(principal, APPROVE, district("payment_refund_requests"), record_use=False)  # the role first
    with db.unit_of_work("decide"):
        item = _pending(request_id)
        order = states.lock(item.order_id)
        authorize(principal, APPROVE, _order_resource(order, requested_by=item.requested_by,
                                                      reason=(note or item.reason)[:200]))
        if item.status != PENDING:
            raise Conflict("This refund request has been decided already.", code="refund_request_decided",
                           details={"status": item.status})
        item.decided_by, item.decided_at, item.decision_note = principal.audit_name, utcnow(), note
        if approve and order.status not in REFUNDABLE:
            approve = False
            item.decision_note = (note or "") + f" [order is {order.status}]"
        item.status = EXECUTED if approve else REJECTED
        audit("payment.manual_refund_approved" if approve else "payment.manual_refund_rejected",
              object_type="payment_order", object_id=order.id, on_behalf_of=f"{order.owner_kind}:{order.owner_id}",
              details={"request_id": item.id, "requested_by": item.requested_by})
        if approve:
            _start_refund(order, item, principal)
    if approve:
        _send_refund(item.order_id)
    return db.session().get(RefundRequest, item.id, populate_existing=True)


def _start_refund(order: PaymentOrder, item: RefundRequest, principal: Principal) -> None:
    """Move the (locked) order to refunding if it is not there yet (in the caller's unit)."""

    def note(o):
        o.refund_no = o.refund_no or f"R{o.out_trade_no}"[:32]

    if order.status == states.FULFILMENT_FAILED:
        states.advance(order.id, states.REFUNDING, "manual_refund", actor=principal.audit_name,
                       details={"request_id": item.id}, apply=note)
    else:
        note(order)


def _send_refund(order_id: str) -> None:
    """Ask the channel for the refund, on the queue (eagerly in the embedded mode)."""
    from .fulfilment import enqueue_refund

    enqueue_refund(order_id)


def pending_refunds(principal: Principal) -> list[RefundRequest]:
    authorize(principal, READ, district("payment_refund_requests"))
    return list(db.session().execute(select(RefundRequest).where(RefundRequest.status == PENDING)
                                     .order_by(RefundRequest.created_at)).scalars())


# -- the stuck queue -----------------------------------------------------------------------

def _stuck_since() -> dict[str, datetime]:
    """When each stuck order entered its status (its latest status change)."""
    rows = db.session().execute(
        select(PaymentStatusChange.order_id, func.max(PaymentStatusChange.at))
        .join(PaymentOrder, PaymentOrder.id == PaymentStatusChange.order_id)
        .where(PaymentOrder.status.in_(STUCK)).group_by(PaymentStatusChange.order_id)).all()
    return {order_id: as_utc(at) for order_id, at in rows}


def _stuck(limit: int | None = None) -> list[dict]:
    since = _stuck_since()
    orders = db.session().execute(select(PaymentOrder).where(PaymentOrder.status.in_(STUCK))).scalars().all()
    now, alert_after = utcnow(), current_app.config["PAYMENTS_STUCK_ALERT_SECONDS"]
    items = []
    for order in orders:
        entered = since.get(order.id) or as_utc(order.created_at)
        waiting = int((now - entered).total_seconds())
        items.append({"order": order, "since": entered, "waiting_seconds": waiting,
                      "overdue": waiting >= alert_after})
    items.sort(key=lambda i: i["since"])
    return items[:limit] if limit else items


def stuck_orders(principal: Principal, *, limit: int = 50) -> dict:
    """Orders waiting in refunding or fulfilment_failed, longest first; ``overdue`` past the alert time."""
    authorize(principal, READ, district("payment_orders"))
    items = _stuck(limit)
    owners = parties([(i["order"].owner_kind, i["order"].owner_id) for i in items])
    return {"alert_after_seconds": current_app.config["PAYMENTS_STUCK_ALERT_SECONDS"],
            "overdue": sum(1 for i in items if i["overdue"]),
            "items": [{**order_summary(i["order"], owners), "since": isoformat(i["since"]),
                       "waiting_seconds": i["waiting_seconds"], "overdue": i["overdue"]} for i in items]}


@db.unit_of_work("alert")
def alert_stuck_orders() -> int:
    """Alert (an error log line and an audit event, once per order and status) on every
    order that has waited too long; the scheduled job runs it. Answers how many were new."""
    alerted = set(db.session().execute(select(StuckOrderAlert.order_id, StuckOrderAlert.status)).all())
    new = 0
    for item in _stuck():
        order = item["order"]
        if not item["overdue"] or (order.id, order.status) in alerted:
            continue
        db.session().add(StuckOrderAlert(order_id=order.id, status=order.status))
        audit("payment.stuck_alert", actor="system:payments", result="failure", object_type="payment_order",
              object_id=order.id, details={"status": order.status, "waiting_seconds": item["waiting_seconds"],
                                           "out_trade_no": order.out_trade_no})
        log.error("payment order stuck", extra={"fields": {"order_id": order.id, "status": order.status,
                                                            "waiting_seconds": item["waiting_seconds"]}})
        new += 1
    return new


# -- reconciliation ------------------------------------------------------------------------

def record_run(day: date, channel: str | None, found: list[dict], started_by: str) -> ReconciliationRun:
    """Keep a run and its mismatches (in the caller's unit)."""
    run = ReconciliationRun(day=day.isoformat(), channel=channel or "all", started_by=started_by,
                            mismatches=len(found))
    session = db.session()
    session.add(run)
    session.flush()
    for item in found:
        session.add(ReconciliationMismatch(run_id=run.id, kind=item["kind"], channel=item["channel"],
                                           out_trade_no=item["out_trade_no"], order_id=item["order_id"],
                                           statement_amount_fen=item["statement_amount_fen"],
                                           our_amount_fen=item["our_amount_fen"], our_status=item["our_status"]))
    return run


def run_reconciliation(principal: Principal, day: date, channel: str | None) -> ReconciliationRun:
    authorize(principal, RECONCILE, district("reconciliation_runs"))
    found = reconcile.reconcile(day, channel)  # reads statements: no transaction held meanwhile
    with db.unit_of_work("record"):
        run = record_run(day, channel, found, principal.audit_name)
        audit("payment.reconciled", result="failure" if found else "success", object_type="reconciliation_run",
              object_id=run.id, details={"date": day.isoformat(), "channel": channel or "all",
                                         "mismatches": len(found), "kinds": sorted({m["kind"] for m in found})})
    return run


def list_runs(principal: Principal, *, limit: int = 20, cursor: str | None = None
              ) -> tuple[list[ReconciliationRun], str | None]:
    authorize(principal, READ, district("reconciliation_runs"))
    query = select(ReconciliationRun)
    if cursor:
        query = query.where(ReconciliationRun.id < cursor)
    rows = db.session().execute(query.order_by(ReconciliationRun.id.desc()).limit(limit + 1)).scalars().all()
    page = list(rows[:limit])
    return page, (page[-1].id if len(rows) > limit else None)


def get_run(principal: Principal, run_id: str) -> tuple[ReconciliationRun, list[ReconciliationMismatch]]:
    authorize(principal, READ, district("reconciliation_runs", run_id))
    run = db.session().get(ReconciliationRun, run_id)
    if run is None:
        raise NotFound("No such reconciliation run.", code="reconciliation_run_not_found")
    mismatches = list(db.session().execute(select(ReconciliationMismatch).where(
        ReconciliationMismatch.run_id == run.id).order_by(ReconciliationMismatch.id)).scalars())
    return run, mismatches


def resolve_mismatch(principal: Principal, mismatch_id: str, note: str) -> ReconciliationMismatch:
    note = (note or "").strip()
    if not note:
        raise ValidationFailed({"note": ["Say how the mismatch was resolved."]})
    with db.unit_of_work("resolve"):
        authorize(principal, RECONCILE, district("reconciliation_mismatch", mismatch_id))
        item = db.session().get(ReconciliationMismatch, mismatch_id, with_for_update=True)
        if item is None:
            raise NotFound("No such mismatch.", code="reconciliation_mismatch_not_found")
        item.resolution_note, item.resolved_by, item.resolved_at = note, principal.audit_name, utcnow()
        audit("payment.mismatch_resolved", object_type="reconciliation_mismatch", object_id=item.id,
              details={"run_id": item.run_id, "kind": item.kind, "out_trade_no": item.out_trade_no})
    return item


def with_mismatches(run: ReconciliationRun, mismatches: list[ReconciliationMismatch]) -> With:
    """A run served with its mismatches and how many are still unresolved."""
    return With(run, mismatch_list=mismatches, unresolved=sum(1 for m in mismatches if m.resolved_at is None))
