"""Alipay open platform (支付宝开放平台) client, RSA2 keys mode.

Protocol, as the open API documents it:

* A call is a form POST to the gateway with the public parameters ``app_id, method,
  format=JSON, charset=utf-8, sign_type=RSA2, timestamp ("yyyy-MM-dd HH:mm:ss", Beijing
  time), version=1.0`` (+ ``notify_url``) and ``biz_content`` (JSON), and ``sign``:
  base64 SHA256withRSA by the app private key over every other non-empty parameter
  except ``sign``, sorted by name and joined as ``k=v&k=v`` (raw values, not URL-encoded).
* The answer is ``{"<method with _ for .>_response": {...}, "sign": "..."}``; the sign is
  over the response object's JSON text exactly as it appears in the answer, verified
  with the Alipay public key.
* The async notify is a form POST signed the same way as a request, except that both
  ``sign`` and ``sign_type`` are left out of the signed string; the merchant answers the
  bare string ``success`` once handled, anything else makes Alipay redeliver.
* The app starts payment (``alipay.trade.app.pay``) with a signed order string built
  locally; ``alipay.trade.precreate`` registers the same order at the gateway (and gives
  a QR code for paying from another device).

Amounts on this API are yuan strings with two decimals ("12.34"); we convert to and from
integer fen exactly, with no float in between.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any, Mapping
from urllib.parse import quote_plus, urlencode

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from integrations import rsa_sha256
from integrations.china_time import CHINA_STANDARD_TIME
from integrations.errors import NonRetryableError, RetryableError, UpstreamRejectedError, UpstreamTimeoutError
from integrations.http import HttpClient, TimeoutSpec
from integrations.http_outcomes import TIMED_OUT, transport_failure
from integrations.rsa_sha256 import sign as rsa2_sign  # noqa: F401  (the protocol's name)
from integrations.rsa_sha256 import verify as rsa2_verify  # noqa: F401

UPSTREAM = "alipay"
BEIJING = CHINA_STANDARD_TIME
_YUAN = re.compile(r"^(0|[1-9]\d{0,9})\.\d{2}$")


class NotificationRejected(Exception):
    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- money ------------------------------------------------------------------------------

def fen_to_yuan(fen: int) -> str:
    if not isinstance(fen, int) or isinstance(fen, bool) or fen < 0:
        raise ValueError("fen must be a non-negative integer")
    return f"{fen // 100}.{fen % 100:02d}"


def yuan_to_fen(text: str) -> int:
    """``"12.34"`` -> 1234; anything else than exactly two decimals is refused."""
    if not isinstance(text, str) or not _YUAN.match(text.strip()):
        raise ValueError("not a yuan amount with two decimals")
    try:
        return int(Decimal(text.strip()) * 100)
    except InvalidOperation:
        raise ValueError("not a yuan amount") from None


# -- signing (also used by the sandbox, which plays the gateway) -----------------------

def signing_string(params: Mapping[str, Any], *, exclude: tuple[str, ...] = ("sign",)) -> str:
    return "&".join(f"{key}={params[key]}" for key in sorted(params)
                    if key not in exclude and params[key] not in (None, ""))


def load_public_key(text: str) -> rsa.RSAPublicKey:
    """A PEM public key, or the bare base64 one the Alipay console shows."""
    text = text.strip()
    if not text.startswith("-----BEGIN"):
        text = "-----BEGIN PUBLIC KEY-----\n" + text + "\n-----END PUBLIC KEY-----\n"
    key = serialization.load_pem_public_key(text.encode())
    if not isinstance(key, rsa.RSAPublicKey) or key.key_size < 2048:
        raise ValueError("an RSA public key of at least 2048 bits is required")
    return key


load_private_key = rsa_sha256.load_private_key


def beijing_timestamp(moment: datetime | None = None) -> str:
    return (moment or datetime.now(timezone.utc)).astimezone(BEIJING).strftime("%Y-%m-%d %H:%M:%S")


def response_node(text: str, node: str) -> tuple[dict[str, Any], str, str | None]:
    """The response object, its exact JSON text (what the sign covers) and the sign."""
    key = f'"{node}"'
    start = text.find(key)
    if start < 0:
        raise ValueError("no response node")
    colon = text.index(":", start + len(key))
    begin = colon + 1
    while text[begin] in " \t\r\n":
        begin += 1
    value, end = json.JSONDecoder().raw_decode(text, begin)
    whole = json.loads(text)
    return value, text[begin:end], whole.get("sign")


@dataclass(frozen=True)
class Notify:
    params: dict[str, str]

    @property
    def notify_id(self) -> str:
        return self.params.get("notify_id", "")


class AlipayClient(HttpClient):
    def __init__(self, gateway_url: str, *, app_id: str, app_private_key_pem: str,
                 alipay_public_key: str | None, timeout: TimeoutSpec, **kw: Any) -> None:
        # gateway_url is the full gateway endpoint, e.g. https://openapi.alipay.com/gateway.do
        base, _, self._gateway_path = gateway_url.rstrip("/").rpartition("/")
        super().__init__(base, upstream=UPSTREAM, timeout=timeout, **kw)
        self.app_id = app_id
        self._key = load_private_key(app_private_key_pem)
        self._alipay_key = load_public_key(alipay_public_key) if alipay_public_key else None

    @property
    def alipay_public_key(self) -> rsa.RSAPublicKey:
        if self._alipay_key is None:
            # Only against the sandbox: its key is made afresh at each start and served
            # beside the gateway. Production configures (pins) the key.
            answer = self.request("GET", "/alipay-public-key")  # beside the gateway
            self._alipay_key = load_public_key(str(answer.get("alipay_public_key", "")))
        return self._alipay_key

    def _common(self, method: str, biz: dict[str, Any], notify_url: str | None) -> dict[str, str]:
        params = {"app_id": self.app_id, "method": method, "format": "JSON", "charset": "utf-8",
                  "sign_type": "RSA2", "timestamp": beijing_timestamp(), "version": "1.0",
                  "biz_content": json.dumps(biz, ensure_ascii=False, separators=(",", ":"))}
        if notify_url:
            params["notify_url"] = notify_url
        params["sign"] = rsa2_sign(self._key, signing_string(params))
        return params

    def call(self, method: str, biz: dict[str, Any], *, notify_url: str | None = None) -> dict[str, Any]:
        params = self._common(method, biz, notify_url)
        where = f"{self.upstream}: {method}"
        self._refuse_if_open(where)
        try:
            response = self._post_form(params, where)
        except RetryableError as failure:
            self._record(failure)
            raise
        if response.status_code >= 500:
            failure = RetryableError(self.upstream, f"{where} answered {response.status_code}",
                                     status=response.status_code)
            self._record(failure)
            raise failure
        self._record(None)
        if response.status_code != 200:
            raise NonRetryableError(self.upstream, f"{where} answered {response.status_code}",
                                    status=response.status_code)
        node = method.replace(".", "_") + "_response"
        try:
            value, raw, sign = response_node(response.text, node)
        except (ValueError, IndexError):
            raise NonRetryableError(self.upstream, f"{where} answered something else than its response") from None
        if value.get("code") != "10000":
            # Errors may come unsigned (bad app_id...): refuse without trusting the content more.
            raise UpstreamRejectedError(self.upstream, f"{where}: rejected", status=200,
                                        upstream_code=str(value.get("sub_code") or value.get("code") or "unknown"))
        if not sign or not rsa2_verify(self.alipay_public_key, raw, sign):
            raise NonRetryableError(self.upstream, f"{where} answered with a bad signature")
        return value

    def _post_form(self, params: dict[str, str], where: str) -> requests.Response:
        try:
            return self.transmit("POST", f"{self.base_url}/{self._gateway_path}", data=urlencode(params).encode(),
                                 headers={"Content-Type": "application/x-www-form-urlencoded;charset=utf-8"})
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            failure = transport_failure(exc)
            error = UpstreamTimeoutError if failure == TIMED_OUT else RetryableError
            raise error(self.upstream, f"{where} {failure}") from None
        except requests.RequestException as exc:
            raise NonRetryableError(self.upstream, f"{where} could not be sent: {type(exc).__name__}") from None

    # -- the API -------------------------------------------------------------------------

    def create_order(self, *, out_trade_no: str, subject: str, total_fen: int, notify_url: str,
                     time_expire: datetime) -> dict[str, str]:
        """Register the order (precreate) and build the app's signed order string."""
        biz = {"out_trade_no": out_trade_no, "total_amount": fen_to_yuan(total_fen), "subject": subject,
               "time_expire": beijing_timestamp(time_expire), "product_code": "QUICK_MSECURITY_PAY"}
        answer = self.call("alipay.trade.precreate", biz, notify_url=notify_url)
        params = self._common("alipay.trade.app.pay", biz, notify_url)
        order_string = "&".join(f"{key}={quote_plus(value)}" for key, value in sorted(params.items()))
        return {"order_string": order_string, "qr_code": str(answer.get("qr_code", ""))}

    def close_order(self, out_trade_no: str) -> None:
        self.call("alipay.trade.close", {"out_trade_no": out_trade_no})

    def refund(self, *, out_trade_no: str, out_request_no: str, refund_fen: int, reason: str,
               notify_url: str) -> dict[str, Any]:
        return self.call("alipay.trade.refund", {"out_trade_no": out_trade_no, "out_request_no": out_request_no,
                                                 "refund_amount": fen_to_yuan(refund_fen),
                                                 "refund_reason": reason}, notify_url=notify_url)

    def statement(self, bill_date: str) -> str:
        """The day's trade statement (账单下载地址查询 then download), as CSV text."""
        answer = self.call("alipay.data.dataservice.bill.downloadurl.query",
                           {"bill_type": "trade", "bill_date": bill_date})
        url = str(answer.get("bill_download_url", ""))
        if not url.startswith(self.base_url + "/"):
            raise NonRetryableError(self.upstream, "statement url is not on the gateway")
        where = f"{self.upstream}: GET statement"
        try:
            response = self._session.get(url, timeout=self.timeout, allow_redirects=False)
        except requests.RequestException:
            raise RetryableError(self.upstream, f"{where} failed") from None
        if response.status_code != 200:
            raise RetryableError(self.upstream, f"{where} answered {response.status_code}",
                                 status=response.status_code)
        return response.content.decode("utf-8")

    # -- notify ------------------------------------------------------------------------

    def verify_notify(self, params: Mapping[str, str]) -> Notify:
        """Authenticate an async notify, or raise NotificationRejected."""
        params = {str(k): str(v) for k, v in params.items()}
        sign = params.get("sign", "")
        if not sign or params.get("sign_type", "RSA2") != "RSA2":
            raise NotificationRejected("missing_signature")
        if not rsa2_verify(self.alipay_public_key, signing_string(params, exclude=("sign", "sign_type")), sign):
            raise NotificationRejected("bad_signature")
        return Notify(params)
