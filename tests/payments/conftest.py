"""Fixtures and plain helpers for the payment tests (issue 8).

Everything goes over HTTP as a client would: citizens through the API, payers and testers
through the sandbox gateways (which call our callback URLs on the live server), utilities'
received top-ups and payments counted through the sandbox.
"""

from __future__ import annotations

import pytest
import requests

from integrations.sandbox.demo_data import BUS_CARDS
from tests.support.citizens import Citizen, citizen_at
from tests.support.payments import sandbox
from tests.support.settings import APP_SETTINGS

LOST_CARD = BUS_CARDS[3].card_no


@pytest.fixture
def app(make_app, live_server):
    return make_app(**APP_SETTINGS)


@pytest.fixture
def payer(sign_in) -> Citizen:
    return citizen_at(sign_in, level=2)[0]


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
