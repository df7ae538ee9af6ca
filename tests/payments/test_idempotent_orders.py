"""POST /api/v1/payment-orders: Idempotency-Key required, Stripe's rules, concurrent duplicates make one order."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import requests
from sqlalchemy import func, select

from nanhaitong import db
from nanhaitong.payments.models import PaymentOrder
from tests.support.errors import assert_error
from tests.support.payments import ORDERS, bind, create, new_key


def _count_orders(app) -> int:
    with app.app_context():
        return db.session().execute(select(func.count()).select_from(PaymentOrder)).scalar_one()


def test_the_key_is_required(app, payer):
    card = bind(payer)
    answer = payer.post(ORDERS, json={"kind": "bus_card_topup", "account_id": card["id"], "amount_fen": 1000,
                                      "channel": "wechat"})
    assert_error(answer, 400, "idempotency_key_required")
    assert _count_orders(app) == 0


def test_same_key_same_body_replays_and_another_body_is_refused(app, payer):
    card = bind(payer)
    key = new_key()
    first = create(payer, card["id"], amount_fen=1000, key=key)
    assert first.status_code == 201
    again = create(payer, card["id"], amount_fen=1000, key=key)
    assert again.status_code == 201 and again.headers.get("Idempotent-Replayed") == "true"
    assert again.get_json() == first.get_json()
    other = create(payer, card["id"], amount_fen=2000, key=key)
    assert_error(other, 422, "idempotency_key_reused")
    assert _count_orders(app) == 1


def test_a_failed_request_keeps_nothing(app, payer):
    card = bind(payer)
    key = new_key()
    assert_error(create(payer, card["id"], amount_fen=10, key=key), 422, "amount_out_of_range")
    assert create(payer, card["id"], amount_fen=1000, key=key).status_code == 201


def test_fifty_concurrent_creates_with_one_key_make_one_order(app, payer):
    card = bind(payer)
    key = new_key()
    url = f"{app.config['PAYMENTS_NOTIFY_BASE_URL']}{ORDERS}"
    body = {"kind": "bus_card_topup", "account_id": card["id"], "amount_fen": 3000, "channel": "alipay"}

    def post(_):
        return requests.post(url, json=body, timeout=60, headers={**payer.headers, "Idempotency-Key": key})

    with ThreadPoolExecutor(max_workers=50) as pool:
        answers = list(pool.map(post, range(50)))
    statuses = sorted({a.status_code for a in answers})
    assert set(statuses) <= {201, 409}, [(a.status_code, a.text) for a in answers if a.status_code not in (201, 409)]
    ids = {a.json()["id"] for a in answers if a.status_code == 201}
    assert len(ids) == 1
    for answer in answers:
        if answer.status_code == 409:
            assert answer.json()["code"] == "idempotency_in_progress"
    assert _count_orders(app) == 1
    # once the first finished, the same key replays it
    replay = create(payer, card["id"], amount_fen=3000, channel="alipay", key=key)
    assert replay.status_code == 201 and replay.get_json()["id"] in ids


def test_amounts_are_integer_fen_only(app, payer):
    card = bind(payer)
    for amount in (50.0, "5000", 12.5, True, None):
        answer = create(payer, card["id"], amount_fen=amount)
        body = assert_error(answer, 422, "validation_failed")
        assert "amount_fen" in body["details"]["fields"]
    assert_error(create(payer, card["id"], amount_fen=99), 422, "amount_out_of_range")
    assert_error(create(payer, card["id"], amount_fen=50_001), 422, "amount_out_of_range")
    assert _count_orders(app) == 0
