"""Utility payments: accounts, orders. Amounts are integer fen (strict: 12.5 or "1250" is refused)."""

import marshmallow as ma
from marshmallow import validate

from .common import JsonDict, Masked, StrictSchema, Ulid, UtcDateTime, one_of, page_of

ACCOUNT_KINDS = ("bus_card", "gas")
ORDER_KINDS = ("bus_card_topup", "gas_bill")
CHANNELS = ("wechat", "alipay")
ORDER_STATUSES = ("awaiting_payment", "paid", "fulfilled", "fulfilment_failed", "refunding", "refunded",
                  "cancelled", "expired")


class Fen(ma.fields.Integer):
    """An amount in integer fen: JSON integers only, never floats or strings."""

    def __init__(self, **kw):
        kw.setdefault("metadata", {})
        kw["metadata"] = {"description": "Integer fen (1 yuan = 100 fen)", **kw["metadata"]}
        super().__init__(strict=True, **kw)

    def _validated(self, value):
        if isinstance(value, bool):
            raise self.make_error("invalid")
        return super()._validated(value)


class UtilityAccountCreateSchema(StrictSchema):
    kind = ma.fields.String(required=True, validate=one_of(ACCOUNT_KINDS))
    number = ma.fields.String(required=True, validate=validate.Regexp(r"^[0-9A-Za-z]{6,32}$"),
                              metadata={"description": "Bus card: the 16-digit printed number (Luhn check digit); "
                                                       "gas: the account number on the bill"})
    label = ma.fields.String(validate=validate.Length(min=1, max=40), load_default=None)


def _kept(account) -> tuple[int, int]:
    return (4, 4) if account.kind == "bus_card" else (2, 2)  # a 16-digit card shows half; an account less


class UtilityAccountSchema(ma.Schema):
    id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, validate=one_of(ACCOUNT_KINDS))
    number = Masked("middle", keep=_kept, required=True, metadata={"description": "Masked"})
    label = ma.fields.String(allow_none=True, required=True)
    created_at = UtcDateTime(required=True)


UtilityAccountListSchema = page_of(UtilityAccountSchema, "UtilityAccountListSchema", cursor=False)


class GasBillSchema(ma.Schema):
    bill_id = ma.fields.String(required=True)
    period = ma.fields.String(required=True)
    amount_fen = ma.fields.Integer(required=True)
    due_date = ma.fields.String(required=True)


class GasBillListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(GasBillSchema), required=True)


class BusCardBalanceSchema(ma.Schema):
    account_id = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    balance_fen = ma.fields.Integer(required=True)
    max_balance_fen = ma.fields.Integer(required=True)


class PaymentOrderCreateSchema(StrictSchema):
    kind = ma.fields.String(required=True, validate=one_of(ORDER_KINDS))
    account_id = ma.fields.String(required=True, validate=Ulid)
    amount_fen = Fen(required=True, validate=validate.Range(min=1, max=5_000_000))
    bill_id = ma.fields.String(validate=validate.Length(min=1, max=40), load_default=None)
    channel = ma.fields.String(required=True, validate=one_of(CHANNELS))


class PaymentStatusChangeSchema(ma.Schema):
    from_status = ma.fields.String(allow_none=True, required=True)
    to_status = ma.fields.String(required=True)
    cause = ma.fields.String(required=True)
    at = UtcDateTime(required=True)


class _PaymentParams(JsonDict):
    """Only while the order awaits payment: afterwards they start nothing."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(value, attr, obj, **kwargs) if obj.status == "awaiting_payment" else None


class PaymentOrderSchema(ma.Schema):
    id = ma.fields.String(required=True)
    out_trade_no = ma.fields.String(required=True, metadata={"description": "Our order number at the gateway"})
    kind = ma.fields.String(required=True, validate=one_of(ORDER_KINDS))
    account_id = ma.fields.String(required=True)
    bill_id = ma.fields.String(allow_none=True, required=True)
    bill_period = ma.fields.String(allow_none=True, required=True)
    amount_fen = ma.fields.Integer(required=True)
    channel = ma.fields.String(required=True, validate=one_of(CHANNELS))
    status = ma.fields.String(required=True, validate=one_of(ORDER_STATUSES),
                              metadata={"description": " | ".join(ORDER_STATUSES)})
    payment = _PaymentParams(attribute="payment_params", allow_none=True, required=True, metadata={
        "description": "While awaiting payment, what the app hands to the channel's SDK: `wechat_app` "
                       "(appid, partnerid, prepayid, package, noncestr, timestamp, sign) or `alipay_app` "
                       "(order_string, qr_code)"})
    created_at = UtcDateTime(required=True)
    expires_at = UtcDateTime(required=True)
    paid_at = UtcDateTime(allow_none=True, required=True)
    fulfilled_at = UtcDateTime(allow_none=True, required=True)
    refunded_at = UtcDateTime(allow_none=True, required=True)
    failure_reason = ma.fields.String(allow_none=True, required=True)
    status_history = ma.fields.List(ma.fields.Nested(PaymentStatusChangeSchema),
                                    metadata={"description": "When the order is served with its history"})


class PaymentOrderListArgsSchema(ma.Schema):
    status = ma.fields.String(validate=one_of(ORDER_STATUSES))
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = ma.fields.String(validate=Ulid)


PaymentOrderListSchema = page_of(PaymentOrderSchema, "PaymentOrderListSchema")
