"""`flask staff create|list|deactivate|set-role`: staff accounts made from the command line."""

from __future__ import annotations

import json

from sqlalchemy import func, select

from nanhaitong import db
from nanhaitong.identity.models import AuthSession, StaffAccount
from tests.support.audit import audit_rows
from tests.support.staff import STAFF_PASSWORD, create_staff, run


def test_create_with_hidden_prompt_and_confirmation(app):
    result = run(app, "create", "--phone", "+86 139-0013-9001", "--role", "auditor",
                 input=f"{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)  # prompts go to stderr: stdout is only the JSON
    assert printed["phone"] == "139****9001" and printed["role"] == "auditor" and set(printed) == {"id", "phone", "role"}
    assert STAFF_PASSWORD not in result.output
    with app.app_context():
        staff = db.session().get(StaffAccount, printed["id"])
        assert staff.active and staff.phone == "13900139001" and staff.password_hash.startswith("$argon2id$")
    [event] = audit_rows(app, "staff.created")
    assert event.actor == "system:cli" and event.object_id == printed["id"] and "13900139001" not in event.details


def test_prompt_asks_again_for_a_weak_or_unconfirmed_password(app):
    result = run(app, "create", "--phone", "13900139001", "--role", "operator",
                 input=f"short1\nlettersonlypassword\n{STAFF_PASSWORD}\ndifferent 42 password\n"
                       f"{STAFF_PASSWORD}\n{STAFF_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "12 to 128 characters" in result.stderr and "do not match" in result.stderr
    assert json.loads(result.stdout)["role"] == "operator"


def test_password_stdin_refuses_a_weak_password(app):
    for weak in ("short1", "no digits in this one", "123456789012345"):
        result = run(app, "create", "--phone", "13900139001", "--role", "operator", "--password-stdin", input=weak + "\n")
        assert result.exit_code == 1 and "12 to 128 characters" in result.stderr and result.stdout == ""
    assert run(app, "list").stdout.strip() == "[]"


def test_duplicate_phone_is_a_clear_error(app):
    create_staff(app, "13900139001")
    again = run(app, "create", "--phone", "139 0013 9001", "--role", "auditor", "--password-stdin",
                input=STAFF_PASSWORD + "\n")
    assert again.exit_code == 1
    assert "already exists" in again.stderr and "staff_phone_taken" in again.stderr and again.stdout == ""
    # Interactively, it says so before asking for a password.
    prompted = run(app, "create", "--phone", "13900139001", "--role", "auditor")
    assert prompted.exit_code == 1 and "staff_phone_taken" in prompted.stderr and "Password" not in prompted.output
    assert len(json.loads(run(app, "list").stdout)) == 1


def test_bad_phone_or_role_is_a_usage_error(app):
    bad_phone = run(app, "create", "--phone", "12345", "--role", "operator", "--password-stdin", input=STAFF_PASSWORD)
    bad_role = run(app, "create", "--phone", "13900139001", "--role", "root", "--password-stdin", input=STAFF_PASSWORD)
    assert bad_phone.exit_code == 2 and "mobile number" in bad_phone.stderr
    assert bad_role.exit_code == 2 and "operator" in bad_role.stderr


def test_list_masks_phones_and_shows_state(app):
    first = create_staff(app, "13900139001", "operator")
    second = create_staff(app, "13900139002", "auditor")
    listed = json.loads(run(app, "list").stdout)
    assert [s["id"] for s in listed] == [first["id"], second["id"]]
    assert listed[0]["phone"] == "139****9001" and listed[1]["role"] == "auditor"
    assert all(s["active"] and s["created_at"].endswith("Z") for s in listed)
    assert "13900139001" not in run(app, "list").output


def test_set_role(app):
    created = create_staff(app, "13900139001", "operator")
    result = run(app, "set-role", "--id", created["id"], "--role", "auditor")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["role"] == "auditor"
    [event] = audit_rows(app, "staff.role_changed")
    assert event.actor == "system:cli" and json.loads(event.details)["from"] == "operator"
    unknown = run(app, "set-role", "--id", "01NOSUCHSTAFF", "--role", "auditor")
    assert unknown.exit_code == 1 and "staff_not_found" in unknown.stderr


def test_deactivate_unknown_id(app):
    result = run(app, "deactivate", "--id", "01NOSUCHSTAFF")
    assert result.exit_code == 1 and "No such staff account" in result.stderr


def test_deactivate_ends_sessions_at_once(app):
    from tests.support.staff import sign_in_staff

    created = create_staff(app, "13900139001")
    staff = sign_in_staff(app, app.test_client(), "13900139001")
    assert staff.get("/api/v1/admin/me").status_code == 200

    result = run(app, "deactivate", "--id", created["id"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.stdout)
    assert printed["active"] is False and printed["sessions_ended"] == 1
    with app.app_context():
        live = db.session().execute(select(func.count()).select_from(AuthSession).where(
            AuthSession.account_id == created["id"], AuthSession.revoked_at.is_(None))).scalar_one()
        assert live == 0
    [event] = audit_rows(app, "staff.deactivated")
    assert event.actor == "system:cli" and event.object_id == created["id"]
    assert json.loads(run(app, "list").stdout)[0]["active"] is False
