"""Staff accounts made from the command line (`flask staff ...`) and staff sign-in."""

from __future__ import annotations

import json

from .citizens import Citizen, read_code

STAFF_PASSWORD = "correct horse 42 battery"
STAFF_PHONE = "13900139001"


def run(app, *args, input=None):
    """`flask staff <args>` through Click's test runner."""
    return app.test_cli_runner().invoke(args=["staff", *args], input=input)


def create_staff(app, phone: str = STAFF_PHONE, role: str = "operator", password: str = STAFF_PASSWORD) -> dict:
    """Create a staff account through the CLI (as a script would); returns what it printed."""
    result = run(app, "create", "--phone", phone, "--role", role, "--password-stdin", input=password + "\n")
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def ask_code(client, phone: str):
    # Buffered: the test client closes the response before returning, as a server does once
    # the answer is sent, and the staff code is texted on close (issue 21, finding 11).
    return client.post("/api/v1/admin/auth/sms-codes", json={"phone": phone}, buffered=True)


def password_sms(client, phone: str, password: str, code: str):
    return client.post("/api/v1/admin/auth/tokens", json={"phone": phone, "password": password, "code": code})


def sign_in_staff(app, client, phone: str = STAFF_PHONE, password: str = STAFF_PASSWORD) -> Citizen:
    """Sign a staff member in through the API; the Citizen helper just carries the tokens."""
    assert ask_code(client, phone).status_code == 202
    answer = password_sms(client, phone, password, read_code(app, phone))
    assert answer.status_code == 200, answer.get_json()
    return Citizen(client, app, phone, answer.get_json())


STAFF_PHONES = {"operator": "13900139001", "policy_editor": "13900139002", "payments_ops": "13900139003",
                "auditor": "13900139004", "payments_ops_2": "13900139005"}
