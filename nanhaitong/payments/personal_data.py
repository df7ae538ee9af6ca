"""What privacy asks of payments about one person (issue 23): unfinished payments or
refunds (they block an account deletion), a copy, and erasure. Payment records are kept
as accounting law requires, under the person's now unlinkable id; utility accounts no
order refers to are deleted, the others marked removed. The caller holds the unit of work."""

from __future__ import annotations

import json

from sqlalchemy import delete, select, update

from .. import db
from ..timeutil import isoformat, utcnow
from .models import PaymentOrder, PaymentStatusChange, UtilityAccount
from .states import AWAITING_PAYMENT, FULFILMENT_FAILED, PAID, REFUNDING

CITIZEN = "citizen"
UNFINISHED = (AWAITING_PAYMENT, PAID, FULFILMENT_FAILED, REFUNDING)


def blockers(user_id: str) -> list[dict]:
    rows = db.session().execute(select(PaymentOrder).where(
        PaymentOrder.owner_kind == CITIZEN, PaymentOrder.owner_id == user_id,
        PaymentOrder.status.in_(UNFINISHED))).scalars().all()
    return [{"code": "refund_in_progress" if o.status in (REFUNDING, FULFILMENT_FAILED) else "payment_unfinished",
             "object_type": "payment_order", "object_id": o.id, "status": o.status,
             "message": "您有未完成的支付或退款，请等待其完成后再注销。"} for o in rows]


def export(user_id: str) -> dict:
    session = db.session()
    accounts = session.execute(select(UtilityAccount).where(UtilityAccount.owner_kind == CITIZEN,
                                                            UtilityAccount.owner_id == user_id)
                               .order_by(UtilityAccount.id)).scalars().all()
    orders = session.execute(select(PaymentOrder).where(PaymentOrder.owner_kind == CITIZEN,
                                                        PaymentOrder.owner_id == user_id)
                             .order_by(PaymentOrder.id)).scalars().all()
    changes: dict[str, list] = {o.id: [] for o in orders}
    if orders:
        for c in session.execute(select(PaymentStatusChange).where(PaymentStatusChange.order_id.in_(list(changes)))
                                 .order_by(PaymentStatusChange.id)).scalars():
            changes[c.order_id].append({"from": c.from_status, "to": c.to_status, "cause": c.cause,
                                        "at": isoformat(c.at), "details": json.loads(c.details or "{}")})
    return {
        "utility_accounts": [{"id": a.id, "kind": a.kind, "number": a.number, "label": a.label,
                              "created_at": isoformat(a.created_at),
                              "removed_at": isoformat(a.removed_at) if a.removed_at else None} for a in accounts],
        "orders": [{"id": o.id, "out_trade_no": o.out_trade_no, "kind": o.kind, "account_id": o.account_id,
                    "amount_fen": o.amount_fen, "channel": o.channel, "status": o.status,
                    "created_at": isoformat(o.created_at), "paid_at": isoformat(o.paid_at) if o.paid_at else None,
                    "history": changes[o.id]} for o in orders],
    }


def erase(user_id: str) -> dict:
    session = db.session()
    used = select(PaymentOrder.account_id)
    deleted = session.execute(delete(UtilityAccount).where(
        UtilityAccount.owner_kind == CITIZEN, UtilityAccount.owner_id == user_id,
        UtilityAccount.id.not_in(used))).rowcount
    kept = session.execute(update(UtilityAccount).where(
        UtilityAccount.owner_kind == CITIZEN, UtilityAccount.owner_id == user_id,
        UtilityAccount.removed_at.is_(None)).values(removed_at=utcnow())).rowcount
    orders = len(session.execute(select(PaymentOrder.id).where(PaymentOrder.owner_kind == CITIZEN,
                                                               PaymentOrder.owner_id == user_id)).all())
    return {"utility_accounts_deleted": deleted, "utility_accounts_kept": kept, "orders_kept": orders}
