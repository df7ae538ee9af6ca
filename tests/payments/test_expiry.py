"""Unpaid orders expire: lazily on read, and by the job (`flask payments expire`)."""

from __future__ import annotations

import time

import pytest
import requests

from tests.support.payments import CARD, ORDERS, bind, created, order, sandbox


@pytest.fixture
def app(make_app):
    from tests.support.settings import APP_SETTINGS

    return make_app(**APP_SETTINGS, PAYMENTS_ORDER_TTL_SECONDS=2)


def test_unpaid_orders_expire_on_read_and_by_the_job(app, payer, runner):
    card = bind(payer, number=CARD)
    read_later = created(payer, card["id"], amount_fen=1000, channel="wechat")
    by_job = created(payer, card["id"], amount_fen=1100, channel="alipay")
    assert read_later["expires_at"].endswith("Z")
    time.sleep(2.5)
    result = runner.invoke(args=["payments", "expire"])
    assert result.exit_code == 0 and "expired 2 order(s)" in result.output
    assert order(payer, by_job["id"])["status"] == "expired"
    late = requests.post(f"{sandbox(app)}/alipay/orders/{by_job['out_trade_no']}/pay", json={}, timeout=10)
    assert late.status_code == 409  # the gateway had the same time_expire


def test_lazy_expiry_on_read(app, payer):
    card = bind(payer, number=CARD)
    new = created(payer, card["id"], amount_fen=1000, channel="wechat")
    time.sleep(2.5)
    seen = order(payer, new["id"])
    assert seen["status"] == "expired" and seen["payment"] is None
    assert seen["status_history"][-1]["cause"] == "unpaid_in_time"
    listed = payer.get(ORDERS).get_json()["items"]
    assert [o["status"] for o in listed] == ["expired"]
