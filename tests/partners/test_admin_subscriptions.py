"""Operators manage a partner's webhook subscriptions through the admin API (what the
console's partner page does too): change one, switch it off and on; every change goes
through ``authorize`` and is audited under the operator's name; other roles are refused."""

from __future__ import annotations

from tests.support.audit import audit_rows
from tests.support.errors import assert_error
from tests.support.partners import ADMIN, register
from tests.support.staff import create_staff, sign_in_staff

HOOK = "http://127.0.0.1:9/hooks"


def test_an_operator_edits_and_switches_off_a_subscription(app, client, operator):
    partner = register(operator)
    made = operator.post(f"{ADMIN}/{partner['id']}/webhooks", json={"url": HOOK, "events": ["consent.revoked"]})
    assert made.status_code == 201, made.get_json()
    item = f"{ADMIN}/{partner['id']}/webhooks/{made.get_json()['id']}"

    changed = client.patch(item, headers=operator.headers, json={"url": HOOK + "/v2", "active": False,
                                                                  "events": ["consent.revoked",
                                                                             "application.status_changed"]})
    assert changed.status_code == 200, changed.get_json()
    assert changed.get_json()["active"] is False and changed.get_json()["url"] == HOOK + "/v2"
    [listed] = operator.get(f"{ADMIN}/{partner['id']}/webhooks").get_json()["items"]
    assert listed["events"] == ["application.status_changed", "consent.revoked"] and listed["active"] is False

    assert_error(client.patch(item, headers=operator.headers, json={"url": "http://bank.example.com/h"}), 422)
    assert_error(client.patch(item, headers=operator.headers, json={"active": "maybe"}), 422)
    other = register(operator, name="另一家")
    assert_error(client.patch(f"{ADMIN}/{other['id']}/webhooks/{made.get_json()['id']}", headers=operator.headers,
                              json={"active": True}), 404, "webhook_subscription_not_found")

    [event] = audit_rows(app, "partner.webhook_subscription_updated")
    assert event.actor == f"staff:{operator.get('/api/v1/admin/me').get_json()['id']}"
    assert [e.actor for e in audit_rows(app, "partner.created")][0].startswith("staff:")


def test_other_roles_are_refused_by_authorize(app, client, operator):
    partner = register(operator)
    made = operator.post(f"{ADMIN}/{partner['id']}/webhooks", json={"url": HOOK, "events": ["consent.revoked"]})
    create_staff(app, "13900139008", "auditor")
    auditor = sign_in_staff(app, client, "13900139008")
    item = f"{ADMIN}/{partner['id']}/webhooks/{made.get_json()['id']}"
    assert_error(client.patch(item, headers=auditor.headers, json={"active": False}), 403, "staff_role_required")
    assert_error(auditor.get(f"{ADMIN}/{partner['id']}/webhooks"), 403, "staff_role_required")
    assert_error(auditor.get(ADMIN), 403, "staff_role_required")
    assert operator.get(f"{ADMIN}/{partner['id']}/webhooks").get_json()["items"][0]["active"] is True
