"""Utility accounts, payment orders, their status history, channel events, bill claims."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, DateTime, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..ids import new_id
from ..security.fields import EncryptedText
from ..timeutil import utcnow

UtcDateTime = DateTime(timezone=True)


class UtilityAccount(Base):
    """A bus card or gas account bound by its owner. The number is personal data:
    encrypted, found by its keyed blind index, shown masked."""

    __tablename__ = "utility_accounts"
    __table_args__ = (UniqueConstraint("owner_kind", "owner_id", "kind", "number_index"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    owner_kind: Mapped[str] = mapped_column(String(12))
    owner_id: Mapped[str] = mapped_column(String(26), index=True)
    kind: Mapped[str] = mapped_column(String(12))  # bus_card | gas
    number: Mapped[str] = mapped_column(EncryptedText("utility_accounts.number"))
    number_index: Mapped[str] = mapped_column(String(64))
    label: Mapped[str | None] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PaymentOrder(Base):
    """One payment for one top-up or one gas bill. ``status`` moves only through
    payments/states.py; amounts are integer fen."""

    __tablename__ = "payment_orders"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    out_trade_no: Mapped[str] = mapped_column(String(32), unique=True)
    owner_kind: Mapped[str] = mapped_column(String(12))
    owner_id: Mapped[str] = mapped_column(String(26), index=True)
    created_by: Mapped[str] = mapped_column(String(60))
    account_id: Mapped[str] = mapped_column(ForeignKey("utility_accounts.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # bus_card_topup | gas_bill
    bill_id: Mapped[str | None] = mapped_column(String(40))
    bill_period: Mapped[str | None] = mapped_column(String(7))
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    channel: Mapped[str] = mapped_column(String(8))  # wechat | alipay
    status: Mapped[str] = mapped_column(String(20), index=True)
    payment_params: Mapped[str | None] = mapped_column(Text)  # JSON: what the app needs to start paying
    channel_trade_no: Mapped[str | None] = mapped_column(String(64))
    fulfilment_ref: Mapped[str | None] = mapped_column(String(64))
    fulfilment_attempts: Mapped[int] = mapped_column(Integer, default=0)
    failure_reason: Mapped[str | None] = mapped_column(String(64))
    refund_no: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    paid_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    fulfilled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    refunded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PaymentStatusChange(Base):
    """Every transition of an order, with what caused it."""

    __tablename__ = "payment_status_changes"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("payment_orders.id"), index=True)
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str] = mapped_column(String(20))
    cause: Mapped[str] = mapped_column(String(40))
    actor: Mapped[str] = mapped_column(String(60))
    details: Mapped[str] = mapped_column(Text, default="{}")
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PaymentEvent(Base):
    """A channel notification we accepted (its id once: redeliveries are recognised)."""

    __tablename__ = "payment_events"
    __table_args__ = (UniqueConstraint("channel", "event_key"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    channel: Mapped[str] = mapped_column(String(8))
    event_key: Mapped[str] = mapped_column(String(80))
    kind: Mapped[str] = mapped_column(String(12))  # payment | refund
    order_id: Mapped[str] = mapped_column(ForeignKey("payment_orders.id"), index=True)
    outcome: Mapped[str] = mapped_column(String(20))  # applied | no_change
    received_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class GasBillClaim(Base):
    """A gas bill held by one live order: the unique key makes a bill paid once.

    Claimed when the order is created; released when it is cancelled, expires or is
    refunded; kept for good once the bill is paid to the utility."""

    __tablename__ = "gas_bill_claims"

    bill_key: Mapped[str] = mapped_column(String(140), primary_key=True)  # account blind index + bill id
    order_id: Mapped[str] = mapped_column(ForeignKey("payment_orders.id"), unique=True)
    claimed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


# -- staff work on payments (issue 24) ----------------------------------------------------

class RefundRequest(Base):
    """A manual refund asked for by a payments_ops member, with its reason.

    Above ``PAYMENTS_REFUND_APPROVAL_FEN`` it waits (``pending_approval``) for a second
    payments_ops member; then (or at once below it) the order is refunded through its
    channel, as an automatic refund is. One open request per order."""

    __tablename__ = "payment_refund_requests"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("payment_orders.id"), index=True)
    amount_fen: Mapped[int] = mapped_column(BigInteger)
    reason: Mapped[str] = mapped_column(String(500))
    status: Mapped[str] = mapped_column(String(20), index=True)  # pending_approval | rejected | executed
    requested_by: Mapped[str] = mapped_column(String(60))
    decided_by: Mapped[str | None] = mapped_column(String(60))
    decision_note: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ReconciliationRun(Base):
    """One comparison of a channel's statement for a day with our orders."""

    __tablename__ = "reconciliation_runs"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    day: Mapped[str] = mapped_column(String(10), index=True)  # China Standard Time date
    channel: Mapped[str] = mapped_column(String(8))  # wechat | alipay | all
    started_by: Mapped[str] = mapped_column(String(60))
    mismatches: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class ReconciliationMismatch(Base):
    """One difference found by a run, and how staff resolved it."""

    __tablename__ = "reconciliation_mismatches"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    run_id: Mapped[str] = mapped_column(ForeignKey("reconciliation_runs.id"), index=True)
    kind: Mapped[str] = mapped_column(String(24))
    channel: Mapped[str] = mapped_column(String(8))
    out_trade_no: Mapped[str] = mapped_column(String(64))
    order_id: Mapped[str | None] = mapped_column(String(26))
    statement_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    our_amount_fen: Mapped[int | None] = mapped_column(BigInteger)
    our_status: Mapped[str | None] = mapped_column(String(20))
    resolution_note: Mapped[str | None] = mapped_column(String(500))
    resolved_by: Mapped[str | None] = mapped_column(String(60))
    resolved_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class StuckOrderAlert(Base):
    """An order that waited too long in refunding or fulfilment_failed was alerted on (once)."""

    __tablename__ = "payment_stuck_alerts"
    __table_args__ = (UniqueConstraint("order_id", "status"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    order_id: Mapped[str] = mapped_column(ForeignKey("payment_orders.id"))
    status: Mapped[str] = mapped_column(String(20))
    alerted_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
