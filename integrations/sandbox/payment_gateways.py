"""WeChat Pay (API v3) and Alipay simulators: the two payment gateways, as a merchant sees them.

Both make their own platform keys at start and expose them the way the real gateways do
(WeChat: ``GET /wechat/v3/certificates``, encrypted with the merchant's APIv3 key;
Alipay: ``GET /alipay/alipay-public-key``, standing in for the key shown in the Alipay
console). They check our signatures exactly as the real ones do, and sign (and, WeChat,
encrypt) every answer and callback exactly as the real ones do.

Tester endpoints (no credentials, sandbox only):

* ``POST /wechat/orders/<out_trade_no>/pay``, ``POST /alipay/orders/<out_trade_no>/pay``:
  the payer pays; the gateway marks the order paid and delivers the signed callback to
  the order's notify URL, redelivering in a background thread with backoff (bounded:
  ``REDELIVERY_DELAYS``) until it is acknowledged. Body ``{"deliver": false}`` builds the
  callback without sending it (it is returned and kept in the notification list).
* ``GET /wechat/_control/notifications``, ``GET /alipay/_control/notifications``: callbacks
  built so far, with their delivery attempts.
* ``POST /wechat/_control/notifications``, ``POST /alipay/_control/notifications``
  ``{"out_trade_no", "kind": "payment"|"refund", ...overrides}``: a correctly signed
  callback with chosen content (another amount, merchant, timestamp), not delivered.
* ``POST /wechat/_control/trades`` / ``POST /alipay/_control/trades``
  ``{"out_trade_no", "amount_fen", "state": "SUCCESS"|"REFUND", "date"}``: put a line in the
  day's statement (to plant a reconciliation mismatch).
* ``GET /wechat/_control/platform-key``, ``GET /alipay/_control/platform-key``: the
  gateway's private key, so tests can build callbacks with an independent implementation.
* ``POST /wechat/_control/merchant``, ``POST /alipay/_control/merchant``: register the
  merchant's public key (and WeChat's APIv3 key), as done once in the merchant console.
"""

from __future__ import annotations

import base64
import datetime as dt
import functools
import json
import logging
import secrets
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable
from urllib.parse import parse_qsl, urlencode

import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from integrations import alipay as ali
from integrations import wechatpay as wx
from integrations.china_time import CHINA_STANDARD_TIME, china_now
from integrations.sandbox.base import SandboxError, Simulator, json_response, read_json_object

log = logging.getLogger(__name__)

# Redelivery after a failed or unacknowledged attempt (seconds). The real gateways wait
# minutes to hours (WeChat: 15s 15s 30s 3m 10m 20m 30m ...); the sandbox is quicker.
REDELIVERY_DELAYS = (0.2, 0.5, 1.0, 2.0, 4.0)
DELIVERY_TIMEOUT = 10
BEIJING = CHINA_STANDARD_TIME
MAX_ORDERS = 10_000


@functools.lru_cache(maxsize=None)
def _platform_key(channel: str) -> rsa.RSAPrivateKey:
    """A gateway's platform key, made once per process: 2048-bit RSA takes a tenth of a
    second, and every test builds a sandbox."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def _public_pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def _beijing_now() -> dt.datetime:
    return china_now().replace(microsecond=0)


@dataclass
class Delivery:
    """One callback: where to, what, and what became of each attempt."""

    id: str
    channel: str
    kind: str
    out_trade_no: str
    url: str
    headers: dict[str, str]
    body: str
    attempts: list[dict[str, Any]] = field(default_factory=list)
    acknowledged: bool = False

    def as_json(self) -> dict[str, Any]:
        return {"id": self.id, "channel": self.channel, "kind": self.kind, "out_trade_no": self.out_trade_no,
                "url": self.url, "headers": self.headers, "body": self.body, "attempts": list(self.attempts),
                "acknowledged": self.acknowledged}


class _Deliverer:
    """Sends callbacks and redelivers them in the background until acknowledged."""

    def __init__(self, acknowledged: Callable[[requests.Response], bool]) -> None:
        self._acknowledged = acknowledged
        self._lock = threading.Lock()
        self.deliveries: list[Delivery] = []
        self._generation = 0

    def keep(self, delivery: Delivery) -> None:
        with self._lock:
            self.deliveries.append(delivery)
            del self.deliveries[:-1000]

    def deliver(self, delivery: Delivery) -> None:
        """First attempt now (the tester sees its outcome); redelivery in a thread if needed."""
        self.keep(delivery)
        if self._attempt(delivery):
            return
        generation = self._generation
        threading.Thread(target=self._redeliver, args=(delivery, generation), daemon=True).start()

    def _attempt(self, delivery: Delivery) -> bool:
        try:
            response = requests.post(delivery.url, timeout=DELIVERY_TIMEOUT, data=delivery.body.encode(),
                                     headers=delivery.headers)
            ok, status = self._acknowledged(response), response.status_code
        except requests.RequestException as exc:
            ok, status = False, type(exc).__name__
        with self._lock:
            delivery.attempts.append({"at": time.time(), "status": status, "acknowledged": ok})
            delivery.acknowledged = delivery.acknowledged or ok
        return ok

    def _redeliver(self, delivery: Delivery, generation: int) -> None:
        for delay in REDELIVERY_DELAYS:
            time.sleep(delay)
            if generation != self._generation or delivery.acknowledged:
                return
            if self._attempt(delivery):
                return

    def list(self, out_trade_no: str | None) -> list[dict[str, Any]]:
        with self._lock:
            return [d.as_json() for d in self.deliveries if out_trade_no in (None, d.out_trade_no)]

    def reset(self) -> None:
        with self._lock:
            self.deliveries.clear()
            self._generation += 1


@dataclass
class Trade:
    out_trade_no: str
    amount_fen: int
    notify_url: str
    description: str
    state: str = "NOTPAY"  # NOTPAY | SUCCESS | CLOSED | REFUND
    trade_no: str = ""
    paid_at: dt.datetime | None = None
    refunds: dict[str, dict[str, Any]] = field(default_factory=dict)
    planted: bool = False
    expires_at: dt.datetime | None = None  # time_expire: no payment after it


class _Gateway(Simulator):
    """What both gateways share: trades in memory, callbacks, statement lines."""

    channel: str

    def __init__(self, *, api_key: str | None) -> None:
        super().__init__(api_key=api_key)
        self._lock = threading.Lock()
        self.platform_key = _platform_key(self.channel)
        self.trades: dict[str, Trade] = {}
        self.deliverer = _Deliverer(self._acknowledged)

    def _acknowledged(self, response: requests.Response) -> bool:
        raise NotImplementedError

    def reset(self) -> None:
        with self._lock:
            self.trades.clear()
        self.deliverer.reset()

    def _trade(self, out_trade_no: str) -> Trade:
        trade = self.trades.get(out_trade_no)
        if trade is None or trade.planted:
            raise SandboxError(404, "ORDER_NOT_EXIST", "no such order")
        return trade

    def _register(self, trade: Trade) -> Trade:
        with self._lock:
            existing = self.trades.get(trade.out_trade_no)
            if existing is not None and not existing.planted:
                if existing.amount_fen != trade.amount_fen:
                    raise SandboxError(400, "OUT_TRADE_NO_USED", "out_trade_no used with another amount")
                return existing
            if len(self.trades) >= MAX_ORDERS:
                raise SandboxError(429, "FREQUENCY_LIMITED", "too many orders in the sandbox")
            self.trades[trade.out_trade_no] = trade
            return trade

    # -- tester endpoints ------------------------------------------------------------

    def pay(self, request: Request, out_trade_no: str) -> Response:
        body = request.get_json(silent=True) or {}
        deliver = body.get("deliver", True) is not False
        with self._lock:
            trade = self._trade(out_trade_no)
            if trade.state == "NOTPAY" and trade.expires_at and china_now() > trade.expires_at:
                trade.state = "CLOSED"
            if trade.state == "CLOSED":
                raise SandboxError(409, "ORDER_CLOSED", "the order is closed")
            if trade.state == "NOTPAY":
                trade.state, trade.paid_at = "SUCCESS", _beijing_now()
                trade.trade_no = self._trade_no()
        delivery = self.notification(trade, "payment", {})
        if deliver:
            self.deliverer.deliver(delivery)
        else:
            self.deliverer.keep(delivery)
        return json_response({"out_trade_no": trade.out_trade_no, "state": trade.state,
                              "notification": delivery.as_json()})

    def _trade_no(self) -> str:
        raise NotImplementedError

    def notification(self, trade: Trade, kind: str, overrides: dict[str, Any],
                     refund: dict[str, Any] | None = None) -> Delivery:
        raise NotImplementedError

    def list_notifications(self, request: Request) -> Response:
        return json_response({"notifications": self.deliverer.list(request.args.get("out_trade_no"))})

    def build_notification(self, request: Request) -> Response:
        body = read_json_object(request)
        trade = self._trade(str(body.get("out_trade_no", "")))
        kind = body.get("kind", "payment")
        refund = next(iter(trade.refunds.values()), None) if kind == "refund" else None
        if kind == "refund" and refund is None:
            raise SandboxError(409, "NO_REFUND", "the order has no refund")
        delivery = self.notification(trade, kind, body, refund)
        self.deliverer.keep(delivery)
        return json_response(delivery.as_json(), 201)

    def plant_trade(self, request: Request) -> Response:
        body = read_json_object(request)
        amount = body.get("amount_fen")
        if not isinstance(amount, int) or isinstance(amount, bool) or amount <= 0:
            raise SandboxError(400, "INVALID_REQUEST", "amount_fen must be a positive integer")
        state = body.get("state", "SUCCESS")
        if state not in ("SUCCESS", "REFUND"):
            raise SandboxError(400, "INVALID_REQUEST", "state is SUCCESS or REFUND")
        try:
            day = dt.date.fromisoformat(str(body.get("date", _beijing_now().date().isoformat())))
        except ValueError:
            raise SandboxError(400, "INVALID_REQUEST", "date is YYYY-MM-DD") from None
        out_trade_no = str(body.get("out_trade_no", ""))
        with self._lock:
            trade = self.trades.get(out_trade_no)
            if trade is None:
                trade = Trade(out_trade_no, amount, "", "planted", planted=True)
                self.trades[out_trade_no] = trade
            trade.amount_fen, trade.state, trade.trade_no = amount, state, trade.trade_no or self._trade_no()
            trade.paid_at = dt.datetime.combine(day, dt.time(12), BEIJING)
            if state == "REFUND" and not trade.refunds:
                trade.refunds["planted"] = {"out_refund_no": "planted", "refund_fen": amount,
                                            "refund_id": self._trade_no(), "at": trade.paid_at}
        return json_response({"out_trade_no": out_trade_no, "state": state}, 201)

    def platform_private_key(self, request: Request) -> Response:
        return json_response({"private_key_pem": _private_pem(self.platform_key),
                              "public_key_pem": _public_pem(self.platform_key)})

    def statement_lines(self, day: dt.date) -> list[tuple[Trade, str, int, dict | None]]:
        """(trade, kind, amount_fen, refund) for the day's payments and refunds."""
        lines = []
        with self._lock:
            for trade in self.trades.values():
                if trade.paid_at and trade.paid_at.astimezone(BEIJING).date() == day and trade.state in (
                        "SUCCESS", "REFUND"):
                    lines.append((trade, "payment", trade.amount_fen, None))
                for refund in trade.refunds.values():
                    if refund["at"].astimezone(BEIJING).date() == day:
                        lines.append((trade, "refund", refund["refund_fen"], refund))
        return lines


# ======================================================================================
# WeChat Pay API v3
# ======================================================================================

class WechatPaySimulator(_Gateway):
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
                          "refund_id": "50" + secrets.token_hex(14).upper(), "at": _beijing_now(),
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
        envelope = {"id": event_id, "create_time": _beijing_now().isoformat(), "resource_type": "encrypt-resource",
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

class AlipaySimulator(_Gateway):
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
        return _beijing_now().strftime("%Y%m%d") + "22001" + "".join(str(secrets.randbelow(10)) for _ in range(19))

    def _acknowledged(self, response: requests.Response) -> bool:
        return response.status_code == 200 and response.text == "success"

    def public_key(self, request: Request) -> Response:
        return json_response({"alipay_public_key": _public_pem(self.platform_key)})

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
                          "at": _beijing_now(), "notify_url": params.get("notify_url") or trade.notify_url}
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
        now = _beijing_now().strftime("%Y-%m-%d %H:%M:%S")
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
