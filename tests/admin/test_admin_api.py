"""The staff's admin API: each role's work, decided by authorize(), audited, one error shape, paginated."""

from __future__ import annotations

import csv
import io

import requests

from nanhaitong.timeutil import china_today
from tests.support.audit import audit_rows, details
from tests.support.citizens import CHEN, LI, citizen_at, read_code, verified
from tests.support.enterprises import GUICHENG, registered
from tests.support.errors import assert_error
from tests.support.payments import CARD, bind, created, order, pay, sandbox, stuck_in_refunding, wait_for
from tests.support.staff import STAFF_PASSWORD, ask_code, password_sms

ADMIN = "/api/v1/admin"


def test_each_role_is_refused_the_others_work(app, client, staff_of, sign_in):
    operator, auditor, ops = staff_of("operator"), staff_of("auditor"), staff_of("payments_ops")
    refused = {
        operator: [("get", f"{ADMIN}/payment-orders"), ("get", f"{ADMIN}/audit/events"),
                   ("get", f"{ADMIN}/access-log")],
        auditor: [("get", f"{ADMIN}/payment-orders/stuck"), ("get", f"{ADMIN}/staff")],
        ops: [("get", f"{ADMIN}/staff"), ("get", f"{ADMIN}/audit/verify"), ("get", f"{ADMIN}/audit/events")],
    }
    for who, calls in refused.items():
        for method, path in calls:
            body = assert_error(getattr(who, method)(path), 403, "staff_role_required")
            assert body["details"]["action"].startswith("admin:")
    assert_error(ops.post(f"{ADMIN}/people/lookups", json={"phone": LI.phone, "reason": "check"}), 403,
                 "staff_role_required")
    # the refusals are audited (as denials, by whom)
    denied = audit_rows(app, "authorization.denied")
    assert len(denied) == 9 and all(row.actor.startswith("staff:") for row in denied)
    # a citizen's token is no staff token
    citizen = sign_in()
    assert_error(citizen.get(f"{ADMIN}/payment-orders"), 401)
    assert_error(client.get(f"{ADMIN}/audit/events"), 401)


def test_a_staff_look_up_lands_in_the_citizens_access_log(app, staff_of, sign_in):
    li = verified(sign_in, LI)
    operator = staff_of("operator")
    assert_error(operator.post(f"{ADMIN}/people/lookups", json={"phone": LI.phone}), 422)
    assert_error(operator.post(f"{ADMIN}/people/lookups", json={"phone": LI.phone, "id_number": LI.id_number,
                                                               "reason": "来电咨询"}), 422)
    for key in ({"phone": LI.phone}, {"id_number": LI.id_number}):
        answer = operator.post(f"{ADMIN}/people/lookups", json={**key, "reason": "市民来电咨询缴费问题"})
        assert answer.status_code == 200, answer.get_json()
        [found] = answer.get_json()["citizens"]
        assert found["phone"] != LI.phone and found["phone"].endswith(LI.phone[-4:]) and "*" in found["phone"]
        assert LI.id_number not in answer.get_data(as_text=True) and LI.name not in answer.get_data(as_text=True)
        assert found["assurance_level"] == 2
    nobody = operator.post(f"{ADMIN}/people/lookups", json={"phone": "13700000999", "reason": "来电查询"})
    assert nobody.status_code == 200 and nobody.get_json()["citizens"] == []

    log = li.get("/api/v1/me/access-log").get_json()["items"]
    staff_entries = [e for e in log if e["accessor"]["kind"] == "staff"]
    assert len(staff_entries) == 2
    assert {e["acting_as"] for e in staff_entries} == {"staff"}
    assert {e["reason"] for e in staff_entries} == {"市民来电咨询缴费问题"}
    assert all(e["accessor"]["id"] == operator.staff_id for e in staff_entries)
    lookups = audit_rows(app, "staff.people_lookup")
    assert [details(r)["by"] for r in lookups] == ["phone", "id_number", "phone"]
    assert details(lookups[-1])["found"] == []


def test_an_enterprise_is_found_by_uscc_and_its_access_log_says_so(app, staff_of, sign_in):
    enterprise_id = registered(verified(sign_in, CHEN), GUICHENG)
    operator = staff_of("operator")
    answer = operator.post(f"{ADMIN}/people/lookups", json={"uscc": GUICHENG, "reason": "核对企业登记"})
    assert answer.status_code == 200, answer.get_json()
    [found] = answer.get_json()["enterprises"]
    assert found["id"] == enterprise_id and found["members"] == 1
    auditor = staff_of("auditor")
    entries = auditor.get(f"{ADMIN}/access-log", query_string={"owner_kind": "enterprise",
                                                                "owner_id": enterprise_id}).get_json()["items"]
    assert [(e["accessor"]["kind"], e["reason"], e["owner"]["id"]) for e in entries] == [
        ("staff", "核对企业登记", enterprise_id)]


def test_a_refund_above_the_threshold_needs_a_second_person_and_ends_refunded(app, staff_of, sign_in, runner):
    payer, _ = citizen_at(sign_in, level=2)
    stuck = stuck_in_refunding(app, payer, amount_fen=2500)  # above the threshold of 2000 fen
    ops, ops2 = staff_of("payments_ops"), staff_of("payments_ops_2")

    queue = ops.get(f"{ADMIN}/payment-orders/stuck").get_json()
    assert [i["id"] for i in queue["items"]] == [stuck["id"]] and queue["items"][0]["overdue"]
    assert queue["items"][0]["status"] == "refunding" and queue["overdue"] == 1
    result = runner.invoke(args=["payments", "alert-stuck"])
    assert "alerted on 1 stuck order(s)" in result.output, result.output
    assert "alerted on 0" in runner.invoke(args=["payments", "alert-stuck"]).output  # once per order
    [alert] = audit_rows(app, "payment.stuck_alert")
    assert alert.object_id == stuck["id"] and details(alert)["status"] == "refunding"

    assert_error(ops.post(f"{ADMIN}/payment-orders/{stuck['id']}/refunds", json={"reason": "x"}), 422)
    asked = ops.post(f"{ADMIN}/payment-orders/{stuck['id']}/refunds", json={"reason": "网关退款多次失败，人工退款"})
    assert asked.status_code == 201, asked.get_json()
    request = asked.get_json()
    assert request["status"] == "pending_approval" and request["amount_fen"] == 2500
    assert order(payer, stuck["id"])["status"] == "refunding"  # nothing asked of the channel yet
    assert_error(ops.post(f"{ADMIN}/payment-orders/{stuck['id']}/refunds", json={"reason": "再次申请退款"}),
                 409, "refund_already_requested")
    pending = ops2.get(f"{ADMIN}/refund-requests").get_json()["items"]
    assert [p["id"] for p in pending] == [request["id"]]

    assert_error(ops.post(f"{ADMIN}/refund-requests/{request['id']}/approval", json={}), 403,
                 "second_person_required")
    approved = ops2.post(f"{ADMIN}/refund-requests/{request['id']}/approval", json={"note": "已核实"})
    assert approved.status_code == 200, approved.get_json()
    assert approved.get_json()["status"] == "executed"
    assert approved.get_json()["decided_by"] == f"staff:{ops2.staff_id}"
    wait_for(lambda: order(payer, stuck["id"])["status"] == "refunded")
    assert_error(ops2.post(f"{ADMIN}/refund-requests/{request['id']}/rejection", json={}), 409,
                 "refund_request_decided")

    timeline = ops.get(f"{ADMIN}/payment-orders/{stuck['id']}").get_json()
    kinds = [e["kind"] for e in timeline["timeline"]]
    assert "gateway_event" in kinds and "refund_request" in kinds and "refund_decision" in kinds
    statuses = [e["summary"] for e in timeline["timeline"] if e["kind"] == "status_change"]
    assert statuses == ["awaiting_payment", "paid", "fulfilment_failed", "refunding", "refunded"]
    refund_events = [e for e in timeline["timeline"] if e["kind"] == "gateway_event" and "refund" in e["summary"]]
    assert refund_events and refund_events[0]["details"]["outcome"] == "applied"
    assert not timeline["refundable"] and timeline["owner"]["kind"] == "citizen"
    # the payer sees payments staff read their order
    log = payer.get("/api/v1/me/access-log").get_json()["items"]
    assert any(e["accessor"]["kind"] == "staff" and e["object_id"] == stuck["id"] for e in log)
    assert [r.action for r in audit_rows(app, prefix="payment.manual_refund_")] == [
        "payment.manual_refund_requested", "payment.manual_refund_approved"]
    assert ops.get(f"{ADMIN}/payment-orders/stuck").get_json()["items"] == []


def test_a_small_refund_runs_at_once_and_a_finished_order_is_not_refundable(app, staff_of, sign_in):
    payer, _ = citizen_at(sign_in, level=2)
    stuck = stuck_in_refunding(app, payer, amount_fen=1500)  # at most the threshold: no approval
    ops = staff_of("payments_ops")
    refund = f"{ADMIN}/payment-orders/{stuck['id']}/refunds"
    key = {**ops.headers, "Idempotency-Key": "manual-refund-1"}
    asked = ops.client.post(refund, json={"reason": "人工退款（小额）"}, headers=key)
    assert asked.status_code == 201 and asked.get_json()["status"] == "executed", asked.get_json()
    wait_for(lambda: order(payer, stuck["id"])["status"] == "refunded")
    retried = ops.client.post(refund, json={"reason": "人工退款（小额）"}, headers=key)  # a client's retry
    assert retried.status_code == 201 and retried.get_json()["id"] == asked.get_json()["id"]
    assert_error(ops.post(f"{ADMIN}/payment-orders/{stuck['id']}/refunds", json={"reason": "再退一次款"}), 409,
                 "order_not_refundable")
    assert_error(ops.get(f"{ADMIN}/payment-orders/01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404, "payment_order_not_found")


def test_orders_are_searched_by_number_phone_status_channel_and_date_and_paginated(app, staff_of, sign_in):
    payer, _ = citizen_at(sign_in, level=2)
    other, _ = citizen_at(sign_in, level=2)
    card = bind(payer, number=CARD)
    made = [created(payer, card["id"], amount_fen=1000 + i, channel=("wechat", "alipay")[i % 2]) for i in range(3)]
    created(other, bind(other, number=CARD)["id"], amount_fen=1100)
    pay(app, "wechat", made[0]["out_trade_no"])
    ops = staff_of("payments_ops")
    search = f"{ADMIN}/payment-orders"

    def ids(**query):
        answer = ops.get(search, query_string=query)
        assert answer.status_code == 200, answer.get_json()
        return [item["id"] for item in answer.get_json()["items"]]

    assert ids(phone=payer.phone) == [m["id"] for m in made[::-1]]
    assert ids(out_trade_no=made[1]["out_trade_no"]) == [made[1]["id"]]
    assert ids(phone=payer.phone, channel="alipay") == [made[1]["id"]]
    assert ids(status="fulfilled") == [made[0]["id"]]
    today = china_today().isoformat()
    assert len(ids(date_from=today, date_to=today)) == 4 and ids(date_to="2020-01-01") == []
    first = ops.get(search, query_string={"limit": 2}).get_json()
    second = ops.get(search, query_string={"limit": 2, "cursor": first["next_cursor"]}).get_json()
    assert len(first["items"]) == 2 and len(second["items"]) == 2 and second["next_cursor"] is None
    assert payer.phone not in str(first)  # the payer is shown masked
    assert_error(ops.get(search, query_string={"stauts": "paid"}), 422)


def test_reconciliation_runs_keep_their_mismatches_and_each_gets_a_resolution(app, staff_of, sign_in):
    payer, _ = citizen_at(sign_in, level=2)
    card = bind(payer, number=CARD)
    paid = created(payer, card["id"], amount_fen=1200, channel="wechat")
    pay(app, "wechat", paid["out_trade_no"])
    planted = requests.post(f"{sandbox(app)}/wechat/_control/trades", timeout=10, json={
        "date": china_today().isoformat(), "out_trade_no": "NHTFOREIGN000000000001", "amount_fen": 999})
    assert planted.status_code == 201
    ops = staff_of("payments_ops")
    answer = ops.post(f"{ADMIN}/reconciliation-runs", json={"date": china_today().isoformat(), "channel": "wechat"})
    assert answer.status_code == 201, answer.get_json()
    run = answer.get_json()
    assert run["mismatch_count"] == 1 and run["unresolved"] == 1
    [mismatch] = run["mismatches"]
    assert mismatch["kind"] == "paid_there_not_here" and mismatch["out_trade_no"] == "NHTFOREIGN000000000001"
    assert_error(ops.put(f"{ADMIN}/reconciliation-mismatches/{mismatch['id']}/resolution", json={"note": ""}), 422)
    resolved = ops.put(f"{ADMIN}/reconciliation-mismatches/{mismatch['id']}/resolution",
                       json={"note": "非本平台订单，已与微信支付核实"})
    assert resolved.status_code == 200 and resolved.get_json()["resolved_by"] == f"staff:{ops.staff_id}"
    again = ops.get(f"{ADMIN}/reconciliation-runs/{run['id']}").get_json()
    assert again["unresolved"] == 0 and again["mismatches"][0]["resolution_note"].startswith("非本平台")
    runs = ops.get(f"{ADMIN}/reconciliation-runs").get_json()
    assert [r["id"] for r in runs["items"]] == [run["id"]] and runs["next_cursor"] is None
    assert audit_rows(app, "payment.mismatch_resolved")


def test_auditors_browse_read_export_and_verify_the_log(app, staff_of):
    operator, auditor = staff_of("operator"), staff_of("auditor")
    operator.get(f"{ADMIN}/payment-orders")  # a denial to find
    listed = auditor.get(f"{ADMIN}/audit/events", query_string={"action": "authorization.", "limit": 5})
    assert listed.status_code == 200, listed.get_json()
    [denial] = listed.get_json()["items"]
    assert denial["actor"] == f"staff:{operator.staff_id}" and denial["result"] == "denied"
    one = auditor.get(f"{ADMIN}/audit/events/{denial['id']}").get_json()
    assert one == denial and one["details"]["action"] == "admin:payments.read"
    assert_error(auditor.get(f"{ADMIN}/audit/events/01ARZ3NDEKTSV4RRFFQ69G5FAV"), 404, "audit_event_not_found")

    page1 = auditor.get(f"{ADMIN}/audit/events", query_string={"limit": 2}).get_json()
    page2 = auditor.get(f"{ADMIN}/audit/events", query_string={"limit": 2, "cursor": page1["next_cursor"]}).get_json()
    seqs = [e["seq"] for e in page1["items"] + page2["items"]]
    assert seqs == sorted(seqs, reverse=True) and len(set(seqs)) == 4

    today = china_today().isoformat()
    export = auditor.get(f"{ADMIN}/audit/export", query_string={"date_from": today, "date_to": today})
    assert export.status_code == 200 and export.mimetype == "text/csv"
    rows = list(csv.DictReader(io.StringIO(export.get_data(as_text=True))))
    assert rows and [int(r["seq"]) for r in rows] == sorted(int(r["seq"]) for r in rows)
    assert {"staff.created", "auth.login", "authorization.denied"} <= {r["action"] for r in rows}
    assert_error(auditor.get(f"{ADMIN}/audit/export", query_string={"date_from": today, "date_to": "2020-01-01"}),
                 422, "export_range_invalid")
    assert audit_rows(app, "audit.exported")
    verified_chain = auditor.get(f"{ADMIN}/audit/verify").get_json()
    assert verified_chain["ok"] is True and verified_chain["events"] > len(rows)


def test_operators_manage_staff_accounts(app, client, staff_of):
    operator = staff_of("operator")
    made = operator.post(f"{ADMIN}/staff", json={"phone": "13900139008", "role": "auditor",
                                                 "password": STAFF_PASSWORD})
    assert made.status_code == 201, made.get_json()
    account = made.get_json()
    assert account["phone"] == "139****9008" and account["active"] and "password" not in account
    assert_error(operator.post(f"{ADMIN}/staff", json={"phone": "13900139008", "role": "auditor",
                                                       "password": STAFF_PASSWORD}), 409, "staff_phone_taken")
    assert_error(operator.post(f"{ADMIN}/staff", json={"phone": "13900139009", "role": "king",
                                                       "password": STAFF_PASSWORD}), 422)
    listed = operator.get(f"{ADMIN}/staff").get_json()["items"]
    assert {a["role"] for a in listed} == {"operator", "auditor"}

    # the second factor moves to a new phone: codes go there, the old phone signs in no more
    moved = operator.put(f"{ADMIN}/staff/{account['id']}/second-factor", json={"phone": "13900139010"})
    assert moved.status_code == 200 and moved.get_json()["phone"] == "139****9010"
    assert ask_code(client, "13900139010").status_code == 202
    signed = password_sms(client, "13900139010", STAFF_PASSWORD, read_code(app, "13900139010"))
    assert signed.status_code == 200, signed.get_json()
    token = signed.get_json()["access_token"]
    assert client.get(f"{ADMIN}/me", headers={"Authorization": f"Bearer {token}"}).status_code == 200

    disabled = operator.post(f"{ADMIN}/staff/{account['id']}/deactivation")
    assert disabled.status_code == 200 and disabled.get_json()["active"] is False
    assert_error(client.get(f"{ADMIN}/me", headers={"Authorization": f"Bearer {token}"}), 401, "session_ended")
    assert [r.actor for r in audit_rows(app, prefix="staff.")][-3:] == [f"staff:{operator.staff_id}"] * 3


def test_policy_editors_preview_how_many_enterprises_a_draft_reaches(app, staff_of, sign_in):
    registered(verified(sign_in, CHEN), GUICHENG)
    editor, operator = staff_of("policy_editor"), staff_of("operator")
    everyone = editor.post(f"{ADMIN}/policies/preview", json={"rules": {}})
    assert everyone.status_code == 200 and everyone.get_json() == {"matched": 1}
    nobody = editor.post(f"{ADMIN}/policies/preview", json={"rules": {"sizes": ["large"], "towns": ["九江镇"]}})
    assert nobody.get_json() == {"matched": 0}
    assert_error(editor.post(f"{ADMIN}/policies/preview", json={"rules": {"towns": ["北京"]}}), 422)
    assert_error(operator.post(f"{ADMIN}/policies/preview", json={"rules": {}}), 403, "staff_role_required")
