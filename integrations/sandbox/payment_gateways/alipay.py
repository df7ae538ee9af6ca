"""The Alipay (openapi gateway) simulator."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import threading
from typing import Any
from urllib.parse import parse_qsl, urlencode

import requests
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from integrations import alipay as ali
from integrations.sandbox.base import SandboxError, json_response, read_json_object
from integrations.sandbox.payment_gateways.gateway import (
    BEIJING,
    Delivery,
    Gateway,
    Trade,
    beijing_now,
    public_pem,
)


class AlipaySimulator(Gateway):
    name = "alipay"
    channel = "alipay"
    default_api_key = None

    def __init__(self, *, api_key: str | None) -> None:
        super().__init__(api_key=api_key)
        self.merchant: dict[str, Any] | None = None
        self.seller_id = "2088" + "".join(str(secrets.randbelow(10)) for _ in range(12))

    def configure(self, *, app_id: str, public_key_pem: str) -> None:
        self.merchant = {"app_id": app_id, "public_key": ali.load_public_key(public_key_pem)}

    def rules(self) -> list[Rule]:
        return [
            Rule("/alipay/gateway.do", methods=["POST"], endpoint=self.gateway),
            Rule("/alipay/alipay-public-key", methods=["GET"], endpoint=self.public_key),
            Rule("/alipay/bills/<token>", methods=["GET"], endpoint=self.download_bill),
            Rule("/alipay/orders/<out_trade_no>/pay", methods=["POST"], endpoint=self.pay),
            Rule("/alipay/_control/notifications", methods=["GET"], endpoint=self.list_notifications),
            Rule("/alipay/_control/notifications", methods=["POST"], endpoint=self.build_notification),
            Rule("/alipay/_control/trades", methods=["POST"], endpoint=self.plant_trade),
            Rule("/alipay/_control/platform-key", methods=["GET"], endpoint=self.platform_private_key),
            Rule("/alipay/_control/merchant", methods=["POST"], endpoint=self.configure_merchant),
        ]

    def demo(self, script_root: str) -> dict[str, Any]:
        return {"gateway": f"{script_root}/alipay/gateway.do",
                "pay": f"POST {script_root}/alipay/orders/<out_trade_no>/pay",
                "app_id": self.merchant["app_id"] if self.merchant else None}

    def _trade_no(self) -> str:
        return beijing_now().strftime("%Y%m%d") + "22001" + "".join(str(secrets.randbelow(10)) for _ in range(19))

    def _acknowledged(self, response: requests.Response) -> bool:
        return response.status_code == 200 and response.text == "success"

    def public_key(self, request: Request) -> Response:
        return json_response({"alipay_public_key": public_pem(self.platform_key)})

    def configure_merchant(self, request: Request) -> Response:
        body = read_json_object(request)
        try:
            self.configure(app_id=str(body["app_id"]), public_key_pem=str(body["public_key_pem"]))
        except (KeyError, ValueError):
            raise SandboxError(400, "invalid-parameter", "app_id and public_key_pem") from None
        return Response(status=204)

    # -- the gateway -------------------------------------------------------------------

    def _answer(self, method: str, value: dict[str, Any], *, sign: bool = True) -> Response:
        node = method.replace(".", "_") + "_response"
        raw = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
        text = f'{{"{node}":{raw}'
        if sign:
            text += f',"sign":"{ali.rsa2_sign(self.platform_key, raw)}"'
        return Response(text + "}", content_type="application/json; charset=utf-8")

    @staticmethod
    def _error(method: str, sub_code: str, sub_msg: str, code: str = "40004") -> dict[str, Any]:
        return {"code": code, "msg": "Business Failed" if code == "40004" else "Invalid Arguments",
                "sub_code": sub_code, "sub_msg": sub_msg}

    def gateway(self, request: Request) -> Response:
        params = dict(parse_qsl(request.get_data(as_text=True), keep_blank_values=True))
        method = params.get("method", "")
        if self.merchant is None or params.get("app_id") != self.merchant["app_id"]:
            return self._answer(method, self._error(method, "isv.invalid-app-id", "无效的AppID参数", "40002"),
                                sign=False)
        if params.get("sign_type") != "RSA2" or not ali.rsa2_verify(
                self.merchant["public_key"], ali.signing_string(params), params.get("sign", "")):
            return self._answer(method, self._error(method, "isv.invalid-signature", "验签出错", "40002"), sign=False)
        try:
            biz = json.loads(params.get("biz_content") or "{}")
        except ValueError:
            return self._answer(method, self._error(method, "isv.invalid-parameter", "biz_content", "40002"))
        handler = {"alipay.trade.precreate": self._precreate, "alipay.trade.close": self._close,
                   "alipay.trade.refund": self._refund, "alipay.trade.query": self._query,
                   "alipay.data.dataservice.bill.downloadurl.query": self._bill_url}.get(method)
        if handler is None:
            return self._answer(method, self._error(method, "isv.invalid-method", "不存在的方法名", "40002"),
                                sign=False)
        try:
            value = handler(biz, params, request)
        except SandboxError as error:
            value = self._error(method, error.code, error.message)
        return self._answer(method, value)

    def _precreate(self, biz: dict, params: dict, request: Request) -> dict[str, Any]:
        try:
            amount = ali.yuan_to_fen(str(biz.get("total_amount", "")))
        except ValueError:
            raise SandboxError(400, "ACQ.INVALID_PARAMETER", "total_amount") from None
        out_trade_no = str(biz.get("out_trade_no", ""))
        if not out_trade_no or amount <= 0:
            raise SandboxError(400, "ACQ.INVALID_PARAMETER", "out_trade_no or total_amount")
        try:
            expires = (dt.datetime.strptime(str(biz["time_expire"]), "%Y-%m-%d %H:%M:%S").replace(tzinfo=BEIJING)
                       if biz.get("time_expire") else None)
        except ValueError:
            raise SandboxError(400, "ACQ.INVALID_PARAMETER", "time_expire") from None
        self._register(Trade(out_trade_no, amount, params.get("notify_url", ""), str(biz.get("subject", "")),
                             expires_at=expires))
        return {"code": "10000", "msg": "Success", "out_trade_no": out_trade_no,
                "qr_code": f"https://qr.alipay.com/sandbox{secrets.token_hex(8)}"}

    def _close(self, biz: dict, params: dict, request: Request) -> dict[str, Any]:
        with self._lock:
            trade = self._trade(str(biz.get("out_trade_no", "")))
            if trade.state in ("SUCCESS", "REFUND"):
                raise SandboxError(400, "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            trade.state = "CLOSED"
        return {"code": "10000", "msg": "Success", "out_trade_no": trade.out_trade_no}

    def _query(self, biz: dict, params: dict, request: Request) -> dict[str, Any]:
        trade = self._trade(str(biz.get("out_trade_no", "")))
        status = {"NOTPAY": "WAIT_BUYER_PAY", "SUCCESS": "TRADE_SUCCESS", "CLOSED": "TRADE_CLOSED",
                  "REFUND": "TRADE_CLOSED"}[trade.state]
        return {"code": "10000", "msg": "Success", "out_trade_no": trade.out_trade_no, "trade_no": trade.trade_no,
                "trade_status": status, "total_amount": ali.fen_to_yuan(trade.amount_fen)}

    def _refund(self, biz: dict, params: dict, request: Request) -> dict[str, Any]:
        try:
            amount = ali.yuan_to_fen(str(biz.get("refund_amount", "")))
        except ValueError:
            raise SandboxError(400, "ACQ.INVALID_PARAMETER", "refund_amount") from None
        request_no = str(biz.get("out_request_no") or biz.get("out_trade_no", ""))
        with self._lock:
            trade = self._trade(str(biz.get("out_trade_no", "")))
            if trade.state not in ("SUCCESS", "REFUND"):
                raise SandboxError(400, "ACQ.TRADE_STATUS_ERROR", "交易状态不合法")
            if not 0 < amount <= trade.amount_fen:
                raise SandboxError(400, "ACQ.REFUND_AMT_NOT_EQUAL_TOTAL", "退款金额超限")
            refund = trade.refunds.get(request_no)
            fresh = refund is None
            if fresh:
                refund = {"out_refund_no": request_no, "refund_fen": amount, "refund_id": request_no,
                          "at": beijing_now(), "notify_url": params.get("notify_url") or trade.notify_url}
                trade.refunds[request_no] = refund
                trade.state = "REFUND"
        if fresh:
            # A full refund closes the trade; Alipay then notifies (trade_status TRADE_CLOSED, refund_fee).
            delivery = self.notification(trade, "refund", {}, refund)
            threading.Thread(target=self.deliverer.deliver, args=(delivery,), daemon=True).start()
        return {"code": "10000", "msg": "Success", "trade_no": trade.trade_no, "out_trade_no": trade.out_trade_no,
                "fund_change": "Y" if fresh else "N", "refund_fee": ali.fen_to_yuan(refund["refund_fen"]),
                "gmt_refund_pay": refund["at"].strftime("%Y-%m-%d %H:%M:%S")}

    def _bill_url(self, biz: dict, params: dict, request: Request) -> dict[str, Any]:
        try:
            day = dt.date.fromisoformat(str(biz.get("bill_date", "")))
        except ValueError:
            raise SandboxError(400, "isv.invalid-parameter", "bill_date") from None
        token = base64.urlsafe_b64encode(day.isoformat().encode()).decode()
        return {"code": "10000", "msg": "Success",
                "bill_download_url": f"{request.url_root.rstrip('/')}/alipay/bills/{token}"}

    def download_bill(self, request: Request, token: str) -> Response:
        try:
            day = dt.date.fromisoformat(base64.urlsafe_b64decode(token).decode())
        except ValueError:
            raise SandboxError(404, "not_found", "no such bill") from None
        # The trade detail CSV of the real download (which comes zipped, in GBK), unzipped.
        rows = ["#支付宝业务明细查询", "#账号：[" + self.seller_id + "0156]",
                "支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
                "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,"
                "券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注"]
        for trade, kind, amount, refund in self.statement_lines(day):
            at = (refund["at"] if refund else trade.paid_at).strftime("%Y-%m-%d %H:%M:%S")
            sign = "" if kind == "payment" else "-"
            rows.append(",".join([trade.trade_no, trade.out_trade_no, "交易" if kind == "payment" else "退款",
                                  trade.description, at, at, "", "", "", "", "", sign + ali.fen_to_yuan(amount),
                                  sign + ali.fen_to_yuan(amount), "0.00", "0.00", "0.00", "0.00", "0.00", "",
                                  "0.00", "0.00", refund["out_refund_no"] if refund else "", "0.00", "0.00", ""]))
        rows.append("#支付宝业务明细查询结束")
        return Response("\r\n".join(rows) + "\r\n", content_type="text/csv; charset=utf-8")

    # -- callbacks ----------------------------------------------------------------------

    def notification(self, trade: Trade, kind: str, overrides: dict[str, Any],
                     refund: dict[str, Any] | None = None) -> Delivery:
        merchant = self.merchant or {}
        now = beijing_now().strftime("%Y-%m-%d %H:%M:%S")
        amount = overrides.get("amount_fen", trade.amount_fen)
        params = {"notify_time": now, "notify_type": "trade_status_sync", "notify_id": secrets.token_hex(16),
                  "app_id": overrides.get("app_id", merchant.get("app_id", "")), "charset": "utf-8",
                  "version": "1.0", "trade_no": trade.trade_no, "out_trade_no": overrides.get(
                      "out_trade_no", trade.out_trade_no),
                  "seller_id": self.seller_id, "total_amount": ali.fen_to_yuan(amount),
                  "receipt_amount": ali.fen_to_yuan(amount), "buyer_pay_amount": ali.fen_to_yuan(amount),
                  "subject": trade.description or "order",
                  "gmt_create": trade.paid_at.strftime("%Y-%m-%d %H:%M:%S") if trade.paid_at else now,
                  "gmt_payment": trade.paid_at.strftime("%Y-%m-%d %H:%M:%S") if trade.paid_at else now,
                  "trade_status": overrides.get("trade_status", "TRADE_SUCCESS")}
        url = trade.notify_url
        if kind == "refund" and refund is not None:
            params.update(trade_status="TRADE_CLOSED", refund_fee=ali.fen_to_yuan(refund["refund_fen"]),
                          out_biz_no=refund["out_refund_no"], gmt_refund=refund["at"].strftime(
                              "%Y-%m-%d %H:%M:%S.000"))
            url = refund.get("notify_url") or url
        params["sign_type"] = "RSA2"
        params["sign"] = ali.rsa2_sign(self.platform_key, ali.signing_string(params, exclude=("sign", "sign_type")))
        body = urlencode(params)
        headers = {"Content-Type": "application/x-www-form-urlencoded; charset=utf-8"}
        return Delivery(params["notify_id"], "alipay", kind, trade.out_trade_no, url, headers, body)
