"""Utility payments: accounts, orders. Amounts are integer fen (strict: 12.5 or "1250" is refused)."""

import marshmallow as ma
from marshmallow import validate

from .common import StrictSchema

ACCOUNT_KINDS = ("bus_card", "gas")
ORDER_KINDS = ("bus_card_topup", "gas_bill")
CHANNELS = ("wechat", "alipay")
ORDER_STATUSES = ("awaiting_payment", "paid", "fulfilled", "fulfilment_failed", "refunding", "refunded",
                  "cancelled", "expired")
_ULID = validate.Regexp(r"^[0-9A-HJKMNP-TV-Z]{26}$", error="Not an id of ours.")


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
    kind = ma.fields.String(required=True, validate=validate.OneOf(ACCOUNT_KINDS))
    number = ma.fields.String(required=True, validate=validate.Regexp(r"^[0-9A-Za-z]{6,32}$"),
                              metadata={"description": "Bus card: the 16-digit printed number (Luhn check digit); "
                                                       "gas: the account number on the bill"})
    label = ma.fields.String(validate=validate.Length(min=1, max=40), load_default=None)


class UtilityAccountSchema(ma.Schema):
    id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    number = ma.fields.String(required=True, metadata={"description": "Masked"})
    label = ma.fields.String(allow_none=True, required=True)
    created_at = ma.fields.String(required=True)


class UtilityAccountListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(UtilityAccountSchema), required=True)


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
    kind = ma.fields.String(required=True, validate=validate.OneOf(ORDER_KINDS))
    account_id = ma.fields.String(required=True, validate=_ULID)
    amount_fen = Fen(required=True, validate=validate.Range(min=1, max=5_000_000))
    bill_id = ma.fields.String(validate=validate.Length(min=1, max=40), load_default=None)
    channel = ma.fields.String(required=True, validate=validate.OneOf(CHANNELS))


class PaymentStatusChangeSchema(ma.Schema):
    from_status = ma.fields.String(allow_none=True, required=True)
    to_status = ma.fields.String(required=True)
    cause = ma.fields.String(required=True)
    at = ma.fields.String(required=True)


class PaymentOrderSchema(ma.Schema):
    id = ma.fields.String(required=True)
    out_trade_no = ma.fields.String(required=True, metadata={"description": "Our order number at the gateway"})
    kind = ma.fields.String(required=True)
    account_id = ma.fields.String(required=True)
    bill_id = ma.fields.String(allow_none=True, required=True)
    bill_period = ma.fields.String(allow_none=True, required=True)
    amount_fen = ma.fields.Integer(required=True)
    channel = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": " | ".join(ORDER_STATUSES)})
    payment = ma.fields.Dict(allow_none=True, required=True, metadata={
        "description": "While awaiting payment, what the app hands to the channel's SDK: `wechat_app` "
                       "(appid, partnerid, prepayid, package, noncestr, timestamp, sign) or `alipay_app` "
                       "(order_string, qr_code)"})
    created_at = ma.fields.String(required=True)
    expires_at = ma.fields.String(required=True)
    paid_at = ma.fields.String(allow_none=True, required=True)
    fulfilled_at = ma.fields.String(allow_none=True, required=True)
    refunded_at = ma.fields.String(allow_none=True, required=True)
    failure_reason = ma.fields.String(allow_none=True, required=True)
    status_history = ma.fields.List(ma.fields.Nested(PaymentStatusChangeSchema))


class PaymentOrderListArgsSchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(ORDER_STATUSES))
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = ma.fields.String(validate=_ULID)


class PaymentOrderListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(PaymentOrderSchema), required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True)
