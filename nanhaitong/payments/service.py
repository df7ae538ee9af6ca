"""Utility accounts and payment orders: the rules and the transactions.

Who may: the owner (a citizen, or an enterprise's legal representative or admin acting
for it) or a delegate under a live ``payments:pay`` grant (whose ``amount_ceiling_fen``
caps each order) — always decided by ``authorize``. Amounts are integer fen within
``LIMITS``. An order is created in ``awaiting_payment`` with the gateway's parameters for
the app, and moves only through ``states.advance``.
"""

from __future__ import annotations

import json
import secrets
from datetime import timedelta

from flask import current_app
from sqlalchemy import bindparam, delete, select, update

from integrations.errors import IntegrationError
from integrations.lingnan_pass import valid_card_number
from schemas.common import With

from .. import db
from ..audit.service import record as audit
from ..authorizations import Resource, authorize
from ..clients import clients
from ..errors import Conflict, NotFound, ValidationFailed
from ..ids import new_id
from ..kernel import Principal
from ..timeutil import as_utc, utcnow
from ..upstream import upstream_errors
from . import channels, states
from .models import GasBillClaim, PaymentOrder, PaymentStatusChange, UtilityAccount

ACTION = "payments:pay"
ACCOUNT_KINDS = ("bus_card", "gas")
ORDER_KINDS = {"bus_card_topup": "bus_card", "gas_bill": "gas"}
# Documented limits (docs/payments.md), integer fen.
LIMITS = {"bus_card_topup": (100, 50_000), "gas_bill": (1, 5_000_000)}
MAX_ACCOUNTS = 20


# -- accounts -----------------------------------------------------------------------------

def _subject(principal: Principal) -> tuple[str, str]:
    return principal.subject


def _account_resource(account: UtilityAccount, **attrs) -> Resource:
    return Resource(type="utility_account", owner_kind=account.owner_kind, owner_id=account.owner_id,
                    id=account.id, attrs=attrs)


def _collection(principal: Principal, type_: str) -> Resource:
    kind, ident = _subject(principal)
    return Resource(type=type_, owner_kind=kind, owner_id=ident)


def _number_index(kind: str, number: str) -> str:
    return current_app.extensions["nht.blind_index"].digest(number, domain=f"utility.{kind}")


def bind_account(principal: Principal, kind: str, number: str, label: str | None) -> UtilityAccount:
    owner = _collection(principal, "utility_account")
    authorize(principal, ACTION, owner)
    number = number.strip()
    if kind == "bus_card":
        if not valid_card_number(number):
            raise ValidationFailed({"number": ["A Lingnan Pass card number is 16 digits ending in a Luhn check digit."]},
                                   code="invalid_card_number")
        with upstream_errors("Lingnan Pass"):
            card = clients().lingnan_pass.card(number)
        if card is None:
            raise ValidationFailed({"number": ["The Lingnan Pass system knows no such card."]}, code="card_not_found")
    else:
        with upstream_errors("gas utility"):
            bills = clients().gas_utility.unpaid_bills(number)
        if bills is None:
            raise ValidationFailed({"number": ["The gas utility knows no such account."]}, code="gas_account_not_found")
    with db.unit_of_work(conflict=Conflict("This account is bound already.", code="account_already_bound")):
        return _bind(principal, owner, kind, number, label)


def _bind(principal: Principal, owner: Resource, kind: str, number: str, label: str | None) -> UtilityAccount:
    session = db.session()
    index = _number_index(kind, number)
    existing = session.execute(select(UtilityAccount).where(
        UtilityAccount.owner_kind == owner.owner_kind, UtilityAccount.owner_id == owner.owner_id,
        UtilityAccount.kind == kind, UtilityAccount.number_index == index)).scalar_one_or_none()
    if existing is not None and existing.removed_at is None:
        raise Conflict("This account is bound already.", code="account_already_bound",
                       details={"account_id": existing.id})
    count = len(list_accounts(principal, record=False))
    if count >= MAX_ACCOUNTS:
        raise Conflict("At most %(max_accounts)s accounts may be bound.", code="too_many_accounts",
                       details={"max_accounts": MAX_ACCOUNTS})
    if existing is not None:
        account = existing
        account.removed_at, account.label, account.created_at = None, label, utcnow()
    else:
        account = UtilityAccount(owner_kind=owner.owner_kind, owner_id=owner.owner_id, kind=kind, number=number,
                                 number_index=index, label=label)
        session.add(account)
    session.flush()
    audit("payment.account_bound", object_type="utility_account", object_id=account.id,
          on_behalf_of=f"{owner.owner_kind}:{owner.owner_id}", details={"kind": kind})
    return account


def list_accounts(principal: Principal, *, record: bool = True) -> list[UtilityAccount]:
    owner = _collection(principal, "utility_account")
    if record:
        authorize(principal, ACTION, owner)
    return list(db.session().execute(select(UtilityAccount).where(
        UtilityAccount.owner_kind == owner.owner_kind, UtilityAccount.owner_id == owner.owner_id,
        UtilityAccount.removed_at.is_(None)).order_by(UtilityAccount.id)).scalars())


def get_account(principal: Principal, account_id: str, **attrs) -> UtilityAccount:
    account = _bound_account(account_id)
    authorize(principal, ACTION, _account_resource(account, **attrs))
    return account


def _bound_account(account_id: str) -> UtilityAccount:
    account = db.session().get(UtilityAccount, account_id)
    if account is None or account.removed_at is not None:
        raise NotFound("No such utility_account.", code="utility_account_not_found")
    return account


@db.unit_of_work()
def remove_account(principal: Principal, account_id: str) -> None:
    account = get_account(principal, account_id)
    account.removed_at = utcnow()
    audit("payment.account_removed", object_type="utility_account", object_id=account.id,
          on_behalf_of=f"{account.owner_kind}:{account.owner_id}", details={"kind": account.kind})


def bills(principal: Principal, account_id: str) -> list[dict]:
    account = get_account(principal, account_id)
    if account.kind != "gas":
        raise NotFound("Only a gas account has bills.", code="utility_account_not_found")
    number = account.number
    with upstream_errors("gas utility"):
        found = clients().gas_utility.unpaid_bills(number)
    return [{"bill_id": b.bill_id, "period": b.period, "amount_fen": b.amount_fen, "due_date": b.due_date}
            for b in (found or [])]


def balance(principal: Principal, account_id: str) -> dict:
    account = get_account(principal, account_id)
    if account.kind != "bus_card":
        raise NotFound("Only a bus card has a balance.", code="utility_account_not_found")
    number = account.number
    with upstream_errors("Lingnan Pass"):
        card = clients().lingnan_pass.card(number)
    if card is None:
        raise Conflict("The Lingnan Pass system no longer knows this card.", code="card_not_found")
    return {"account_id": account.id, "status": card.status, "balance_fen": card.balance_fen,
            "max_balance_fen": card.max_balance_fen}


# -- orders -------------------------------------------------------------------------------

# What an order needs of its account, read as columns (the number decrypted by its type as
# ever): the ORM's load by primary key (identity map, an instrumented object) cost more
# CPU than the SELECT itself, and nothing here changes the account.
_ACCOUNTS = UtilityAccount.__table__
_ACCOUNT_TO_PAY_FROM = select(_ACCOUNTS.c.id, _ACCOUNTS.c.owner_kind, _ACCOUNTS.c.owner_id, _ACCOUNTS.c.kind,
                              _ACCOUNTS.c.number, _ACCOUNTS.c.number_index).where(
    _ACCOUNTS.c.id == bindparam("account_id"), _ACCOUNTS.c.removed_at.is_(None))


def _account_to_pay_from(account_id: str):
    """The bound account's row (the check of ``_bound_account``, without the object)."""
    account = db.session().execute(_ACCOUNT_TO_PAY_FROM, {"account_id": account_id}).one_or_none()
    if account is None:
        raise NotFound("No such utility_account.", code="utility_account_not_found")
    return account


def _order_resource(order: PaymentOrder) -> Resource:
    return Resource(type="payment_order", owner_kind=order.owner_kind, owner_id=order.owner_id, id=order.id,
                    attrs={"amount_fen": order.amount_fen})


def _new_out_trade_no() -> str:
    # 6-32 characters of [0-9A-Za-z_-] on both channels: a UTC timestamp and randomness.
    return "NHT" + utcnow().strftime("%Y%m%d%H%M%S") + secrets.token_hex(6).upper()


def _bill_key(account: UtilityAccount, bill_id: str) -> str:
    return f"{account.number_index}:{bill_id}"[:140]


def create_order(principal: Principal, *, kind: str, account_id: str, amount_fen: int, channel: str,
                 bill_id: str | None) -> With:
    """The new order, served with its status history (what the app needs to start paying in it)."""
    low, high = LIMITS[kind]
    if not low <= amount_fen <= high:
        raise ValidationFailed({"amount_fen": ["Between {low} and {high} fen for {kind}.".format(low=low, high=high, kind=kind)]},
                               code="amount_out_of_range")
    account = _account_to_pay_from(account_id)
    # The one decision: paying from the account, where a delegate's amount ceiling applies.
    # Paying is the sensitive step (a minor's needs a guardian's consent); reading is not.
    authorize(principal, ACTION, _account_resource(account, amount_fen=amount_fen), sensitive=True)
    if ORDER_KINDS[kind] != account.kind:
        raise ValidationFailed({"account_id": ["{kind} needs a {account_kind} account.".format(kind=kind, account_kind=ORDER_KINDS[kind])]},
                               code="wrong_account_kind")
    if kind == "gas_bill" and not bill_id:
        raise ValidationFailed({"bill_id": ["A gas bill payment names the bill."]})
    if kind == "bus_card_topup" and bill_id:
        raise ValidationFailed({"bill_id": ["A top-up has no bill."]})
    number, owner = account.number, (account.owner_kind, account.owner_id)
    period = None
    if kind == "gas_bill":
        with upstream_errors("gas utility"):
            unpaid = clients().gas_utility.unpaid_bills(number) or []
        bill = next((b for b in unpaid if b.bill_id == bill_id), None)
        if bill is None:
            raise Conflict("This bill is not open for payment (paid already, or unknown).", code="bill_not_payable")
        if amount_fen != bill.amount_fen:
            raise ValidationFailed({"amount_fen": ["A bill is paid in full: {amount_fen} fen.".format(amount_fen=bill.amount_fen)]},
                                   code="amount_must_equal_bill")
        period = bill.period
    else:
        with upstream_errors("Lingnan Pass"):
            card = clients().lingnan_pass.card(number)
        if card is None or card.status != "active":
            raise Conflict("The card cannot be topped up (reported lost or cancelled).", code="card_not_active")
        if card.balance_fen + amount_fen > card.max_balance_fen:
            raise ValidationFailed({"amount_fen": ["The card holds at most {max_fen} fen; it has {balance_fen}.".format(
                max_fen=card.max_balance_fen, balance_fen=card.balance_fen)]}, code="card_balance_limit")

    with db.unit_of_work("record the order", conflict=Conflict("This bill is being paid by another order.",
                                                               code="bill_already_being_paid")):
        order, created = _record_order(principal, account, kind=kind, owner=owner, amount_fen=amount_fen,
                                       channel=channel, bill_id=bill_id, period=period)
    description = "岭南通公交卡充值" if kind == "bus_card_topup" else f"燃气费 {period}"
    try:
        with upstream_errors("payment channel"):
            params = channels.create(channel, out_trade_no=order["out_trade_no"], description=description,
                                     amount_fen=amount_fen, expires_at=order["expires_at"])
    except Exception:
        # The gateway has no order: this one can never be paid. Close it for the record.
        with db.unit_of_work("close the order the channel refused"):
            states.advance(order["id"], states.CANCELLED, "channel_refused_order", actor=principal.audit_name)
            _release_claim(order["id"])
        raise
    with db.unit_of_work("keep the payment parameters"):
        stored = db.execute_alone(_STORE_PAYMENT_PARAMS, {
            "order_id": order["id"], "payment_params_json": json.dumps(params, ensure_ascii=False, sort_keys=True)}).one()
    # Still awaiting payment (read back by the UPDATE), so never moved: every move goes
    # through states.advance, none leads back here, so its history is its creation alone.
    if stored.status == states.AWAITING_PAYMENT:
        return With(stored, status_history=[created])
    return with_history(stored)


def _record_order(principal: Principal, account, *, kind: str, owner: tuple[str, str],
                  amount_fen: int, channel: str, bill_id: str | None,
                  period: str | None) -> tuple[dict, PaymentStatusChange]:
    """The order's row, its first history line and its audit event (``account`` is the row
    read by ``_account_to_pay_from``); answers the order's
    values (the row as written) and that history line."""
    session = db.session()
    now = utcnow()
    order = {"id": new_id(), "out_trade_no": _new_out_trade_no(), "owner_kind": owner[0], "owner_id": owner[1],
             "created_by": principal.audit_name, "account_id": account.id, "kind": kind, "bill_id": bill_id,
             "bill_period": period, "amount_fen": amount_fen, "channel": channel, "status": states.AWAITING_PAYMENT,
             "created_at": now,
             "expires_at": now + timedelta(seconds=current_app.config["PAYMENTS_ORDER_TTL_SECONDS"])}
    states.insert_order(order)
    if kind == "gas_bill":
        # The bill's unique claim: a second live order for it fails here, however concurrent.
        session.add(GasBillClaim(bill_key=_bill_key(account, bill_id), order_id=order["id"]))
        session.flush()
    created = states.record_creation(order["id"], principal.audit_name)
    audit("payment.order_created", object_type="payment_order", object_id=order["id"],
          on_behalf_of=f"{owner[0]}:{owner[1]}",
          details={"kind": kind, "amount_fen": amount_fen, "channel": channel, "out_trade_no": order["out_trade_no"]})
    return order, created


# One statement, built once: the UPDATE takes the row lock itself and answers the row as
# it now is. (Parameter names that are no column's: those would be written too.) On the
# table, not the entity: the ORM's bulk-update path (session synchronisation, an object
# made from the row) cost twice the statement, and the answer is only serialised: its
# columns do. No PaymentOrder of this order is in the session to refresh.
_ORDERS = PaymentOrder.__table__
_STORE_PAYMENT_PARAMS = (update(_ORDERS).where(_ORDERS.c.id == bindparam("order_id"))
                         .values(payment_params=bindparam("payment_params_json")).returning(*_ORDERS.c))


def _release_claim(order_id: str) -> None:
    db.session().execute(delete(GasBillClaim).where(GasBillClaim.order_id == order_id))


def _expire_if_due(order: PaymentOrder) -> PaymentOrder:
    """Checked lazily on read: an unpaid order past its time is expired (the gateways got the
    same ``time_expire``, so it can no longer be paid there)."""
    if order.status == states.AWAITING_PAYMENT and as_utc(order.expires_at) <= utcnow():
        expire_one(order.id)
        order = db.session().get(PaymentOrder, order.id, populate_existing=True)
    return order


@db.unit_of_work()
def expire_one(order_id: str) -> bool:
    order = states.lock(order_id)
    if order is None or order.status != states.AWAITING_PAYMENT or as_utc(order.expires_at) > utcnow():
        return False
    _, moved = states.advance(order_id, states.EXPIRED, "unpaid_in_time")
    if moved:
        _release_claim(order_id)
    return moved


def expire_due(limit: int = 500) -> int:
    """Expire every unpaid order past its time (the Celery task and `flask payments expire`)."""
    due = db.session().execute(select(PaymentOrder.id).where(
        PaymentOrder.status == states.AWAITING_PAYMENT, PaymentOrder.expires_at <= utcnow()).limit(limit)).scalars().all()
    return sum(1 for order_id in due if expire_one(order_id))


def get_order(principal: Principal, order_id: str) -> PaymentOrder:
    order = db.session().get(PaymentOrder, order_id)
    if order is None:
        raise NotFound("No such payment_order.", code="payment_order_not_found")
    authorize(principal, ACTION, _order_resource(order))
    return _expire_if_due(order)


def list_orders(principal: Principal, *, status: str | None, limit: int, cursor: str | None
                ) -> tuple[list[PaymentOrder], str | None]:
    owner = _collection(principal, "payment_order")
    authorize(principal, ACTION, owner)
    query = select(PaymentOrder).where(PaymentOrder.owner_kind == owner.owner_kind,
                                       PaymentOrder.owner_id == owner.owner_id)
    if cursor:
        query = query.where(PaymentOrder.id < cursor)
    if status:
        query = query.where(PaymentOrder.status == status)
    rows = db.session().execute(query.order_by(PaymentOrder.id.desc()).limit(limit + 1)).scalars().all()
    page = [_expire_if_due(row) for row in rows[:limit]]
    return page, (page[-1].id if len(rows) > limit else None)


def cancel_order(principal: Principal, order_id: str) -> PaymentOrder:
    order = get_order(principal, order_id)
    if order.status != states.AWAITING_PAYMENT:
        raise Conflict("Only an order awaiting payment can be cancelled.", code="order_not_cancellable",
                       details={"status": order.status})
    channel, out_trade_no = order.channel, order.out_trade_no
    # Close at the gateway first: once it is closed there, no payment can arrive after us.
    try:
        with upstream_errors("payment channel"):
            channels.close(channel, out_trade_no)
    except channels.AlreadyPaid:
        raise Conflict("The order has been paid; it cannot be cancelled.", code="order_already_paid") from None
    with db.unit_of_work("record the cancellation"):
        order, moved = states.advance(order_id, states.CANCELLED, "cancelled_by_user", actor=principal.audit_name)
        if not moved:
            raise Conflict("Only an order awaiting payment can be cancelled.", code="order_not_cancellable",
                           details={"status": order.status})
        _release_claim(order_id)
    return order


def with_history(order: PaymentOrder) -> With:
    """The order served with its status changes, oldest first."""
    return With(order, status_history=db.session().execute(
        select(PaymentStatusChange).where(PaymentStatusChange.order_id == order.id)
        .order_by(PaymentStatusChange.at, PaymentStatusChange.id)).scalars().all())


def upstream_failure_code(exc: IntegrationError) -> str:
    return getattr(exc, "upstream_code", None) or type(exc).__name__
