"""The `flask` command groups, registered by name and imported only when used.

`flask --help` lists the groups from this table without importing any of them (and
without building the rest of the app: see ``create_app``), so it answers in well under
a second and a half; `flask staff create ...` imports only what that group needs and
then builds the app as before.

A group's help (`flask staff --help`) imports the group's module but not the app's:
so the command modules import their services inside the commands, and a domain whose
commands live in its package (identity, licences) opens its face lazily.
tests/foundation/test_cli_help.py checks which modules a help text imports.
"""

from __future__ import annotations

import importlib

import click

# name: ("module:attribute", the group's help as `flask --help` shows it)
COMMAND_GROUPS: dict[str, tuple[str, str]] = {
    "audit": ("nanhaitong.audit.cli:audit_cli", "Audit log tools."),
    "crypto": ("nanhaitong.crypto_cli:crypto_cli", "The cryptographic suite (docs/crypto.md)."),
    "db": ("nanhaitong.migrations.runner:db_cli", "Database migrations (Alembic)."),
    "demo": ("nanhaitong.demo:demo_cli", "Demo data for the embedded (sandbox) mode."),
    "fields": ("nanhaitong.ops_cli:fields_cli", "Encrypted personal-data columns."),
    "gov-services": ("nanhaitong.gov_services.cli:gov_services_cli",
                     "Provincial services: catalogue and application status."),
    "keys": ("nanhaitong.identity.cli:keys_cli",
             "Access-token signing keys (shared by every instance through the database)."),
    "licences": ("nanhaitong.licences.cli:licences_cli", "E-licence jobs."),
    "messages": ("nanhaitong.messages.cli:messages_cli", "The message inbox and its pushes."),
    "openapi": ("nanhaitong.cli:openapi_cli", "The checked-in OpenAPI document."),
    "partners": ("nanhaitong.partners.cli:partners_cli", "Partner platforms (OpenAPI clients)."),
    "payments": ("nanhaitong.payments.cli:payments_cli", "Payment jobs: expiry and reconciliation."),
    "secrets": ("nanhaitong.ops_cli:secrets_cli", "Production secrets."),
    "sms": ("nanhaitong.sms_cli:sms_cli", "SMS templates registered with the gateway."),
    "staff": ("nanhaitong.identity.cli:staff_cli", "Staff (operator) accounts."),
}


def load(target: str):
    """``"module:attribute"``, imported now."""
    module, _, attribute = target.partition(":")
    return getattr(importlib.import_module(module), attribute)


class LazyChoice(click.Choice):
    """A ``click.Choice`` whose choices live in a module the group's help must not import
    (partner scopes, payment channels): read the first time a value is checked or shown."""

    def __init__(self, target: str, case_sensitive: bool = True):
        self._target, self._choices, self.case_sensitive = target, None, case_sensitive

    @property
    def choices(self):
        if self._choices is None:
            self._choices = tuple(load(self._target))
        return self._choices

    @choices.setter
    def choices(self, value):
        self._choices = tuple(value)


class LazyGroup(click.Group):
    """A command group whose commands are imported on first use."""

    def __init__(self, name: str, target: str, help: str):
        super().__init__(name=name, help=help)
        self._target, self._loaded = target, None

    def loaded(self) -> click.Group:
        if self._loaded is None:
            self._loaded = load(self._target)
        return self._loaded

    def list_commands(self, ctx):
        return self.loaded().list_commands(ctx)

    def get_command(self, ctx, cmd_name):
        return self.loaded().get_command(ctx, cmd_name)


def register(app) -> None:
    for name, (target, help_text) in COMMAND_GROUPS.items():
        app.cli.add_command(LazyGroup(name, target, help_text))
