"""Utility accounts and payment orders: the demo bus card and gas account, orders made and paid
through the API and the sandbox gateways, sandbox faults, waiting for a condition."""

from __future__ import annotations

import itertools
import time

import requests

from integrations.sandbox.demo_data import BUS_CARDS, GAS_ACCOUNTS

from .audit import audit_rows
from .citizens import Citizen

ACCOUNTS = "/api/v1/utility-accounts"
CARD = BUS_CARDS[0].card_no  # active, 12.50 yuan on it
GAS = GAS_ACCOUNTS[0]  # two unpaid bills
ORDERS = "/api/v1/payment-orders"

_keys = itertools.count(1)


def sandbox(app) -> str:
    return app.config["SANDBOX_URL"]


def new_key() -> str:
    return f"test-key-{time.time_ns()}-{next(_keys)}"


def bind(citizen: Citizen, kind: str = "bus_card", number: str = CARD, **extra) -> dict:
    answer = citizen.post(ACCOUNTS, json={"kind": kind, "number": number, **extra})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def create(citizen: Citizen, account_id: str, *, amount_fen: int = 5000, channel: str = "wechat",
           kind: str = "bus_card_topup", key: str | None = None, **extra):
    body = {"kind": kind, "account_id": account_id, "amount_fen": amount_fen, "channel": channel, **extra}
    return citizen.client.post(ORDERS, json=body, headers={**citizen.headers, "Idempotency-Key": key or new_key()})


def created(citizen: Citizen, account_id: str, **kw) -> dict:
    answer = create(citizen, account_id, **kw)
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def order(citizen: Citizen, order_id: str) -> dict:
    answer = citizen.get(f"{ORDERS}/{order_id}")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def pay(app, channel: str, out_trade_no: str, *, deliver: bool = True) -> dict:
    answer = requests.post(f"{sandbox(app)}/{channel}/orders/{out_trade_no}/pay", timeout=30,
                           json={"deliver": deliver})
    assert answer.status_code == 200, answer.text
    return answer.json()


def fault(app, path_prefix: str, status: int = 503, times: int = 100) -> None:
    answer = requests.post(f"{sandbox(app)}/_control/faults", timeout=10,
                           json={"path_prefix": path_prefix, "status": status, "times": times})
    assert answer.status_code == 201, answer.text


def wait_for(check, timeout: float = 15.0, interval: float = 0.1):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError("condition not reached in time")
        time.sleep(interval)


def stuck_in_refunding(app, payer, amount_fen: int) -> dict:
    """An order whose top-up failed and whose automatic refund the gateway refused."""
    card = bind(payer, number=CARD)
    new = created(payer, card["id"], amount_fen=amount_fen, channel="wechat")
    fault(app, "/lingnan/v1/topups", status=503, times=1000)
    fault(app, "/wechat/v3/refund", status=400, times=1)
    pay(app, "wechat", new["out_trade_no"])
    wait_for(lambda: audit_rows(app, "payment.refund_refused"))
    assert order(payer, new["id"])["status"] == "refunding"
    assert requests.delete(f"{sandbox(app)}/_control/faults", timeout=10).status_code in (200, 204)
    return new


def status_of(citizen: Citizen, order_id: str) -> str:
    return order(citizen, order_id)["status"]
