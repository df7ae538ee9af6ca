"""Fixtures and plain helpers for the payment tests (issue 8).

Everything goes over HTTP as a client would: citizens through the API, payers and testers
through the sandbox gateways (which call our callback URLs on the live server), utilities'
received top-ups and payments counted through the sandbox.
"""

from __future__ import annotations

import itertools
import time

import pytest
import requests

from integrations.sandbox.demo_data import BUS_CARDS
from tests.support.citizens import Citizen, citizen_at
from tests.support.payments import ACCOUNTS, CARD
from tests.support.settings import APP_SETTINGS

ORDERS = "/api/v1/payment-orders"
LOST_CARD = BUS_CARDS[3].card_no
_keys = itertools.count(1)


@pytest.fixture
def app(make_app, live_server):
    return make_app(**APP_SETTINGS)


@pytest.fixture
def payer(sign_in) -> Citizen:
    return citizen_at(sign_in, level=2)[0]


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


def build_notification(app, channel: str, out_trade_no: str, **overrides) -> dict:
    answer = requests.post(f"{sandbox(app)}/{channel}/_control/notifications", timeout=10,
                           json={"out_trade_no": out_trade_no, **overrides})
    assert answer.status_code == 201, answer.text
    return answer.json()


def notifications(app, channel: str, out_trade_no: str) -> list[dict]:
    answer = requests.get(f"{sandbox(app)}/{channel}/_control/notifications", timeout=10,
                          params={"out_trade_no": out_trade_no})
    return answer.json()["notifications"]


def callback_url(app, channel: str) -> str:
    return f"{app.config['PAYMENTS_NOTIFY_BASE_URL']}/api/v1/payments/callbacks/{channel}"


def send(app, notification: dict) -> requests.Response:
    """Deliver a built notification to our callback URL, as the gateway would."""
    return requests.post(notification["url"] or callback_url(app, notification["channel"]), timeout=30,
                         data=notification["body"].encode(), headers=notification["headers"])


def topups(app, out_trade_no: str | None = None) -> list[dict]:
    params = {"order_no": out_trade_no} if out_trade_no else None
    return requests.get(f"{sandbox(app)}/lingnan/_control/topups", params=params, timeout=10).json()["topups"]


def gas_payments(app, out_trade_no: str | None = None) -> list[dict]:
    params = {"order_no": out_trade_no} if out_trade_no else None
    return requests.get(f"{sandbox(app)}/gas/_control/payments", params=params, timeout=10).json()["payments"]


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


def status_of(citizen: Citizen, order_id: str) -> str:
    return order(citizen, order_id)["status"]
