"""A paid top-up is also texted, with the registered payment-notice template, in China time."""

from __future__ import annotations

import re
from datetime import datetime, timedelta, timezone

import requests

from nanhaitong.sms_templates import render
from tests.support.payments import CARD, bind, created, pay, sandbox, wait_for


def test_a_fulfilled_topup_is_texted_with_the_time_in_china(app, payer):
    card = bind(payer, number=CARD)
    new = created(payer, card["id"], amount_fen=5000, channel="wechat")
    before = datetime.now(timezone.utc)
    pay(app, "wechat", new["out_trade_no"])

    def notice():
        answer = requests.get(f"{sandbox(app)}/sms/messages", params={"phone": payer.phone}, timeout=5)
        return next((m for m in answer.json()["messages"] if m["template"] == "payment_notice"), None)

    message = wait_for(notice)
    assert message["params"]["yuan"] == "50.00" and message["params"]["what"] == "公交卡充值"
    assert message["text"] == render("payment_notice", message["params"])
    shown = re.fullmatch(r"(\d{4})年(\d{1,2})月(\d{1,2})日 (\d{2}):(\d{2})", message["params"]["time"])
    assert shown, message["params"]["time"]
    moment = datetime(*map(int, shown.groups()), tzinfo=timezone(timedelta(hours=8)))
    assert before - timedelta(minutes=1) <= moment <= datetime.now(timezone.utc) + timedelta(minutes=1)
    assert message["text"].startswith("【南海通】您的公交卡充值50.00元已于")
