"""What both gateway simulators share: trades, callbacks and their redelivery."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import threading
import time
from dataclasses import dataclass, field
from typing import Any, Callable

import requests
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from werkzeug.wrappers import Request, Response

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
def platform_key(channel: str) -> rsa.RSAPrivateKey:
    """A gateway's platform key, made once per process: 2048-bit RSA takes a tenth of a
    second, and every test builds a sandbox."""
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def private_pem(key: rsa.RSAPrivateKey) -> str:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                             serialization.NoEncryption()).decode()


def public_pem(key: rsa.RSAPrivateKey) -> str:
    return key.public_key().public_bytes(serialization.Encoding.PEM,
                                         serialization.PublicFormat.SubjectPublicKeyInfo).decode()


def beijing_now() -> dt.datetime:
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


class Deliverer:
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


class Gateway(Simulator):
    """What both gateways share: trades in memory, callbacks, statement lines."""

    channel: str

    def __init__(self, *, api_key: str | None) -> None:
        super().__init__(api_key=api_key)
        self._lock = threading.Lock()
        self.platform_key = platform_key(self.channel)
        self.trades: dict[str, Trade] = {}
        self.deliverer = Deliverer(self._acknowledged)

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
                trade.state, trade.paid_at = "SUCCESS", beijing_now()
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
            day = dt.date.fromisoformat(str(body.get("date", beijing_now().date().isoformat())))
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
        return json_response({"private_key_pem": private_pem(self.platform_key),
                              "public_key_pem": public_pem(self.platform_key)})

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
