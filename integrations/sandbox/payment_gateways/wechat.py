"""The WeChat Pay API v3 simulator."""

from __future__ import annotations

import base64
import datetime as dt
import json
import secrets
import threading
import time
from typing import Any
from urllib.parse import urlencode

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from integrations import alipay as ali
from integrations import wechatpay as wx
from integrations.sandbox.base import SandboxError, read_json_object
from integrations.sandbox.payment_gateways.gateway import BEIJING, Delivery, Gateway, Trade, beijing_now


class WechatPaySimulator(Gateway):
    name = "wechatpay"
    channel = "wechat"
    default_api_key = None

    def __init__(self, *, api_key: str | None) -> None:
        super().__init__(api_key=api_key)
        self.certificate = self._self_signed(self.platform_key)
        self.serial = wx.certificate_serial(self.certificate)
        self.merchant: dict[str, Any] | None = None

    @staticmethod
    def _self_signed(key: rsa.RSAPrivateKey) -> x509.Certificate:
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Tenpay.com Root CA (sandbox)"),
                          x509.NameAttribute(NameOID.ORGANIZATION_NAME, "Tenpay.com")])
        now = dt.datetime.now(dt.timezone.utc)
        return (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                .serial_number(x509.random_serial_number()).not_valid_before(now - dt.timedelta(days=1))
                .not_valid_after(now + dt.timedelta(days=365 * 5)).sign(key, hashes.SHA256()))

    def configure(self, *, mchid: str, appid: str, serial_no: str, public_key_pem: str, apiv3_key: str) -> None:
        self.merchant = {"mchid": mchid, "appid": appid, "serial_no": serial_no, "apiv3_key": apiv3_key.encode(),
                         "public_key": serialization.load_pem_public_key(public_key_pem.encode())}

    def rules(self) -> list[Rule]:
        return [
            Rule("/wechat/v3/certificates", methods=["GET"], endpoint=self.certificates),
            Rule("/wechat/v3/pay/transactions/app", methods=["POST"], endpoint=self.create_app_order),
            Rule("/wechat/v3/pay/transactions/out-trade-no/<out_trade_no>", methods=["GET"], endpoint=self.query),
            Rule("/wechat/v3/pay/transactions/out-trade-no/<out_trade_no>/close", methods=["POST"],
                 endpoint=self.close),
            Rule("/wechat/v3/refund/domestic/refunds", methods=["POST"], endpoint=self.refund),
            Rule("/wechat/v3/bill/tradebill", methods=["GET"], endpoint=self.tradebill),
            Rule("/wechat/v3/billdownload/file", methods=["GET"], endpoint=self.download_bill),
            Rule("/wechat/orders/<out_trade_no>/pay", methods=["POST"], endpoint=self.pay),
            Rule("/wechat/_control/notifications", methods=["GET"], endpoint=self.list_notifications),
            Rule("/wechat/_control/notifications", methods=["POST"], endpoint=self.build_notification),
            Rule("/wechat/_control/trades", methods=["POST"], endpoint=self.plant_trade),
            Rule("/wechat/_control/platform-key", methods=["GET"], endpoint=self.platform_private_key),
            Rule("/wechat/_control/merchant", methods=["POST"], endpoint=self.configure_merchant),
        ]

    def demo(self, script_root: str) -> dict[str, Any]:
        return {"api": f"{script_root}/wechat/v3/...", "pay": f"POST {script_root}/wechat/orders/<out_trade_no>/pay",
                "platform_serial": self.serial, "merchant": self.merchant["mchid"] if self.merchant else None}

    def _trade_no(self) -> str:
        return "4200" + secrets.token_hex(12)[:24].upper()

    def _acknowledged(self, response: requests.Response) -> bool:
        return response.status_code in (200, 204)

    # -- signing ----------------------------------------------------------------------

    def _signed(self, body: Any, status: int = 200) -> Response:
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
        timestamp, nonce_str = str(int(time.time())), wx.nonce()
        signature = wx.rsa_sign(self.platform_key, wx.response_message(timestamp, nonce_str, text))
        return Response(text, status=status, content_type="application/json; charset=utf-8", headers={
            "Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": nonce_str, "Wechatpay-Signature": signature,
            "Wechatpay-Serial": self.serial, "Request-ID": secrets.token_hex(8)})

    def _authenticate(self, request: Request) -> dict[str, Any]:
        """Check the merchant's WECHATPAY2-SHA256-RSA2048 signature, as the platform does."""
        if self.merchant is None:
            raise SandboxError(401, "SIGN_ERROR", "no merchant is registered with the sandbox")
        fields = wx.parse_authorization(request.headers.get("Authorization", ""))
        if not fields or fields.get("mchid") != self.merchant["mchid"]:
            raise SandboxError(401, "SIGN_ERROR", "missing or malformed Authorization")
        if fields.get("serial_no") != self.merchant["serial_no"]:
            raise SandboxError(401, "SIGN_ERROR", "unknown merchant certificate serial")
        timestamp = fields.get("timestamp", "")
        if not timestamp.isdigit() or abs(time.time() - int(timestamp)) > wx.TIMESTAMP_TOLERANCE_SECONDS:
            raise SandboxError(401, "SIGN_ERROR", "timestamp out of tolerance")
        query = request.query_string.decode()
        url = request.path.removeprefix("/wechat") + (f"?{query}" if query else "")
        message = wx.request_message(request.method, url, timestamp, fields.get("nonce_str", ""),
                                     request.get_data(as_text=True))
        if not wx.rsa_verify(self.merchant["public_key"], message, fields.get("signature", "")):
            raise SandboxError(401, "SIGN_ERROR", "signature does not verify")
        return self.merchant

    # -- API --------------------------------------------------------------------------

    def certificates(self, request: Request) -> Response:
        merchant = self._authenticate(request)
        pem = self.certificate.public_bytes(serialization.Encoding.PEM).decode()
        return self._signed({"data": [{
            "serial_no": self.serial,
            "effective_time": self.certificate.not_valid_before_utc.astimezone(BEIJING).isoformat(),
            "expire_time": self.certificate.not_valid_after_utc.astimezone(BEIJING).isoformat(),
            "encrypt_certificate": wx.aead_encrypt(merchant["apiv3_key"], pem, "certificate"),
        }]})

    def create_app_order(self, request: Request) -> Response:
        merchant = self._authenticate(request)
        body = read_json_object(request)
        if body.get("appid") != merchant["appid"] or body.get("mchid") != merchant["mchid"]:
            raise SandboxError(400, "APPID_MCHID_NOT_MATCH", "appid and mchid do not match")
        amount = (body.get("amount") or {}).get("total")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise SandboxError(400, "PARAM_ERROR", "amount.total must be a positive integer (fen)")
        out_trade_no, notify_url = str(body.get("out_trade_no", "")), str(body.get("notify_url", ""))
        if not (6 <= len(out_trade_no) <= 32) or not notify_url.startswith(("http://", "https://")):
            raise SandboxError(400, "PARAM_ERROR", "out_trade_no or notify_url invalid")
        try:
            expires = dt.datetime.fromisoformat(str(body["time_expire"])) if body.get("time_expire") else None
        except ValueError:
            raise SandboxError(400, "PARAM_ERROR", "time_expire is RFC 3339") from None
        self._register(Trade(out_trade_no, amount, notify_url, str(body.get("description", "")), expires_at=expires))
        return self._signed({"prepay_id": "wx" + secrets.token_hex(16)})

    def _trade_json(self, trade: Trade) -> dict[str, Any]:
        merchant = self.merchant or {}
        result = {"appid": merchant.get("appid"), "mchid": merchant.get("mchid"), "out_trade_no": trade.out_trade_no,
                  "trade_state": trade.state, "amount": {"total": trade.amount_fen, "currency": "CNY"}}
        if trade.trade_no:
            result.update(transaction_id=trade.trade_no, trade_type="APP", bank_type="OTHERS",
                          success_time=trade.paid_at.isoformat() if trade.paid_at else None,
                          payer={"openid": "o" + trade.trade_no[-16:]})
            result["amount"].update(payer_total=trade.amount_fen, payer_currency="CNY")
        return result

    def query(self, request: Request, out_trade_no: str) -> Response:
        self._authenticate(request)
        return self._signed(self._trade_json(self._trade(out_trade_no)))

    def close(self, request: Request, out_trade_no: str) -> Response:
        self._authenticate(request)
        with self._lock:
            trade = self._trade(out_trade_no)
            if trade.state in ("SUCCESS", "REFUND"):
                raise SandboxError(400, "ORDERPAID", "the order is paid")
            trade.state = "CLOSED"
        return Response(status=204)

    def refund(self, request: Request) -> Response:
        self._authenticate(request)
        body = read_json_object(request)
        amount = body.get("amount") or {}
        out_refund_no = str(body.get("out_refund_no", ""))
        with self._lock:
            trade = self._trade(str(body.get("out_trade_no", "")))
            if trade.state not in ("SUCCESS", "REFUND"):
                raise SandboxError(400, "TRADE_STATE_ERROR", "the order is not paid")
            if amount.get("total") != trade.amount_fen or not isinstance(amount.get("refund"), int) \
                    or not 0 < amount["refund"] <= trade.amount_fen:
                raise SandboxError(400, "PARAM_ERROR", "refund or total amount wrong")
            refund = trade.refunds.get(out_refund_no)
            if refund is None:
                refund = {"out_refund_no": out_refund_no, "refund_fen": amount["refund"],
                          "refund_id": "50" + secrets.token_hex(14).upper(), "at": beijing_now(),
                          "notify_url": str(body.get("notify_url") or trade.notify_url)}
                trade.refunds[out_refund_no] = refund
                trade.state = "REFUND"
                fresh = True
            else:
                fresh = False
        if fresh:
            # The refund completes at once in the sandbox; its callback follows the answer.
            delivery = self.notification(trade, "refund", {}, refund)
            threading.Thread(target=self.deliverer.deliver, args=(delivery,), daemon=True).start()
        return self._signed({"refund_id": refund["refund_id"], "out_refund_no": out_refund_no,
                             "out_trade_no": trade.out_trade_no, "status": "PROCESSING",
                             "amount": {"refund": refund["refund_fen"], "total": trade.amount_fen,
                                        "currency": "CNY"}})

    def tradebill(self, request: Request) -> Response:
        self._authenticate(request)
        try:
            day = dt.date.fromisoformat(request.args.get("bill_date", ""))
        except ValueError:
            raise SandboxError(400, "PARAM_ERROR", "bill_date is YYYY-MM-DD") from None
        token = base64.urlsafe_b64encode(day.isoformat().encode()).decode()
        return self._signed({"hash_type": "SHA1", "hash_value": "",
                             "download_url": f"{request.url_root.rstrip('/')}/wechat/v3/billdownload/file?"
                                             + urlencode({"token": token})})

    def download_bill(self, request: Request) -> Response:
        self._authenticate(request)
        try:
            day = dt.date.fromisoformat(base64.urlsafe_b64decode(request.args.get("token", "")).decode())
        except ValueError:
            raise SandboxError(400, "PARAM_ERROR", "bad token") from None
        merchant = self.merchant or {}
        # The real trade bill: one header line, each field prefixed with a backtick, amounts in yuan.
        header = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
                  "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
                  "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注")
        rows = [header]
        total = refunds = 0
        for trade, kind, amount, refund in self.statement_lines(day):
            at = (refund["at"] if refund else trade.paid_at).strftime("%Y-%m-%d %H:%M:%S")
            yuan = ali.fen_to_yuan(amount)
            if kind == "payment":
                total += amount
                values = [at, merchant.get("appid", ""), merchant.get("mchid", ""), "0", "", trade.trade_no,
                          trade.out_trade_no, "o" + trade.trade_no[-16:], "APP", "SUCCESS", "OTHERS", "CNY", yuan,
                          "0.00", "0", "0", "0.00", "0.00", "", "", trade.description, "", "0.00", "0.60%",
                          yuan, "0.00", ""]
            else:
                refunds += amount
                values = [at, merchant.get("appid", ""), merchant.get("mchid", ""), "0", "", trade.trade_no,
                          trade.out_trade_no, "o" + trade.trade_no[-16:], "APP", "REFUND", "OTHERS", "CNY", "0.00",
                          "0.00", refund["refund_id"], refund["out_refund_no"], ali.fen_to_yuan(amount), "0.00",
                          "ORIGINAL", "SUCCESS", trade.description, "", "0.00", "0.60%", ali.fen_to_yuan(
                              trade.amount_fen), ali.fen_to_yuan(amount), ""]
            rows.append(",".join("`" + value for value in values))
        rows.append("总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额")
        count = sum(1 for row in rows[1:-1])
        rows.append(",".join("`" + v for v in (str(count), ali.fen_to_yuan(total), ali.fen_to_yuan(refunds), "0.00",
                                               "0.00", ali.fen_to_yuan(total), ali.fen_to_yuan(refunds))))
        return Response("\r\n".join(rows) + "\r\n", content_type="text/csv; charset=utf-8")

    # -- callbacks ----------------------------------------------------------------------

    def notification(self, trade: Trade, kind: str, overrides: dict[str, Any],
                     refund: dict[str, Any] | None = None) -> Delivery:
        merchant = self.merchant or {}
        if kind == "refund":
            assert refund is not None
            resource = {"mchid": merchant.get("mchid"), "out_trade_no": trade.out_trade_no,
                        "transaction_id": trade.trade_no, "out_refund_no": refund["out_refund_no"],
                        "refund_id": refund["refund_id"], "refund_status": "SUCCESS",
                        "success_time": refund["at"].isoformat(), "user_received_account": "支付用户零钱",
                        "amount": {"total": trade.amount_fen, "refund": refund["refund_fen"],
                                   "payer_total": trade.amount_fen, "payer_refund": refund["refund_fen"]}}
            event_type, associated, summary = "REFUND.SUCCESS", "refund", "退款成功"
            url = refund.get("notify_url") or trade.notify_url
        else:
            resource = self._trade_json(trade)
            event_type, associated, summary = "TRANSACTION.SUCCESS", "transaction", "支付成功"
            url = trade.notify_url
        if "amount_fen" in overrides:
            resource["amount"]["total"] = overrides["amount_fen"]
            if "payer_total" in resource["amount"]:
                resource["amount"]["payer_total"] = overrides["amount_fen"]
        for name in ("mchid", "appid", "out_trade_no", "trade_state"):
            if name in overrides:
                resource[name] = overrides[name]
        event_id = "EV-" + secrets.token_hex(10).upper()
        envelope = {"id": event_id, "create_time": beijing_now().isoformat(), "resource_type": "encrypt-resource",
                    "event_type": event_type, "summary": summary,
                    "resource": {"original_type": associated, **wx.aead_encrypt(
                        merchant.get("apiv3_key", b"\0" * 32),
                        json.dumps(resource, ensure_ascii=False, separators=(",", ":")), associated)}}
        body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":"))
        timestamp = str(overrides.get("timestamp") or int(time.time()))
        nonce_str = wx.nonce()
        signature = wx.rsa_sign(self.platform_key, wx.response_message(timestamp, nonce_str, body))
        headers = {"Content-Type": "application/json", "Wechatpay-Timestamp": timestamp, "Wechatpay-Nonce": nonce_str,
                   "Wechatpay-Signature": signature, "Wechatpay-Serial": self.serial,
                   "Wechatpay-Signature-Type": "WECHATPAY2-SHA256-RSA2048"}
        return Delivery(event_id, "wechat", kind, trade.out_trade_no, url, headers, body)

    def configure_merchant(self, request: Request) -> Response:
        body = read_json_object(request)
        try:
            self.configure(mchid=str(body["mchid"]), appid=str(body["appid"]), serial_no=str(body["serial_no"]),
                           public_key_pem=str(body["public_key_pem"]), apiv3_key=str(body["apiv3_key"]))
        except (KeyError, ValueError):
            raise SandboxError(400, "PARAM_ERROR", "mchid, appid, serial_no, public_key_pem, apiv3_key") from None
        return Response(status=204)


# ======================================================================================
# Alipay open API
# ======================================================================================
