"""The happy paths end to end: bind, order, pay at the gateway, callback, fulfilment."""

from __future__ import annotations

from tests.support.errors import assert_error
from tests.support.payments import CARD, GAS, ORDERS, bind, created, order, pay, wait_for

from .conftest import gas_payments, topups


def test_bus_card_topup_over_wechat(app, payer):
    card = bind(payer, number=CARD, label="我的卡")
    assert card["number"] != CARD and card["number"].startswith(CARD[:4]) and card["number"].endswith(CARD[-4:])
    before = payer.get(f"/api/v1/utility-accounts/{card['id']}/balance").get_json()["balance_fen"]

    new = created(payer, card["id"], amount_fen=5000, channel="wechat")
    assert new["status"] == "awaiting_payment" and new["amount_fen"] == 5000
    params = new["payment"]["wechat_app"]
    assert set(params) == {"appid", "partnerid", "prepayid", "package", "noncestr", "timestamp", "sign"}
    assert params["package"] == "Sign=WXPay" and params["partnerid"] == app.config["WECHATPAY_MCHID"]

    paid = pay(app, "wechat", new["out_trade_no"])
    assert paid["notification"]["acknowledged"] is True
    done = order(payer, new["id"])
    assert done["status"] == "fulfilled", done
    assert [h["to_status"] for h in done["status_history"]] == ["awaiting_payment", "paid", "fulfilled"]
    assert done["payment"] is None
    [topup] = topups(app, new["out_trade_no"])
    assert topup["amount_fen"] == 5000
    after = payer.get(f"/api/v1/utility-accounts/{card['id']}/balance").get_json()["balance_fen"]
    assert after == before + 5000


def test_gas_bill_over_alipay_paid_in_full_and_once(app, payer):
    account = bind(payer, kind="gas", number=GAS.account_no)
    bills = payer.get(f"/api/v1/utility-accounts/{account['id']}/bills").get_json()["items"]
    assert [b["bill_id"] for b in bills] == [b.bill_id for b in GAS.bills]
    bill = bills[0]

    partial = payer.client.post(ORDERS, headers={**payer.headers, "Idempotency-Key": "partial-1"}, json={
        "kind": "gas_bill", "account_id": account["id"], "amount_fen": bill["amount_fen"] - 1, "channel": "alipay",
        "bill_id": bill["bill_id"]})
    assert_error(partial, 422, "amount_must_equal_bill")

    new = created(payer, account["id"], kind="gas_bill", amount_fen=bill["amount_fen"], channel="alipay",
                  bill_id=bill["bill_id"])
    assert new["bill_period"] == bill["period"]
    assert new["payment"]["alipay_app"]["order_string"].count("sign=") == 1
    # A second order for the same bill while the first lives: refused by the claim's unique key.
    second = payer.client.post(ORDERS, headers={**payer.headers, "Idempotency-Key": "second-1"}, json={
        "kind": "gas_bill", "account_id": account["id"], "amount_fen": bill["amount_fen"], "channel": "wechat",
        "bill_id": bill["bill_id"]})
    assert_error(second, 409, "bill_already_being_paid")

    pay(app, "alipay", new["out_trade_no"])
    assert wait_for(lambda: order(payer, new["id"])["status"] == "fulfilled")
    assert len(gas_payments(app, new["out_trade_no"])) == 1
    left = payer.get(f"/api/v1/utility-accounts/{account['id']}/bills").get_json()["items"]
    assert bill["bill_id"] not in [b["bill_id"] for b in left]
    again = payer.client.post(ORDERS, headers={**payer.headers, "Idempotency-Key": "again-1"}, json={
        "kind": "gas_bill", "account_id": account["id"], "amount_fen": bill["amount_fen"], "channel": "alipay",
        "bill_id": bill["bill_id"]})
    assert_error(again, 409, "bill_not_payable")
