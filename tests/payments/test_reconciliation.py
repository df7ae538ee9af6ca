"""`flask payments reconcile --date`: the gateway's statement against our orders."""

from __future__ import annotations

import requests

from nanhaitong.timeutil import china_today
from tests.support.audit import audit_rows, details
from tests.support.payments import CARD, bind, created, order, pay, sandbox


def _today() -> str:
    return china_today().isoformat()


def _plant(app, channel: str, **line) -> None:
    answer = requests.post(f"{sandbox(app)}/{channel}/_control/trades", json={"date": _today(), **line}, timeout=10)
    assert answer.status_code == 201, answer.text


def test_a_clean_day_has_no_mismatch(app, payer, runner):
    card = bind(payer, number=CARD)
    for channel in ("wechat", "alipay"):
        new = created(payer, card["id"], amount_fen=1200, channel=channel)
        pay(app, channel, new["out_trade_no"])
        assert order(payer, new["id"])["status"] == "fulfilled"
    result = runner.invoke(args=["payments", "reconcile", "--date", _today()])
    assert result.exit_code == 0, result.output
    assert "0 mismatch(es)" in result.output


def test_planted_mismatches_are_reported_and_the_exit_status_says_so(app, payer, runner):
    card = bind(payer, number=CARD)
    paid = created(payer, card["id"], amount_fen=1200, channel="wechat")
    pay(app, "wechat", paid["out_trade_no"])
    differs = created(payer, card["id"], amount_fen=1300, channel="wechat")
    pay(app, "wechat", differs["out_trade_no"])
    unpaid = created(payer, card["id"], amount_fen=1400, channel="wechat")  # never paid here

    _plant(app, "wechat", out_trade_no="NHTFOREIGN000000000001", amount_fen=999)  # paid there, unknown here
    _plant(app, "wechat", out_trade_no=unpaid["out_trade_no"], amount_fen=1400)  # paid there, unpaid here
    _plant(app, "wechat", out_trade_no=differs["out_trade_no"], amount_fen=1301)  # amount differs
    _plant(app, "wechat", out_trade_no=paid["out_trade_no"], amount_fen=1200, state="REFUND")  # refunded there only

    result = runner.invoke(args=["payments", "reconcile", "--date", _today(), "--channel", "wechat"])
    assert result.exit_code == 1, result.output
    lines = [line for line in result.output.splitlines() if line.startswith("MISMATCH")]
    found = {(line.split()[1], line.split("out_trade_no=")[1].split()[0]) for line in lines}
    assert found == {
        ("paid_there_not_here", "NHTFOREIGN000000000001"),
        ("paid_there_not_here", unpaid["out_trade_no"]),
        ("amount_differs", differs["out_trade_no"]),
        ("refunded_there_only", paid["out_trade_no"]),
    }, result.output
    [event] = audit_rows(app, "payment.reconciled")
    assert event.result == "failure" and details(event)["mismatches"] == 4

    # our side paid, the statement silent: also reported
    _plant(app, "alipay", out_trade_no="NHTFOREIGN000000000002", amount_fen=500)
    result = runner.invoke(args=["payments", "reconcile", "--date", _today(), "--channel", "alipay"])
    assert result.exit_code == 1 and "paid_there_not_here" in result.output


def test_a_bad_date_is_refused(runner):
    result = runner.invoke(args=["payments", "reconcile", "--date", "2026-13-01"])
    assert result.exit_code == 2
