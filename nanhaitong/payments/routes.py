"""/api/v1/utility-accounts, /api/v1/payment-orders, and the channels' callbacks."""

import logging

from flask import Response, g, request
from flask.views import MethodView

from schemas.common import Page
from schemas.payments import (
    BusCardBalanceSchema,
    GasBillListSchema,
    PaymentOrderCreateSchema,
    PaymentOrderListArgsSchema,
    PaymentOrderListSchema,
    PaymentOrderSchema,
    UtilityAccountCreateSchema,
    UtilityAccountListSchema,
    UtilityAccountSchema,
)

from ..api import Blueprint
from ..ratelimit import exempt
from . import callbacks, channels, service

log = logging.getLogger(__name__)

accounts_blp = Blueprint("utility_accounts", __name__, url_prefix="/api/v1/utility-accounts",
                         description="Bus cards (岭南通) and gas accounts bound for paying.")
orders_blp = Blueprint("payment_orders", __name__, url_prefix="/api/v1/payment-orders",
                       description="Top-ups and bill payments over WeChat Pay and Alipay.")
callbacks_blp = Blueprint("payment_callbacks", __name__, url_prefix="/api/v1/payments/callbacks",
                          description="Notifications from the payment gateways (authenticated by their signatures).")


@accounts_blp.route("")
class Accounts(MethodView):
    @accounts_blp.login_required("citizen", level=2)
    @accounts_blp.response(200, UtilityAccountListSchema)
    def get(self):
        """Your bound bus cards and gas accounts (numbers masked)."""
        return Page(service.list_accounts(g.principal))

    @accounts_blp.login_required("citizen", level=2)
    @accounts_blp.arguments(UtilityAccountCreateSchema)
    @accounts_blp.response(201, UtilityAccountSchema)
    @accounts_blp.alt_response(409, response="CONFLICT")
    def post(self, body):
        """Bind a bus card (its number must pass the check rule and be known to Lingnan Pass) or a gas account."""
        return service.bind_account(g.principal, body["kind"], body["number"], body["label"])


@accounts_blp.route("/<ulid:account_id>")
class AccountItem(MethodView):
    @accounts_blp.login_required("citizen", level=2)
    @accounts_blp.response(204)
    @accounts_blp.alt_response(404, response="NOT_FOUND")
    def delete(self, account_id):
        """Unbind the account (its orders stay)."""
        service.remove_account(g.principal, account_id)
        return None


@accounts_blp.route("/<ulid:account_id>/bills")
class AccountBills(MethodView):
    @accounts_blp.login_required("citizen", level=2)
    @accounts_blp.response(200, GasBillListSchema)
    @accounts_blp.alt_response(404, response="NOT_FOUND")
    def get(self, account_id):
        """A gas account's unpaid bills, from the gas utility."""
        return {"items": service.bills(g.principal, account_id)}


@accounts_blp.route("/<ulid:account_id>/balance")
class AccountBalance(MethodView):
    @accounts_blp.login_required("citizen", level=2)
    @accounts_blp.response(200, BusCardBalanceSchema)
    @accounts_blp.alt_response(404, response="NOT_FOUND")
    def get(self, account_id):
        """A bus card's balance, from Lingnan Pass."""
        return service.balance(g.principal, account_id)


@orders_blp.route("")
class Orders(MethodView):
    @orders_blp.login_required("citizen", level=2)
    @orders_blp.arguments(PaymentOrderListArgsSchema, location="query")
    @orders_blp.response(200, PaymentOrderListSchema)
    def get(self, args):
        """Your payment orders, newest first."""
        items, next_cursor = service.list_orders(g.principal, status=args.get("status"), limit=args["limit"],
                                                 cursor=args.get("cursor"))
        return Page(items, next_cursor)

    @orders_blp.login_required("citizen", level=2)
    @orders_blp.idempotent_required
    @orders_blp.arguments(PaymentOrderCreateSchema)
    @orders_blp.response(201, PaymentOrderSchema)
    @orders_blp.alt_response(404, response="NOT_FOUND")
    @orders_blp.alt_response(409, response="CONFLICT")
    def post(self, body):
        """Create an order and get what the app needs to start paying. Idempotency-Key is required."""
        return service.create_order(g.principal, kind=body["kind"], account_id=body["account_id"],
                                    amount_fen=body["amount_fen"], channel=body["channel"], bill_id=body["bill_id"])


@orders_blp.route("/<ulid:order_id>")
class OrderItem(MethodView):
    @orders_blp.login_required("citizen", level=2)
    @orders_blp.response(200, PaymentOrderSchema)
    @orders_blp.alt_response(404, response="NOT_FOUND")
    def get(self, order_id):
        """One order with its status history."""
        return service.with_history(service.get_order(g.principal, order_id))


@orders_blp.route("/<ulid:order_id>/cancel")
class OrderCancel(MethodView):
    @orders_blp.login_required("citizen", level=2)
    @orders_blp.response(200, PaymentOrderSchema)
    @orders_blp.alt_response(404, response="NOT_FOUND")
    @orders_blp.alt_response(409, response="CONFLICT")
    def post(self, order_id):
        """Cancel an order before it is paid (it is closed at the gateway first)."""
        return service.with_history(service.cancel_order(g.principal, order_id))


# -- callbacks: each gateway's own answer format, not our error shape ----------------------

_WECHAT_DOC = {"responses": {"204": {"description": "Handled"},
                             "400": {"description": '{"code": "FAIL", "message": ...}: not acted on'},
                             "401": {"description": '{"code": "FAIL", "message": ...}: signature refused'},
                             "500": {"description": '{"code": "FAIL", "message": ...}: not handled, redeliver'},
                             "503": {"description": '{"code": "FAIL", "message": ...}: platform certificate '
                                                    'unavailable, redeliver'}}}


# Gateways deliver every merchant's notifications from a few addresses: a per-client
# limit would refuse them at peak (they are authenticated by signature instead). What is
# limited per source is refused callbacks (callbacks.check_source), which gateways never send.
@callbacks_blp.route("/wechat")
@exempt
class WechatCallback(MethodView):
    @callbacks_blp.public
    @callbacks_blp.doc(**_WECHAT_DOC)
    def post(self):
        """WeChat Pay v3 payment and refund notifications (Wechatpay-* signature headers, encrypted resource)."""
        body = request.get_data(as_text=True)
        try:
            callbacks.handle_checked(channels.parse_wechat, request.headers, body, source=request.remote_addr or "-")
        except channels.CallbackRejected as rejected:
            return {"code": "FAIL", "message": rejected.reason}, rejected.status, rejected.headers
        except Exception:  # the gateway redelivers on a FAIL; it needs its own answer shape
            log.exception("wechat callback failed")
            return {"code": "FAIL", "message": "internal_error"}, 500
        return Response(status=204)


@callbacks_blp.route("/alipay")
@exempt
class AlipayCallback(MethodView):
    @callbacks_blp.public
    @callbacks_blp.doc(responses={"200": {"description": "`success` when handled; `fail` otherwise (Alipay redelivers)",
                                          "content": {"text/plain": {"schema": {"type": "string"}}}},
                                  "500": {"description": "`fail`: not handled (Alipay redelivers)",
                                          "content": {"text/plain": {"schema": {"type": "string"}}}}})
    def post(self):
        """Alipay async notifications (RSA2-signed form), answered with the bare string `success`."""
        try:
            callbacks.handle_checked(channels.parse_alipay, request.form.to_dict(), source=request.remote_addr or "-")
        except channels.CallbackRejected as rejected:
            status = 429 if rejected.status == 429 else 200
            return Response("fail", status=status, mimetype="text/plain", headers=rejected.headers)
        except Exception:  # anything but "success" makes Alipay redeliver
            log.exception("alipay callback failed")
            return Response("fail", status=500, mimetype="text/plain")
        return Response("success", status=200, mimetype="text/plain")
