"""Cancel before payment, expiry of unpaid orders (lazily on read, and by the job), the state table."""

from __future__ import annotations

import requests

from nanhaitong.payments import states
from tests.support.errors import assert_error
from tests.support.payments import CARD, GAS, ORDERS, bind, created, order, pay, sandbox


def test_a_new_order_answers_what_reading_it_answers(app, payer):
    """The create answer's history is built without reading it back: it must be the same."""
    bill = GAS.bills[0]
    for kind, number, extra in (("bus_card", CARD, {"amount_fen": 1000}),
                                ("gas", GAS.account_no, {"kind": "gas_bill", "bill_id": bill.bill_id,
                                                         "amount_fen": bill.amount_fen})):
        account = bind(payer, kind=kind, number=number)
        new = created(payer, account["id"], channel="wechat", **extra)
        assert new["status"] == "awaiting_payment" and len(new["status_history"]) == 1
        assert new == order(payer, new["id"])


def test_cancel_before_payment_closes_at_the_gateway(app, payer):
    card = bind(payer, number=CARD)
    new = created(payer, card["id"], amount_fen=1000, channel="wechat")
    answer = payer.post(f"{ORDERS}/{new['id']}/cancel")
    assert answer.status_code == 200 and answer.get_json()["status"] == "cancelled"
    late = requests.post(f"{sandbox(app)}/wechat/orders/{new['out_trade_no']}/pay", json={}, timeout=10)
    assert late.status_code == 409  # the gateway closed it: it cannot be paid any more
    assert_error(payer.post(f"{ORDERS}/{new['id']}/cancel"), 409, "order_not_cancellable")


def test_a_paid_order_cannot_be_cancelled(app, payer):
    card = bind(payer, number=CARD)
    new = created(payer, card["id"], amount_fen=1000, channel="alipay")
    pay(app, "alipay", new["out_trade_no"])
    assert_error(payer.post(f"{ORDERS}/{new['id']}/cancel"), 409, "order_not_cancellable")


def test_a_cancelled_gas_order_frees_its_bill(app, payer):
    account = bind(payer, kind="gas", number=GAS.account_no)
    bill = GAS.bills[0]
    first = created(payer, account["id"], kind="gas_bill", amount_fen=bill.amount_fen, bill_id=bill.bill_id)
    assert payer.post(f"{ORDERS}/{first['id']}/cancel").status_code == 200
    second = created(payer, account["id"], kind="gas_bill", amount_fen=bill.amount_fen, bill_id=bill.bill_id)
    assert second["status"] == "awaiting_payment"


def test_the_state_table_never_goes_backwards():
    rank = {status: index for index, status in enumerate(
        ["awaiting_payment", "cancelled", "expired", "paid", "fulfilment_failed", "refunding", "fulfilled",
         "refunded"])}
    for current, onward in states.TRANSITIONS.items():
        for target in onward:
            assert rank[target] > rank[current], (current, target)
    assert states.FINAL == {"fulfilled", "refunded"}
    assert not states.allowed("fulfilled", "paid") and not states.allowed("refunded", "refunding")
    assert not states.allowed("paid", "awaiting_payment")


def test_orders_list_pages_newest_first_and_filters(app, payer):
    card = bind(payer, number=CARD)
    made = [created(payer, card["id"], amount_fen=1000 + i)["id"] for i in range(3)]
    first = payer.get(f"{ORDERS}?limit=2").get_json()
    assert [o["id"] for o in first["items"]] == made[::-1][:2] and first["next_cursor"]
    second = payer.get(f"{ORDERS}?limit=2&cursor={first['next_cursor']}").get_json()
    assert [o["id"] for o in second["items"]] == [made[0]] and second["next_cursor"] is None
    assert payer.post(f"{ORDERS}/{made[1]}/cancel").status_code == 200
    cancelled = payer.get(f"{ORDERS}?status=cancelled").get_json()["items"]
    assert [o["id"] for o in cancelled] == [made[1]]
    assert_error(payer.get(f"{ORDERS}?status=lost"), 422)
    assert_error(payer.get(f"{ORDERS}?cursor=not-an-id"), 422)
