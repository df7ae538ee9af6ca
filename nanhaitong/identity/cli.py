"""`flask staff create|list|deactivate|set-role`: manage staff (operator) accounts.

Each command prints JSON on standard output (phones masked) and is audited with the
actor ``system:cli``. A refused change prints ``Error: ...`` on standard error and exits 1;
a malformed option exits 2 (click's usage error).

The password of ``create`` is asked for at a hidden prompt, twice; scripts pipe it in
with ``--password-stdin`` (the first line of standard input). It is never an argument,
so it stays out of shell history and the process list.
"""

from __future__ import annotations

import json
import sys

import click
from flask.cli import AppGroup

from ..cli_lazy import LazyChoice

# The services are imported inside the commands: `flask staff --help` imports this module
# and nothing heavier (see nanhaitong.cli_lazy).
ROLES = LazyChoice("nanhaitong.identity.staff:STAFF_ROLES")

staff_cli = AppGroup("staff", help="Staff (operator) accounts.")


def _echo(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False))


def _fail(error) -> None:
    fields = error.details.get("fields") if error.details else None
    detail = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in fields.items()) if fields else ""
    click.echo(f"Error: {error.message}{' ' + detail if detail else ''} ({error.code})", err=True)
    sys.exit(1)


def _phone(_ctx, _param, value):
    import marshmallow as ma

    from schemas.identity import Phone

    try:
        return Phone().deserialize(value)
    except ma.ValidationError as error:
        raise click.BadParameter(" ".join(error.messages)) from None


def _checked_password(value: str) -> str:
    from . import staff

    problem = staff.password_problem(value)
    if problem:
        raise click.UsageError(problem)  # click.prompt shows it and asks again
    return value


def _read_password_from_stdin() -> str:
    return sys.stdin.readline().removesuffix("\n").removesuffix("\r")


@staff_cli.command("create")
@click.option("--phone", required=True, callback=_phone, help="Mainland mobile number (11 digits).")
@click.option("--role", required=True, type=ROLES)
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input instead of prompting.")
def create(phone, role, password_stdin):
    """Create a staff account and print it. The password needs 12 to 128 characters with at
    least one letter and one digit."""
    from schemas.identity import StaffMeSchema

    from ..errors import AppError
    from . import staff

    if staff.find_by_phone(phone) is not None:  # say so before asking for a password
        _fail(staff.phone_taken())
    if password_stdin:
        password = _read_password_from_stdin()
        problem = staff.password_problem(password)
        if problem:
            click.echo(f"Error: {problem}", err=True)
            sys.exit(1)
    else:
        password = click.prompt("Password", hide_input=True, confirmation_prompt=True,
                                value_proc=_checked_password, err=True)
    try:
        account = staff.create(phone, role, password)
    except AppError as error:
        _fail(error)
    _echo(StaffMeSchema().dump(account))


@staff_cli.command("list")
def list_():
    """List staff accounts, active or not, oldest first."""
    from schemas.admin import StaffAccountSchema

    from . import staff

    _echo(StaffAccountSchema(many=True).dump(staff.list_accounts()))


@staff_cli.command("deactivate")
@click.option("--id", "staff_id", required=True, help="The staff account's id.")
def deactivate(staff_id):
    """Deactivate a staff account; its sessions end at once."""
    from schemas.admin import StaffAccountSchema

    from ..errors import AppError
    from . import staff

    try:
        ended = staff.deactivate(staff_id)
    except AppError as error:
        _fail(error)
    _echo({**StaffAccountSchema().dump(staff.get(staff_id)), "sessions_ended": ended})


@staff_cli.command("set-role")
@click.option("--id", "staff_id", required=True, help="The staff account's id.")
@click.option("--role", required=True, type=ROLES)
def set_role(staff_id, role):
    """Change a staff account's role; its sessions end (their tokens carry the old role)."""
    from schemas.admin import StaffAccountSchema

    from ..errors import AppError
    from . import staff

    try:
        account, ended = staff.set_role(staff_id, role)
    except AppError as error:
        _fail(error)
    _echo({**StaffAccountSchema().dump(account), "sessions_ended": ended})


@staff_cli.command("disable")
@click.option("--id", "staff_id", required=True, help="The staff account's id.")
def disable(staff_id):
    """Disable a staff account (the same as deactivate); its sessions end at once."""
    from schemas.admin import StaffAccountSchema

    from ..errors import AppError
    from . import staff

    try:
        ended = staff.deactivate(staff_id)
    except AppError as error:
        _fail(error)
    _echo({**StaffAccountSchema().dump(staff.get(staff_id)), "sessions_ended": ended})


@staff_cli.command("reset")
@click.option("--id", "staff_id", required=True, help="The staff account's id.")
@click.option("--phone", callback=lambda c, p, v: _phone(c, p, v) if v else None,
              help="Move the second factor: sign-in codes go to this phone from now on.")
@click.option("--password", "new_password", is_flag=True, help="Set a new password (asked at a hidden prompt).")
@click.option("--password-stdin", is_flag=True, help="Read the new password from the first line of standard input.")
def reset(staff_id, phone, new_password, password_stdin):
    """Reset a staff account's second factor (its phone) and/or password; every session ends."""
    from schemas.admin import StaffAccountSchema

    from ..errors import AppError
    from . import staff

    password = None
    if password_stdin:
        password = _read_password_from_stdin()
    elif new_password:
        password = click.prompt("New password", hide_input=True, confirmation_prompt=True,
                                value_proc=_checked_password, err=True)
    if not phone and not password:
        raise click.UsageError("give --phone, --password or --password-stdin")
    try:
        account, ended = staff.reset(staff_id, phone=phone, password=password)
    except AppError as error:
        _fail(error)
    _echo({**StaffAccountSchema().dump(account), "sessions_ended": ended})


# --- Token signing keys ------------------------------------------------------------------

keys_cli = AppGroup("keys", help="Access-token signing keys (shared by every instance through the database).")


@keys_cli.command("rotate")
def keys_rotate():
    """Start signing with a new key; the old one keeps verifying until its tokens expire."""
    from flask import current_app

    from .. import db
    from ..audit.service import record as audit
    from . import staff
    from .tokens import create_signing_key

    kid = create_signing_key()
    with db.unit_of_work("audit_rotation"):
        audit("keys.rotated", actor=staff.CLI_ACTOR, object_type="signing_key", object_id=kid)
    ttl = current_app.config["ACCESS_TOKEN_TTL_SECONDS"]
    _echo({"kid": kid, "previous_keys_verify_for_seconds": ttl + 60})


@keys_cli.command("list")
def keys_list():
    """Every signing key: which one signs, and until when each retired one still verifies."""
    from datetime import timedelta

    from flask import current_app
    from sqlalchemy import select

    from .. import db
    from ..timeutil import isoformat
    from .models import SigningKey

    ttl = timedelta(seconds=current_app.config["ACCESS_TOKEN_TTL_SECONDS"] + 60)
    rows = db.session().execute(select(SigningKey).order_by(SigningKey.created_at)).scalars().all()
    _echo([{"kid": row.kid, "algorithm": row.algorithm, "created_at": isoformat(row.created_at),
            "signing": row.retired_at is None,
            "retired_at": isoformat(row.retired_at) if row.retired_at else None,
            "verifies_until": isoformat(row.retired_at + ttl) if row.retired_at else None} for row in rows])
