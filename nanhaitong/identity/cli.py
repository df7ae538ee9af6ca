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
import marshmallow as ma
from flask.cli import AppGroup

from schemas.identity import Phone

from ..errors import AppError
from . import staff

staff_cli = AppGroup("staff", help="Staff (operator) accounts.")


def _echo(data) -> None:
    click.echo(json.dumps(data, ensure_ascii=False))


def _fail(error: AppError) -> None:
    fields = error.details.get("fields") if error.details else None
    detail = "; ".join(f"{name}: {' '.join(msgs)}" for name, msgs in fields.items()) if fields else ""
    click.echo(f"Error: {error.message}{' ' + detail if detail else ''} ({error.code})", err=True)
    sys.exit(1)


def _phone(_ctx, _param, value):
    try:
        return Phone().deserialize(value)
    except ma.ValidationError as error:
        raise click.BadParameter(" ".join(error.messages)) from None


def _checked_password(value: str) -> str:
    problem = staff.password_problem(value)
    if problem:
        raise click.UsageError(problem)  # click.prompt shows it and asks again
    return value


def _read_password_from_stdin() -> str:
    return sys.stdin.readline().removesuffix("\n").removesuffix("\r")


@staff_cli.command("create", help=f"Create a staff account and print it. The password needs {staff.PASSWORD_RULE}.")
@click.option("--phone", required=True, callback=_phone, help="Mainland mobile number (11 digits).")
@click.option("--role", required=True, type=click.Choice(staff.STAFF_ROLES))
@click.option("--password-stdin", is_flag=True,
              help="Read the password from the first line of standard input instead of prompting.")
def create(phone, role, password_stdin):
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
    _echo(staff.staff_view(account))


@staff_cli.command("list")
def list_():
    """List staff accounts, active or not, oldest first."""
    _echo([staff.staff_view(account, full=True) for account in staff.list_accounts()])


@staff_cli.command("deactivate")
@click.option("--id", "staff_id", required=True, help="The staff account's id.")
def deactivate(staff_id):
    """Deactivate a staff account; its sessions end at once."""
    try:
        ended = staff.deactivate(staff_id)
    except AppError as error:
        _fail(error)
    _echo({**staff.staff_view(staff.get(staff_id), full=True), "sessions_ended": ended})


@staff_cli.command("set-role")
@click.option("--id", "staff_id", required=True, help="The staff account's id.")
@click.option("--role", required=True, type=click.Choice(staff.STAFF_ROLES))
def set_role(staff_id, role):
    """Change a staff account's role; its sessions end (their tokens carry the old role)."""
    try:
        account, ended = staff.set_role(staff_id, role)
    except AppError as error:
        _fail(error)
    _echo({**staff.staff_view(account, full=True), "sessions_ended": ended})
