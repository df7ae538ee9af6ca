"""Gateway callbacks: exactly once, and nothing at all unless authentic and matching our record."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor
from urllib.parse import parse_qsl, urlencode

import pytest
import requests
from sqlalchemy import func, select

from nanhaitong import db
from nanhaitong.payments.models import PaymentEvent
from tests.support.audit import audit_rows, details
from tests.support.payments import CARD, bind, created, order, pay, status_of

from .conftest import build_notification, send, topups


def _events(app) -> int:
    with app.app_context():
        return db.session().execute(select(func.count()).select_from(PaymentEvent)).scalar_one()


@pytest.mark.parametrize("channel", ["wechat", "alipay"])
def test_a_hundred_concurrent_copies_of_a_valid_callback_fulfil_once(app, payer, channel):
    card = bind(payer, number=CARD)
    new = created(payer, card["id"], amount_fen=2000, channel=channel)
    notification = pay(app, channel, new["out_trade_no"], deliver=False)["notification"]

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(lambda _: send(app, notification), range(100)))
    if channel == "wechat":
        assert {a.status_code for a in answers} == {204}, {(a.status_code, a.text) for a in answers}
    else:
        assert {(a.status_code, a.text) for a in answers} == {(200, "success")}
    done = order(payer, new["id"])
    assert done["status"] == "fulfilled"
    assert [h["to_status"] for h in done["status_history"]] == ["awaiting_payment", "paid", "fulfilled"]
    assert len(topups(app, new["out_trade_no"])) == 1  # the utility received one top-up
    assert _events(app) == 1  # the notification recorded once
    assert len(audit_rows(app, "payment.paid")) == 1 and len(audit_rows(app, "payment.fulfilled")) == 1


def _assert_nothing_happened(app, payer, new):
    assert status_of(payer, new["id"]) == "awaiting_payment"
    assert topups(app, new["out_trade_no"]) == []
    assert _events(app) == 0
    assert audit_rows(app, "payment.paid") == []


def _reasons(app) -> list[str]:
    return [details(row)["reason"] for row in audit_rows(app, "payment.callback_rejected")]


def test_wechat_forged_tampered_foreign_or_stale_callbacks_change_nothing(app, payer):
    card = bind(payer, number=CARD)
    new = created(payer, card["id"], amount_fen=2000, channel="wechat")
    good = pay(app, "wechat", new["out_trade_no"], deliver=False)["notification"]

    forged = {**good, "headers": {**good["headers"], "Wechatpay-Signature": good["headers"]["Wechatpay-Signature"][
        ::-1]}}
    tampered_body = json.loads(good["body"])
    tampered_body["resource"]["ciphertext"] = tampered_body["resource"]["ciphertext"][:-8] + "AAAAAAA="
    tampered = {**good, "body": json.dumps(tampered_body, separators=(",", ":"))}
    cases = {
        "bad_signature": [forged, tampered],
        # signed correctly by the gateway, but not matching our record or our merchant
        "amount_mismatch": [build_notification(app, "wechat", new["out_trade_no"], amount_fen=1)],
        "wrong_merchant": [build_notification(app, "wechat", new["out_trade_no"], mchid="1900000999"),
                           build_notification(app, "wechat", new["out_trade_no"], appid="wx0000000000000000")],
        "stale_timestamp": [build_notification(app, "wechat", new["out_trade_no"],
                                               timestamp=int(time.time()) - 600)],
    }
    for reason, notifications in cases.items():
        for notification in notifications:
            answer = send(app, notification)
            assert 400 <= answer.status_code < 500, (reason, answer.status_code)
            assert answer.json()["code"] == "FAIL" and answer.json()["message"] == reason
    _assert_nothing_happened(app, payer, new)
    assert sorted(set(_reasons(app))) == sorted(cases)

    assert send(app, good).status_code == 204  # and the genuine one still works
    assert status_of(payer, new["id"]) == "fulfilled"


def test_alipay_forged_tampered_or_foreign_notifies_change_nothing(app, payer):
    card = bind(payer, number=CARD)
    new = created(payer, card["id"], amount_fen=2000, channel="alipay")
    good = pay(app, "alipay", new["out_trade_no"], deliver=False)["notification"]
    params = dict(parse_qsl(good["body"]))

    def with_params(**change):
        return {**good, "body": urlencode({**params, **change})}

    cases = [
        with_params(sign=params["sign"][::-1]),  # forged
        with_params(total_amount="0.01", receipt_amount="0.01", buyer_pay_amount="0.01"),  # tampered amount
        build_notification(app, "alipay", new["out_trade_no"], amount_fen=1),  # signed, wrong amount
        build_notification(app, "alipay", new["out_trade_no"], app_id="2021000000009999"),  # signed, not our app
    ]
    for notification in cases:
        answer = send(app, notification)
        assert (answer.status_code, answer.text) == (200, "fail")
    _assert_nothing_happened(app, payer, new)
    assert sorted(set(_reasons(app))) == ["amount_mismatch", "bad_signature", "wrong_merchant"]
    assert send(app, good).text == "success"
    assert status_of(payer, new["id"]) == "fulfilled"


def test_callbacks_for_unknown_orders_or_out_of_order_events_never_move_backwards(app, payer):
    card = bind(payer, number=CARD)
    new = created(payer, card["id"], amount_fen=2000, channel="wechat")
    notification = pay(app, "wechat", new["out_trade_no"])["notification"]
    assert status_of(payer, new["id"]) == "fulfilled"
    # The same payment again, later: acknowledged, nothing moves.
    assert send(app, notification).status_code == 204
    # A refund notice for an order we never refunded does not match our record.
    requests.post(f"{app.config['SANDBOX_URL']}/wechat/_control/trades", timeout=10,
                  json={"out_trade_no": new["out_trade_no"], "amount_fen": 2000, "state": "REFUND"})
    refund = build_notification(app, "wechat", new["out_trade_no"], kind="refund")
    assert send(app, refund).status_code == 400
    done = order(payer, new["id"])
    assert done["status"] == "fulfilled" and len(done["status_history"]) == 3
    assert len(topups(app, new["out_trade_no"])) == 1


def test_a_redelivery_is_answered_as_a_duplicate_without_a_failing_insert(app, payer):
    from sqlalchemy import event

    from nanhaitong.payments import callbacks
    from nanhaitong.payments.channels import ChannelEvent

    card = bind(payer, number=CARD)
    new = created(payer, card["id"], amount_fen=2000, channel="wechat")
    notification = pay(app, "wechat", new["out_trade_no"], deliver=False)["notification"]
    assert send(app, notification).status_code == 204
    assert status_of(payer, new["id"]) == "fulfilled"

    statements: list[str] = []
    engine = app.extensions["nht.engine"]

    def seen(conn, cursor, statement, *args):
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        assert send(app, notification).status_code == 204
        with app.app_context():
            recorded = db.session().execute(select(PaymentEvent)).scalar_one()
            again = ChannelEvent("wechat", "payment", recorded.event_key, new["out_trade_no"], 2000,
                                 trade_no=recorded.event_key.removeprefix("pay:"))
            assert callbacks.handle(again) == "duplicate"
    finally:
        event.remove(engine, "before_cursor_execute", seen)
    assert statements and not [s for s in statements if "INSERT INTO payment_events" in s]
    # Each recognised by one plain read: no transaction, no row lock, no order loaded.
    assert len([s for s in statements if "payment_orders" in s]) == 2
    assert not [s for s in statements if "FOR UPDATE" in s]
    with app.app_context():
        # The same event key with another order's number is no redelivery: the locked path decides.
        forged = ChannelEvent("wechat", "payment", recorded.event_key, "NHT00000000000000NOTOURS", 2000,
                              trade_no=recorded.event_key.removeprefix("pay:"))
        with pytest.raises(callbacks.CallbackRejected):
            callbacks.handle(forged)
    assert _events(app) == 1
    done = order(payer, new["id"])
    assert done["status"] == "fulfilled" and len(done["status_history"]) == 3
