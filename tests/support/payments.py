"""The utility accounts path and the sandbox's demo bus card and gas account."""

from __future__ import annotations

from integrations.sandbox.demo_data import BUS_CARDS, GAS_ACCOUNTS

ACCOUNTS = "/api/v1/utility-accounts"
CARD = BUS_CARDS[0].card_no  # active, 12.50 yuan on it
GAS = GAS_ACCOUNTS[0]  # two unpaid bills


