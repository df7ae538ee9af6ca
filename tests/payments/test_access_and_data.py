"""Who may pay, what is stored and shown: owners, delegates within their ceiling, nobody else;
numbers encrypted at rest and masked; amounts integer fen everywhere; money movements audited."""

from __future__ import annotations

import json

from sqlalchemy import inspect, text

from nanhaitong import db
from tests.support.audit import audit_rows, details
from tests.support.citizens import citizen_at, user_id
from tests.support.errors import assert_error
from tests.support.grants import act_under, create_grant
from tests.support.payments import ACCOUNTS, CARD, GAS, ORDERS, bind, create, created, pay


def test_only_the_owner_sees_and_acts(app, payer, sign_in):
    card = bind(payer, number=CARD)
    new = created(payer, card["id"], amount_fen=1000)
    stranger, _ = citizen_at(sign_in, level=2)
    for method, path in (("get", f"{ORDERS}/{new['id']}"), ("post", f"{ORDERS}/{new['id']}/cancel"),
                         ("get", f"{ACCOUNTS}/{card['id']}/balance"), ("delete", f"{ACCOUNTS}/{card['id']}")):
        assert_error(getattr(stranger, method)(path), 404)
    assert_error(create(stranger, card["id"], amount_fen=1000), 404, "utility_account_not_found")
    assert stranger.get(ORDERS).get_json()["items"] == []
    assert stranger.get(ACCOUNTS).get_json()["items"] == []
    # A phone-only (level 1) citizen cannot pay at all.
    newcomer, _ = citizen_at(sign_in, level=1)
    assert_error(newcomer.post(ACCOUNTS, json={"kind": "bus_card", "number": CARD}), 403, "assurance_level_required")


def test_a_delegate_pays_for_the_owner_within_the_ceiling(app, payer, sign_in):
    card = bind(payer, number=CARD)
    helper, helper_id = citizen_at(sign_in, level=2)
    grant = create_grant(payer, helper_id, ["payments:pay"], constraints={"amount_ceiling_fen": 2000})
    acting = act_under(helper, grant["id"])
    ok = created(acting, card["id"], amount_fen=2000, channel="alipay")
    assert_error(create(acting, card["id"], amount_fen=2001), 403, "outside_grant_constraints")
    assert [o["id"] for o in payer.get(ORDERS).get_json()["items"]] == [ok["id"]]
    # the owner's access log shows the delegate's use
    log = payer.get("/api/v1/me/access-log?limit=100").get_json()["items"]
    assert any(entry["action"] == "payments:pay" for entry in log)
    # a grant that does not name payments:pay does not let them pay
    query_only = create_grant(payer, helper_id, ["gov_services:query"])
    assert_error(create(act_under(helper, query_only["id"]), card["id"], amount_fen=1000), 403, "not_authorized")


def test_binding_checks_the_card_number_and_the_accounts(app, payer):
    bad_check_digit = CARD[:-1] + str((int(CARD[-1]) + 1) % 10)
    assert_error(payer.post(ACCOUNTS, json={"kind": "bus_card", "number": bad_check_digit}), 422,
                 "invalid_card_number")
    assert_error(payer.post(ACCOUNTS, json={"kind": "bus_card", "number": "3104057100000008"}), 422,
                 "card_not_found")
    assert_error(payer.post(ACCOUNTS, json={"kind": "gas", "number": "NHG9999999"}), 422, "gas_account_not_found")
    card = bind(payer, number=CARD)
    assert_error(payer.post(ACCOUNTS, json={"kind": "bus_card", "number": CARD}), 409, "account_already_bound")
    assert payer.delete(f"{ACCOUNTS}/{card['id']}").status_code == 204
    assert payer.get(ACCOUNTS).get_json()["items"] == []
    assert bind(payer, number=CARD)["id"] == card["id"]  # bound again
    # a bus card has no bills, a gas account no balance
    assert_error(payer.get(f"{ACCOUNTS}/{card['id']}/bills"), 404)
    gas = bind(payer, kind="gas", number=GAS.account_no)
    assert_error(payer.get(f"{ACCOUNTS}/{gas['id']}/balance"), 404)


def _floats(value, where="$"):
    if isinstance(value, float):
        yield where
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from _floats(item, f"{where}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _floats(item, f"{where}[{index}]")


def test_amounts_are_never_floats_and_numbers_are_encrypted(app, payer):
    card = bind(payer, number=CARD)
    gas = bind(payer, kind="gas", number=GAS.account_no)
    new = created(payer, card["id"], amount_fen=1234, channel="wechat")
    pay(app, "wechat", new["out_trade_no"])
    answers = [payer.get(f"{ORDERS}/{new['id']}"), payer.get(ORDERS), payer.get(ACCOUNTS),
               payer.get(f"{ACCOUNTS}/{card['id']}/balance"), payer.get(f"{ACCOUNTS}/{gas['id']}/bills")]
    for answer in answers:
        raw = answer.get_data(as_text=True)
        assert answer.status_code == 200 and not list(_floats(json.loads(raw))), raw
        assert CARD not in raw and GAS.account_no not in raw  # masked
        for key, value in _walk_fen(json.loads(raw)):
            assert type(value) is int, (key, value)
    with app.app_context():
        columns = {c["name"]: c["type"] for c in inspect(db.engine()).get_columns("payment_orders")}
        assert "INT" in str(columns["amount_fen"]).upper()
        session = db.session()
        stored = session.execute(text("SELECT amount_fen FROM payment_orders")).scalar_one()
        assert type(stored) is int and stored == 1234
        numbers = [row[0] for row in session.execute(text("SELECT number FROM utility_accounts"))]
        assert numbers and all(CARD not in n and GAS.account_no not in n for n in numbers)
    for row in audit_rows(app, prefix="payment."):
        raw = row.details
        assert not list(_floats(json.loads(raw))) and CARD not in raw


def _walk_fen(value, key="$"):
    if isinstance(value, dict):
        for name, item in value.items():
            if name.endswith("_fen"):
                yield name, item
            yield from _walk_fen(item, name)
    elif isinstance(value, list):
        for item in value:
            yield from _walk_fen(item, key)


def test_every_money_movement_is_audited(app, payer):
    card = bind(payer, number=CARD)
    new = created(payer, card["id"], amount_fen=1500, channel="alipay")
    pay(app, "alipay", new["out_trade_no"])
    owner = f"citizen:{user_id(payer)}"
    actions = [(row.action, row.object_id) for row in audit_rows(app, prefix="payment.")]
    assert [a for a, _ in actions] == ["payment.account_bound", "payment.order_created", "payment.paid",
                                       "payment.fulfilled"]
    for row in audit_rows(app, prefix="payment.")[1:]:
        assert row.object_id == new["id"] and row.on_behalf_of == owner
        assert details(row)["amount_fen"] == 1500 if row.action != "payment.order_created" else True
    assert details(audit_rows(app, "payment.fulfilled")[0])["reference"].startswith("TU")
