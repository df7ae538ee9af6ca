"""The operators' tools: keys, fields, secrets and staff commands, `flask --help` that builds
nothing, and docs that name only commands (and options) that exist."""

from __future__ import annotations

import json
import os
import re
import shlex
import stat
import subprocess
import sys
from pathlib import Path

import click
import pytest
from sqlalchemy import Text, select, type_coerce

from nanhaitong import db
from nanhaitong.cli_lazy import COMMAND_GROUPS
from nanhaitong.identity.models import StaffAccount, User
from nanhaitong.security.fields import decode_key, encode_key, generate_key
from tests.crypto_suite import FIELD_TOKEN_PREFIX
from tests.support.audit import audit_rows
from tests.support.citizens import bearer, read_code
from tests.support.settings import APP_SETTINGS
from tests.support.staff import STAFF_PASSWORD, ask_code, create_staff, password_sms, sign_in_staff

ROOT = Path(__file__).resolve().parents[2]
DOCS = [ROOT / "docs" / "deploy.md", ROOT / "docs" / "runbook.md"]
BUILTIN = {"run", "shell", "routes"}
# `flask [--app wsgi] group [command] [--options ...]` as the docs write them
MENTION = re.compile(r"flask(?: --app wsgi)? ([a-z][a-z-]*)((?: [a-z][a-z-]*)?)((?: (?:--[a-z-]+|[^ `]+))*)")


def _mentions(text: str):
    for line in text.replace("\\\n", " ").splitlines():
        for span in re.findall(r"`([^`]*flask[^`]*)`", line):
            for match in MENTION.finditer(span):
                options = re.findall(r"(--[a-z][a-z-]*)", match.group(3))
                yield match.group(1), match.group(2).strip() or None, options


def test_the_docs_name_only_commands_and_options_that_exist(app):
    checked = 0
    for path in DOCS:
        for group_name, command_name, options in _mentions(path.read_text(encoding="utf-8")):
            where = f"{path.name}: flask {group_name} {command_name or ''}"
            if group_name in BUILTIN:
                continue
            group = app.cli.get_command(None, group_name)
            assert group is not None, f"{where}: no such command group"
            if command_name is None:
                continue
            ctx = click.Context(group)
            command = group.get_command(ctx, command_name)
            assert command is not None, f"{where}: no such command"
            known = {opt for param in command.params for opt in (*param.opts, *param.secondary_opts)} | {"--help"}
            assert set(options) <= known, f"{where}: unknown options {sorted(set(options) - known)}"
            checked += 1
    assert checked >= 10  # the docs do name commands: the pattern still finds them


def test_the_docs_checker_finds_a_missing_command():
    found = list(_mentions("Run `flask --app wsgi keys destroy --all` and `flask nosuch thing`."))
    assert found == [("keys", "destroy", ["--all"]), ("nosuch", "thing", [])]


def test_every_lazy_group_is_the_real_one(app):
    for name, (_target, help_text) in COMMAND_GROUPS.items():
        real = app.cli.get_command(None, name).loaded()
        assert real.name == name and (real.help or "").startswith(help_text.rstrip(".")), name


# What a help text must not import: the app's libraries and its services. Their absence is
# what keeps `flask --help` and `flask <group> --help` under 1.5 s (bench/cli_help.py times it).
HEAVY_LIBRARIES = ("alembic", "argon2", "celery", "cryptography", "flask_babel", "flask_smorest", "integrations",
                   "kombu", "marshmallow", "psycopg", "pyhanko", "redis", "requests", "sqlalchemy")


def test_flask_help_and_every_group_help_import_nothing_heavy(tmp_path):
    """`flask --help` and each `flask <group> --help`, in one process as the CLI runs them:
    afterwards not one heavy library or service module has been imported."""
    helps = [["--help"], *([name, "--help"] for name in COMMAND_GROUPS)]
    script = (
        "import sys\nfrom flask.cli import main\n"
        f"for args in {helps!r}:\n"
        "    sys.argv = ['flask', '--app', 'wsgi', *args]\n"
        "    try:\n        main()\n    except SystemExit:\n        pass\n"
        f"heavy = sorted(m for m in sys.modules if m.split('.')[0] in {HEAVY_LIBRARIES!r}"
        " or m in ('nanhaitong.db', 'nanhaitong.errors') or m.endswith(('.service', '.registry', '.staff')))\n"
        "print('HEAVY', heavy)\n")
    env = {**os.environ, "NHT_DATA_DIR": str(tmp_path)}
    # The first run in a fresh NHT_DATA_DIR generates its secrets (with cryptography): once.
    subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", "--help"], cwd=ROOT, env=env, check=True,
                   capture_output=True, timeout=120)
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True,
                          timeout=120)
    for name in COMMAND_GROUPS:
        assert f"Usage: flask {name} [OPTIONS] COMMAND" in done.stdout, done.stdout[-2000:] + done.stderr
    assert "create      Create a staff account and print it." in done.stdout
    assert "keys " in done.stdout and "fields " in done.stdout and "secrets " in done.stdout
    assert done.stdout.strip().splitlines()[-1] == "HEAVY []", done.stdout[-500:]


def test_a_command_help_still_says_what_its_lazy_parts_hold(app, runner):
    from nanhaitong.identity import staff

    shown = runner.invoke(args=["staff", "create", "--help"]).output
    assert staff.PASSWORD_RULE in " ".join(shown.split()) and "operator|policy_editor" in shown
    assert "licences:verify" in runner.invoke(args=["partners", "create", "--help"]).output
    refused = runner.invoke(args=["payments", "reconcile", "--date", "2026-01-01", "--channel", "cash"])
    assert refused.exit_code == 2 and "wechat" in refused.output


def test_keys_rotate_keeps_old_tokens_valid(app, client, runner, sign_in):
    citizen = sign_in()
    before = citizen.tokens["access_token"]
    rotated = runner.invoke(args=["keys", "rotate"])
    assert rotated.exit_code == 0, rotated.output
    new_kid = json.loads(rotated.stdout)["kid"]
    assert client.get("/api/v1/me", headers=bearer(before)).status_code == 200  # signed by the old key
    keys = json.loads(runner.invoke(args=["keys", "list"]).stdout)
    assert [k["kid"] for k in keys if k["signing"]] == [new_kid]
    retired = [k for k in keys if not k["signing"]]
    assert retired and all(k["verifies_until"] for k in retired)
    after = sign_in().tokens["access_token"]
    import jwt

    assert jwt.get_unverified_header(after)["kid"] == new_kid
    assert {new_kid} | {k["kid"] for k in retired} <= {k["kid"] for k in client.get("/.well-known/jwks.json")
                                                        .get_json()["keys"]}
    assert audit_rows(app, "keys.rotated")


def _tokens(app, model, column):
    with app.app_context():
        return db.session().execute(select(type_coerce(column, Text))).scalars().all()


def test_fields_reencrypt_moves_every_value_to_the_new_key_and_resumes(app, make_app, secrets_dir, sign_in):
    citizen = sign_in()
    create_staff(app, "13900139001", "auditor")
    old = json.loads((secrets_dir / "secrets.json").read_text())["FIELD_KEYS"]
    new_key = encode_key(generate_key())
    both = make_app(FIELD_KEYS=f"{old},k2:{new_key}", FIELD_KEY_CURRENT="k2", **APP_SETTINGS)
    first = both.test_cli_runner().invoke(args=["fields", "reencrypt", "--batch-size", "1"])
    assert first.exit_code == 0, first.output
    assert "users.phone: done" in first.stdout and "staff_accounts.phone: done" in first.stdout
    moved = int(re.search(r"re-encrypted (\d+) value", first.stdout).group(1))
    assert moved >= 3
    assert "checked" in first.stderr  # progress, batch by batch
    assert all(t.startswith(f"{FIELD_TOKEN_PREFIX}k2.") for t in _tokens(both, User, User.phone) + _tokens(both, StaffAccount,
                                                                                        StaffAccount.phone))
    again = both.test_cli_runner().invoke(args=["fields", "reencrypt"])
    assert "re-encrypted 0 value(s) under key k2" in again.stdout
    only_new = make_app(FIELD_KEYS=f"k2:{new_key}", FIELD_KEY_CURRENT="k2", **APP_SETTINGS)
    client = only_new.test_client()
    assert client.get("/api/v1/me", headers=citizen.headers).get_json()["phone"].endswith(citizen.phone[-4:])
    assert ask_code(client, "13900139001").status_code == 202  # the staff phone decrypts under k2 alone
    assert password_sms(client, "13900139001", STAFF_PASSWORD, read_code(only_new, "13900139001")).status_code == 200


def test_secrets_generate_writes_working_production_secrets(runner, tmp_path):
    printed = runner.invoke(args=["secrets", "generate"])
    assert printed.exit_code == 0, printed.output
    values = dict(line.removeprefix("export ").split("=", 1) for line in printed.stdout.splitlines())
    values = {name: shlex.split(value)[0] for name, value in values.items()}
    assert set(values) == {"NHT_SECRET_KEY", "NHT_FIELD_KEYS", "NHT_FIELD_KEY_CURRENT", "NHT_BLIND_INDEX_KEY",
                           "NHT_AUDIT_KEY"}
    assert len(decode_key(values["NHT_AUDIT_KEY"])) == 32 and values["NHT_FIELD_KEYS"].startswith("k1:")
    assert runner.invoke(args=["secrets", "generate"]).stdout != printed.stdout  # fresh every time
    path = tmp_path / "secrets.json"
    written = runner.invoke(args=["secrets", "generate", "--format", "json", "--output", str(path)])
    assert written.exit_code == 0 and stat.S_IMODE(path.stat().st_mode) == 0o600
    from nanhaitong.config import load

    env = {f"NHT_{k}": v for k, v in json.loads(path.read_text()).items()}
    settings = load({"DATA_DIR": str(tmp_path / "none")}, environ={
        **env, "NHT_ENV": "production", "NHT_SANDBOX": "0", "NHT_DATABASE_URL": "postgresql://h/db",
        "NHT_PUBLIC_URL": "https://nanhaitong.example.cn",
        "NHT_WECHATPAY_MERCHANT_KEY": "x", "NHT_WECHATPAY_APIV3_KEY": "x", "NHT_ALIPAY_APP_PRIVATE_KEY": "x"})
    assert settings["GENERATED_SECRETS"] == []


def test_staff_disable_and_reset_from_the_command_line(app, client, runner):
    made = create_staff(app, "13900139001", "operator")
    moved = runner.invoke(args=["staff", "reset", "--id", made["id"], "--phone", "13900139012"])
    assert moved.exit_code == 0, moved.output
    assert json.loads(moved.stdout)["phone"] == "139****9012"
    assert runner.invoke(args=["staff", "reset", "--id", made["id"]]).exit_code == 2  # nothing to reset
    sign_in_staff(app, client, "13900139012")
    new_password = "another 42 passphrase"
    changed = runner.invoke(args=["staff", "reset", "--id", made["id"], "--password-stdin"], input=new_password + "\n")
    assert changed.exit_code == 0 and json.loads(changed.stdout)["sessions_ended"] == 1
    sign_in_staff(app, client, "13900139012", password=new_password)
    disabled = runner.invoke(args=["staff", "disable", "--id", made["id"]])
    assert disabled.exit_code == 0 and json.loads(disabled.stdout)["active"] is False
    listed = json.loads(runner.invoke(args=["staff", "list"]).stdout)
    assert [(a["phone"], a["active"]) for a in listed] == [("139****9012", False)]
    assert [r.action for r in audit_rows(app, prefix="staff.")] == [
        "staff.created", "staff.reset", "staff.reset", "staff.deactivated"]


@pytest.mark.parametrize("argv", [["--help"], ["--app", "wsgi", "--help"], []])
def test_only_a_help_skips_building_the_app(monkeypatch, argv):
    from nanhaitong import _only_listing_commands

    monkeypatch.setenv("FLASK_RUN_FROM_CLI", "true")
    monkeypatch.setattr(sys, "argv", ["flask", *argv])
    assert _only_listing_commands()
    for helped in (["staff", "--help"], ["staff", "create", "--help"]):
        monkeypatch.setattr(sys, "argv", ["flask", "--app", "wsgi", *helped])
        assert _only_listing_commands()
    monkeypatch.setattr(sys, "argv", ["flask", "--app", "wsgi", "staff", "list"])
    assert not _only_listing_commands()
    monkeypatch.delenv("FLASK_RUN_FROM_CLI")
    monkeypatch.setattr(sys, "argv", ["flask", "--help"])
    assert not _only_listing_commands()
