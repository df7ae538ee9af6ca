"""Fulfilment after payment, and the automatic refund when the utility cannot be reached."""

from __future__ import annotations

import pytest
import requests

from tests.support.audit import audit_rows, details
from tests.support.payments import CARD, GAS, bind, created, fault, order, pay, sandbox, wait_for

from .conftest import gas_payments, notifications, topups


def _messages(citizen) -> list[dict]:
    answer = citizen.get("/api/v1/messages?topic=payment")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]


@pytest.mark.parametrize("channel", ["wechat", "alipay"])
def test_a_fulfilment_outage_ends_refunded_and_the_user_is_told(app, payer, channel):
    card = bind(payer, number=CARD)
    new = created(payer, card["id"], amount_fen=2500, channel=channel)
    fault(app, "/lingnan/v1/topups", status=503, times=1000)  # Lingnan Pass is down throughout

    pay(app, channel, new["out_trade_no"])
    wait_for(lambda: order(payer, new["id"])["status"] == "refunded")
    done = order(payer, new["id"])
    assert [h["to_status"] for h in done["status_history"]] == [
        "awaiting_payment", "paid", "fulfilment_failed", "refunding", "refunded"]
    assert [h["cause"] for h in done["status_history"]][2:] == [
        "fulfilment_failed", "automatic_refund", "refund_confirmed"]
    assert done["failure_reason"] == "utility_unavailable" and done["refunded_at"]
    assert topups(app, new["out_trade_no"]) == []  # no top-up without payment, no payment kept without top-up
    # the gateway refunded the full amount, once
    # (the gateway records our acknowledgement when our answer reaches it, just after we commit)
    wait_for(lambda: all(n["acknowledged"] for n in notifications(app, channel, new["out_trade_no"])
                         if n["kind"] == "refund"))
    [refund] = [n for n in notifications(app, channel, new["out_trade_no"]) if n["kind"] == "refund"]
    assert refund["acknowledged"]
    # the user is told: the failure (refund started), then the refund
    titles = [m["title"] for m in _messages(payer)]
    assert sorted(titles) == sorted(["缴费未能完成", "退款成功"])
    assert [row.action for row in audit_rows(app, prefix="payment.") if row.action in (
        "payment.paid", "payment.fulfilment_failed", "payment.refunding", "payment.refund_requested",
        "payment.refunded")] == ["payment.paid", "payment.fulfilment_failed", "payment.refunding",
                                 "payment.refund_requested", "payment.refunded"]


def test_a_brief_outage_is_retried_and_the_top_up_happens_once(app, payer):
    card = bind(payer, number=CARD)
    new = created(payer, card["id"], amount_fen=2500, channel="wechat")
    fault(app, "/lingnan/v1/topups", status=503, times=4)  # the client retries twice per call; then backoff
    pay(app, "wechat", new["out_trade_no"])
    wait_for(lambda: order(payer, new["id"])["status"] == "fulfilled")
    assert len(topups(app, new["out_trade_no"])) == 1
    assert [m["title"] for m in _messages(payer)] == ["缴费成功"]


def test_a_utility_refusal_is_refunded_at_once(app, payer):
    account = bind(payer, kind="gas", number=GAS.account_no)
    bill = GAS.bills[1]
    new = created(payer, account["id"], kind="gas_bill", amount_fen=bill.amount_fen, bill_id=bill.bill_id,
                  channel="wechat")
    # Someone paid the bill at the utility's counter meanwhile: the utility refuses ours.
    answer = requests.post(f"{sandbox(app)}/gas/v1/payments", timeout=10,
                           headers={"X-Api-Key": app.config["GAS_API_KEY"], "Idempotency-Key": "counter-1"},
                           json={"account_no": GAS.account_no, "bill_id": bill.bill_id, "amount_fen": bill.amount_fen,
                                 "order_no": "COUNTER"})
    assert answer.status_code == 201
    pay(app, "wechat", new["out_trade_no"])
    wait_for(lambda: order(payer, new["id"])["status"] == "refunded")
    assert order(payer, new["id"])["failure_reason"] == "bill_already_paid"
    assert gas_payments(app, new["out_trade_no"]) == []
    failed = audit_rows(app, "payment.fulfilment_failed")
    assert details(failed[0])["reason"] == "bill_already_paid"


def test_a_payment_arriving_after_cancellation_is_returned_not_fulfilled(app, payer):
    from .conftest import build_notification, send

    card = bind(payer, number=CARD)
    new = created(payer, card["id"], amount_fen=1800, channel="wechat")
    assert payer.post(f"/api/v1/payment-orders/{new['id']}/cancel").status_code == 200
    # The gateway took the money anyway (planted: its books say SUCCESS), and says so.
    planted = requests.post(f"{sandbox(app)}/wechat/_control/trades", timeout=10,
                            json={"out_trade_no": new["out_trade_no"], "amount_fen": 1800, "state": "SUCCESS"})
    assert planted.status_code == 201
    assert send(app, build_notification(app, "wechat", new["out_trade_no"])).status_code == 204
    wait_for(lambda: order(payer, new["id"])["status"] == "refunded")
    history = order(payer, new["id"])["status_history"]
    assert [(h["to_status"], h["cause"]) for h in history] == [
        ("awaiting_payment", "created"), ("cancelled", "cancelled_by_user"), ("refunding", "late_payment"),
        ("refunded", "refund_confirmed")]
    assert topups(app, new["out_trade_no"]) == []
