"""`flask demo seed` gives the embedded mode one staff account per role, once."""

import json

from nanhaitong.demo import DEMO_STAFF


def test_seed_creates_one_staff_account_per_role_once(app, runner):
    first = runner.invoke(args=["demo", "seed"])
    assert first.exit_code == 0, first.output
    assert sorted(json.loads(first.output)["staff_created"]) == sorted(DEMO_STAFF.values())
    again = runner.invoke(args=["demo", "seed"])
    assert json.loads(again.output)["staff_created"] == []


def test_seed_refuses_without_the_sandbox(make_app):
    app = make_app(SANDBOX=False)
    result = app.test_cli_runner().invoke(args=["demo", "seed"])
    assert result.exit_code != 0 and "sandbox" in result.output
