"""GET /sandbox/demo lists the demo bus cards (numbers keeping the check rule) and gas accounts."""

from __future__ import annotations

import requests

from integrations.lingnan_pass import luhn_check_digit, valid_card_number
from tests.support.payments import sandbox


def test_the_check_rule_is_luhn():
    assert luhn_check_digit("7992739871") == "3"  # the textbook example
    assert valid_card_number("3104057100012342") and not valid_card_number("3104057100012343")
    assert not valid_card_number("310405710001234") and not valid_card_number("310405710001234a")


def test_demo_lists_bus_cards_and_gas_accounts_with_unpaid_bills(app):
    demo = requests.get(f"{sandbox(app)}/demo", timeout=10).json()
    assert demo["bus_cards"] and all(valid_card_number(card["card_no"]) for card in demo["bus_cards"])
    assert all(type(card["balance_fen"]) is int for card in demo["bus_cards"])
    with_bills = [account for account in demo["gas_accounts"] if account["bills"]]
    assert with_bills
    for account in with_bills:
        for bill in account["bills"]:
            assert set(bill) == {"bill_id", "period", "amount_fen", "due_date"} and type(bill["amount_fen"]) is int
    assert demo["wechatpay"]["merchant"] == app.config["WECHATPAY_MCHID"]
    assert demo["alipay"]["app_id"] == app.config["ALIPAY_APP_ID"]
