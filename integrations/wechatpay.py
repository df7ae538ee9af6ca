"""WeChat Pay API v3 (微信支付 APIv3) client: what a merchant server does, and nothing more.

Protocol, as the v3 specification has it:

* Every request carries ``Authorization: WECHATPAY2-SHA256-RSA2048 mchid="..",nonce_str="..",
  signature="..",timestamp="..",serial_no=".."``; ``signature`` is base64 SHA256withRSA
  (PKCS#1 v1.5) by the merchant's API private key over
  ``METHOD\\nURL(path+query)\\ntimestamp\\nnonce_str\\nbody\\n``.
* Answers and notifications are signed by the platform: headers ``Wechatpay-Timestamp``,
  ``-Nonce``, ``-Signature``, ``-Serial`` over ``timestamp\\nnonce\\nbody\\n``, verified with
  the platform certificate whose serial is ``Wechatpay-Serial``.
* The platform certificates come from ``GET /v3/certificates``, each encrypted with the
  APIv3 key (AEAD_AES_256_GCM, ``nonce`` and ``associated_data`` given beside it); the
  notification ``resource`` is encrypted the same way.
* The app starts payment (APP 下单) with ``appid, partnerid, prepayid, package="Sign=WXPay",
  noncestr, timestamp, sign`` where ``sign`` is SHA256withRSA over
  ``appid\\ntimestamp\\nnoncestr\\nprepayid\\n``.

Amounts are integer fen (``amount.total``), as the v3 API itself counts them.
"""

from __future__ import annotations

import base64
import json
import secrets
import threading
import time
from dataclasses import dataclass
from typing import Any, Mapping
from urllib.parse import urlencode

import requests
from cryptography import x509
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from integrations import rsa_sha256
from integrations.errors import NonRetryableError, RetryableError, UpstreamTimeoutError
from integrations.http import HttpClient, TimeoutSpec
from integrations.http_outcomes import TIMED_OUT, transport_failure
from integrations.rsa_sha256 import sign as rsa_sign  # noqa: F401  (the protocol's name)
from integrations.rsa_sha256 import verify as rsa_verify  # noqa: F401

UPSTREAM = "wechatpay"
SCHEMA = "WECHATPAY2-SHA256-RSA2048"
TIMESTAMP_TOLERANCE_SECONDS = 300  # the spec's five minutes
CERTIFICATE_REFRESH_SECONDS = 60  # at most one platform-certificate fetch per minute
MAX_UNKNOWN_SERIALS = 10_000


class NotificationRejected(Exception):
    """A notification that must not be acted on; ``reason`` says why (no personal data)."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


# -- primitives (also used by the sandbox, which plays the platform) -------------------

def nonce(length: int = 32) -> str:
    return secrets.token_hex(length // 2).upper()


def request_message(method: str, url: str, timestamp: str, nonce_str: str, body: str) -> str:
    return f"{method}\n{url}\n{timestamp}\n{nonce_str}\n{body}\n"


def response_message(timestamp: str, nonce_str: str, body: str) -> str:
    return f"{timestamp}\n{nonce_str}\n{body}\n"


def authorization(mchid: str, serial_no: str, private_key: rsa.RSAPrivateKey, method: str, url: str,
                  body: str, *, timestamp: str | None = None, nonce_str: str | None = None) -> str:
    timestamp = timestamp or str(int(time.time()))
    nonce_str = nonce_str or nonce()
    signature = rsa_sign(private_key, request_message(method, url, timestamp, nonce_str, body))
    return (f'{SCHEMA} mchid="{mchid}",nonce_str="{nonce_str}",signature="{signature}",'
            f'timestamp="{timestamp}",serial_no="{serial_no}"')


def parse_authorization(header: str) -> dict[str, str]:
    """The fields of a ``WECHATPAY2-SHA256-RSA2048 k="v",...`` header ({} when malformed)."""
    scheme, _, rest = header.partition(" ")
    if scheme != SCHEMA:
        return {}
    fields = {}
    for part in rest.split(","):
        name, sep, value = part.strip().partition("=")
        if not sep or len(value) < 2 or value[0] != '"' or value[-1] != '"':
            return {}
        fields[name] = value[1:-1]
    return fields


def aead_encrypt(apiv3_key: bytes, plaintext: str, associated_data: str) -> dict[str, str]:
    iv = nonce(12)
    ciphertext = AESGCM(apiv3_key).encrypt(iv.encode(), plaintext.encode(), associated_data.encode())
    return {"algorithm": "AEAD_AES_256_GCM", "nonce": iv, "associated_data": associated_data,
            "ciphertext": base64.b64encode(ciphertext).decode()}


def aead_decrypt(apiv3_key: bytes, resource: Mapping[str, Any]) -> str:
    if resource.get("algorithm") != "AEAD_AES_256_GCM":
        raise ValueError("unknown algorithm")
    iv, data = str(resource.get("nonce", "")), str(resource.get("associated_data") or "")
    ciphertext = base64.b64decode(str(resource.get("ciphertext", "")), validate=True)
    return AESGCM(apiv3_key).decrypt(iv.encode(), ciphertext, data.encode()).decode()


def load_private_key(pem: str | bytes) -> rsa.RSAPrivateKey:
    return rsa_sha256.load_private_key(pem.decode() if isinstance(pem, bytes) else pem)


def certificate_serial(cert: x509.Certificate) -> str:
    return format(cert.serial_number, "X")


# -- the client ------------------------------------------------------------------------

@dataclass(frozen=True)
class Notification:
    """A verified, decrypted notification: ``event_type`` and the resource's plaintext."""

    id: str
    event_type: str
    resource: dict[str, Any]


class WechatPayClient(HttpClient):
    def __init__(self, base_url: str, *, mchid: str, appid: str, merchant_serial_no: str,
                 merchant_private_key_pem: str, apiv3_key: str, timeout: TimeoutSpec,
                 platform_certificate_pem: str | None = None, **kw: Any) -> None:
        super().__init__(base_url, upstream=UPSTREAM, timeout=timeout, **kw)
        if len(apiv3_key.encode()) != 32:
            raise ValueError("the APIv3 key is 32 bytes")
        self.mchid, self.appid, self.serial_no = mchid, appid, merchant_serial_no
        self._key = load_private_key(merchant_private_key_pem)
        self._apiv3_key = apiv3_key.encode()
        # serial -> certificate. A pinned certificate (production) is the only one trusted;
        # without one, the certificates are fetched from the platform (authenticated by the
        # APIv3 key they are encrypted with) on first need.
        self._pinned = platform_certificate_pem is not None
        self._certificates: dict[str, x509.Certificate] = {}
        self._refresh_lock = threading.Lock()
        self._last_refresh = float("-inf")
        self._unknown_serials: dict[str, float] = {}  # serial -> until when it is known to be unknown
        self._clock = time.monotonic
        if platform_certificate_pem:
            cert = x509.load_pem_x509_certificate(platform_certificate_pem.encode())
            self._certificates[certificate_serial(cert)] = cert

    # -- signed calls ----------------------------------------------------------------

    def _call(self, method: str, path: str, body: dict | None = None, params: dict | None = None,
              *, idempotent: bool | None = None) -> dict[str, Any]:
        url = path + ("?" + urlencode(params) if params else "")
        text = json.dumps(body, ensure_ascii=False, separators=(",", ":")) if body is not None else ""
        headers = {"Authorization": authorization(self.mchid, self.serial_no, self._key, method, url, text),
                   "Content-Type": "application/json"}
        return self.request_signed(method, url, text, headers, idempotent=idempotent)

    def request_signed(self, method: str, url: str, text: str, headers: dict, *, idempotent: bool | None):
        # The body must go out byte for byte as it was signed, so it is sent as data.
        where = f"{self.upstream}: {method} {url.split('?')[0]}"
        self._refuse_if_open(where)
        try:
            response = self._send_raw(method, url, text, headers, where)
        except RetryableError as failure:
            self._record(failure)
            raise
        if 200 <= response.status_code < 300 and response.content:
            self._verify_answer(response, where)
        try:
            result = self._interpret(response, where)
        except RetryableError as failure:
            self._record(failure)
            raise
        self._record(None)
        return result

    def _send_raw(self, method: str, url: str, text: str, headers: dict, where: str) -> requests.Response:
        try:
            return self.transmit(method, self.base_url + url, data=text.encode() or None,
                                 headers={**self._headers, **headers})
        except (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError) as exc:
            failure = transport_failure(exc)
            error = UpstreamTimeoutError if failure == TIMED_OUT else RetryableError
            raise error(self.upstream, f"{where} {failure}") from None
        except requests.RequestException as exc:
            raise NonRetryableError(self.upstream, f"{where} could not be sent: {type(exc).__name__}") from None

    def _verify_answer(self, response, where: str) -> None:
        """Every 2xx answer with a body is signed by the platform; an unsigned one is not trusted."""
        headers = response.headers
        if "/v3/certificates" in where:
            return  # the list is authenticated by the APIv3 key its entries are sealed with (AEAD)
        if not self._check_signature(headers.get("Wechatpay-Timestamp", ""), headers.get("Wechatpay-Nonce", ""),
                                     response.text, headers.get("Wechatpay-Signature", ""),
                                     headers.get("Wechatpay-Serial", "")):
            raise NonRetryableError(self.upstream, f"{where} answered with a bad platform signature",
                                    status=response.status_code)

    # -- platform certificates -------------------------------------------------------

    def _platform_certificate(self, serial: str) -> x509.Certificate | None:
        """The platform certificate with this serial, fetching the list when it is new.

        Anyone can send a callback with any ``Wechatpay-Serial``: an unknown serial must not
        drive calls upstream (each one did, and a flood opened the breaker for real orders).
        So the list is fetched at most once per ``CERTIFICATE_REFRESH_SECONDS``, by one
        thread at a time (the others wait and read its result), and a serial still unknown
        after a fetch is remembered as unknown until the next fetch may happen.
        """
        cert = self._certificates.get(serial)
        if cert is not None or self._pinned:
            return cert
        if self._unknown_serials.get(serial, 0.0) > self._clock():
            return None
        with self._refresh_lock:
            cert = self._certificates.get(serial)
            if cert is not None:
                return cert
            now = self._clock()
            if now - self._last_refresh >= CERTIFICATE_REFRESH_SECONDS:
                self._last_refresh = now  # a failed fetch waits its turn too
                self.refresh_certificates()
                cert = self._certificates.get(serial)
            if cert is None:
                if len(self._unknown_serials) >= MAX_UNKNOWN_SERIALS:
                    self._unknown_serials.clear()
                self._unknown_serials[serial] = self._last_refresh + CERTIFICATE_REFRESH_SECONDS
            return cert

    def refresh_certificates(self) -> None:
        answer = self._call("GET", "/v3/certificates")
        for entry in answer.get("data", []):
            try:
                pem = aead_decrypt(self._apiv3_key, entry["encrypt_certificate"])
                cert = x509.load_pem_x509_certificate(pem.encode())
            except (KeyError, ValueError, InvalidTag):
                raise NonRetryableError(self.upstream, "a platform certificate did not decrypt") from None
            self._certificates[certificate_serial(cert)] = cert

    def platform_certificate_pems(self) -> list[str]:
        if not self._certificates:
            self.refresh_certificates()
        return [cert.public_bytes(serialization.Encoding.PEM).decode() for cert in self._certificates.values()]

    def _check_signature(self, timestamp: str, nonce_str: str, body: str, signature: str, serial: str) -> bool:
        cert = self._platform_certificate(serial) if serial else None
        if cert is None:
            return False
        return rsa_verify(cert.public_key(), response_message(timestamp, nonce_str, body), signature)

    # -- notifications ---------------------------------------------------------------

    def verify_notification(self, headers: Mapping[str, str], body: str, *, now: float | None = None) -> Notification:
        """Authenticate and decrypt a payment or refund notification, or raise NotificationRejected."""
        timestamp = headers.get("Wechatpay-Timestamp", "")
        nonce_str = headers.get("Wechatpay-Nonce", "")
        signature = headers.get("Wechatpay-Signature", "")
        serial = headers.get("Wechatpay-Serial", "")
        if not (timestamp.isdigit() and nonce_str and signature and serial):
            raise NotificationRejected("missing_signature_headers")
        if abs((now or time.time()) - int(timestamp)) > TIMESTAMP_TOLERANCE_SECONDS:
            raise NotificationRejected("stale_timestamp")
        if not self._check_signature(timestamp, nonce_str, body, signature, serial):
            raise NotificationRejected("bad_signature")
        try:
            envelope = json.loads(body)
            plaintext = aead_decrypt(self._apiv3_key, envelope["resource"])
            resource = json.loads(plaintext)
        except (ValueError, KeyError, TypeError, InvalidTag):
            raise NotificationRejected("undecryptable_resource") from None
        if not isinstance(resource, dict):
            raise NotificationRejected("undecryptable_resource")
        return Notification(id=str(envelope.get("id", "")), event_type=str(envelope.get("event_type", "")),
                            resource=resource)

    # -- the merchant API ------------------------------------------------------------

    def create_app_order(self, *, out_trade_no: str, description: str, total_fen: int, notify_url: str,
                         time_expire: str) -> dict[str, str]:
        """APP 下单; returns the parameters the app hands to the WeChat SDK (OpenSDK PayReq)."""
        answer = self._call("POST", "/v3/pay/transactions/app", {
            "appid": self.appid, "mchid": self.mchid, "description": description, "out_trade_no": out_trade_no,
            "time_expire": time_expire, "notify_url": notify_url, "amount": {"total": total_fen, "currency": "CNY"},
        }, idempotent=True)  # out_trade_no makes a repeat the same order
        prepay_id = answer.get("prepay_id")
        if not isinstance(prepay_id, str) or not prepay_id:
            raise NonRetryableError(self.upstream, "prepay answered without prepay_id")
        return self.app_payment_parameters(prepay_id)

    def app_payment_parameters(self, prepay_id: str) -> dict[str, str]:
        timestamp, nonce_str = str(int(time.time())), nonce()
        sign = rsa_sign(self._key, f"{self.appid}\n{timestamp}\n{nonce_str}\n{prepay_id}\n")
        return {"appid": self.appid, "partnerid": self.mchid, "prepayid": prepay_id, "package": "Sign=WXPay",
                "noncestr": nonce_str, "timestamp": timestamp, "sign": sign}

    def query_order(self, out_trade_no: str) -> dict[str, Any]:
        return self._call("GET", f"/v3/pay/transactions/out-trade-no/{out_trade_no}", params={"mchid": self.mchid})

    def close_order(self, out_trade_no: str) -> None:
        self._call("POST", f"/v3/pay/transactions/out-trade-no/{out_trade_no}/close", {"mchid": self.mchid},
                   idempotent=True)

    def refund(self, *, out_trade_no: str, out_refund_no: str, refund_fen: int, total_fen: int, reason: str,
               notify_url: str) -> dict[str, Any]:
        return self._call("POST", "/v3/refund/domestic/refunds", {
            "out_trade_no": out_trade_no, "out_refund_no": out_refund_no, "reason": reason, "notify_url": notify_url,
            "amount": {"refund": refund_fen, "total": total_fen, "currency": "CNY"},
        }, idempotent=True)  # out_refund_no makes a repeat the same refund

    def trade_bill(self, bill_date: str) -> str:
        """The day's trade statement (申请交易账单 then download), as text."""
        answer = self._call("GET", "/v3/bill/tradebill", params={"bill_date": bill_date, "bill_type": "ALL"})
        url = answer.get("download_url", "")
        prefix = self.base_url
        if not isinstance(url, str) or not url.startswith(prefix + "/"):
            raise NonRetryableError(self.upstream, "statement download_url is not on the platform")
        return self._call_raw(url[len(prefix):])

    def _call_raw(self, url: str) -> str:
        where = f"{self.upstream}: GET statement"
        headers = {"Authorization": authorization(self.mchid, self.serial_no, self._key, "GET", url, "")}
        response = self._send_raw("GET", url, "", headers, where)
        if response.status_code != 200:
            self._interpret(response, where)
            raise NonRetryableError(self.upstream, f"{where} answered {response.status_code}")
        return response.content.decode("utf-8")
