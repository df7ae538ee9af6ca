"""Every staff operation of /api/v1/admin/one-stop is decided by ``authorize`` (issue 27):
a staff member of the wrong role gets the decision's 403 in the one error shape, the
refusal is audited under that staff member with the action asked for, and nothing is done.
The table below names a well-formed request for every admin one-stop route; a route added
without a row fails the test."""

from __future__ import annotations

import json
import re

from tests.support.audit import audit_rows
from tests.support.errors import assert_error
from tests.support.one_stop import matter_body
from tests.support.staff import create_staff, sign_in_staff

from .conftest import ADMIN

SOME_ID = "01JB0000000000000000000000"
MANAGE, READ, BENEFITS = "admin:one_stop.manage", "admin:one_stop.read", "admin:policies.manage"
BUNDLE = {"code": "NH-YJS-901", "name": "新生儿出生一件事", "description": "出生医学证明、户口登记、医保参保一次办",
          "matter_codes": ["NH-1", "NH-2"], "fields": [{"name": "baby_name", "label": "新生儿姓名",
                                                         "matters": ["NH-1"]}]}
COUNTER = {"matter_id": SOME_ID, "centre": "guicheng", "applicant_phone": "13700000001"}

# (method, path, body or query, the action it needs)
ROUTES = [
    ("GET", "/matters", None, MANAGE),
    ("POST", "/matters", matter_body(code="NH-ACL-1"), MANAGE),
    ("PUT", f"/matters/{SOME_ID}", matter_body(code="NH-ACL-2"), MANAGE),
    ("POST", f"/matters/{SOME_ID}/status", {"status": "retired"}, MANAGE),
    ("POST", "/centres/guicheng/check-ins", {"payload": "NHT-CHECKIN:abc"}, MANAGE),
    ("POST", f"/appointments/{SOME_ID}/case", {"form": {}}, MANAGE),
    ("GET", "/cases", None, MANAGE),
    ("POST", "/cases", COUNTER, MANAGE),
    ("GET", f"/cases/{SOME_ID}", None, MANAGE),
    ("POST", f"/cases/{SOME_ID}/status", {"status": "completed"}, MANAGE),
    ("GET", "/case-warnings", None, MANAGE),
    ("GET", "/followups", None, MANAGE),
    ("POST", f"/followups/{SOME_ID}/answer", {"answer": "已整改，谢谢监督"}, MANAGE),
    ("GET", "/evaluations/stats", {"by": "centre"}, READ),
    ("GET", "/evaluations/export", None, READ),
    ("POST", "/bundles", BUNDLE, MANAGE),
    ("GET", "/benefits", None, BENEFITS),
    ("POST", "/benefits", {"policy_id": SOME_ID, "amount_fen": 100000}, BENEFITS),
    ("POST", f"/benefits/{SOME_ID}/offers", None, BENEFITS),
]
# Who may not: a staff role without the action.
WRONG_ROLES = {MANAGE: ("auditor", "policy_editor", "payments_ops"), READ: ("policy_editor", "payments_ops"),
               BENEFITS: ("operator", "auditor")}
PHONES = {"operator": "13900139061", "auditor": "13900139062", "policy_editor": "13900139063",
          "payments_ops": "13900139064"}


def _shape(path: str) -> str:
    """A path with its variable parts (ids, the centre) as ``<>``."""
    return re.sub(r"<[^>]+>", "<>", path.replace(SOME_ID, "<>").replace("/centres/guicheng/", "/centres/<>/"))


def test_the_table_names_every_admin_one_stop_route(app):
    routes = {(method, _shape(rule.rule.removeprefix(ADMIN))) for rule in app.url_map.iter_rules()
              if rule.rule.startswith(ADMIN + "/") for method in rule.methods - {"HEAD", "OPTIONS"}}
    covered = {(method, _shape(path)) for method, path, _, _ in ROUTES}
    assert routes == covered, (routes - covered, covered - routes)


def _call(person, method: str, path: str, payload):
    if method == "GET":
        return person.get(ADMIN + path, query_string=payload or {})
    return getattr(person, method.lower())(ADMIN + path, json=payload)


def test_a_wrong_role_is_refused_every_operation_by_the_decision_audited_under_them(app):
    people = {}
    for role, phone in PHONES.items():
        made = create_staff(app, phone, role)
        people[role] = (sign_in_staff(app, app.test_client(), phone), f"staff:{made['id']}")
    for method, path, payload, action in ROUTES:
        for role in WRONG_ROLES[action]:
            person, actor = people[role]
            before = len(audit_rows(app, action="authorization.denied"))
            body = assert_error(_call(person, method, path, payload), 403, "staff_role_required")
            assert body["details"]["action"] == action, (method, path, body)
            denials = audit_rows(app, action="authorization.denied")[before:]
            assert [(d.actor, json.loads(d.details)["action"]) for d in denials] == [(actor, action)], (method, path)
    # Nothing was done: no matter, bundle, case or benefit was made by the refused requests.
    assert not audit_rows(app, prefix="one_stop.")


def test_the_right_role_is_let_through_to_the_operation(app):
    for role, phone in (("operator", PHONES["operator"]), ("auditor", PHONES["auditor"]),
                        ("policy_editor", PHONES["policy_editor"])):
        create_staff(app, phone, role)
    operator = sign_in_staff(app, app.test_client(), PHONES["operator"])
    auditor = sign_in_staff(app, app.test_client(), PHONES["auditor"])
    editor = sign_in_staff(app, app.test_client(), PHONES["policy_editor"])
    made = operator.post(f"{ADMIN}/matters", json=matter_body(code="NH-ACL-3"))
    assert made.status_code == 201, made.get_json()
    [event] = audit_rows(app, action="one_stop.matter_created")
    assert event.actor.startswith("staff:")
    assert auditor.get(f"{ADMIN}/evaluations/stats", query_string={"by": "centre"}).status_code == 200
    assert auditor.get(f"{ADMIN}/evaluations/export").status_code == 200
    assert editor.get(f"{ADMIN}/benefits").status_code == 200
    assert_error(operator.get(f"{ADMIN}/cases/{SOME_ID}"), 404, "case_not_found")
