"""`flask crypto status|migrate`: move stored data onto the configured crypto suite.

The work is nanhaitong.crypto_migration's (see there for the steps); it is imported inside
the commands, so `flask crypto --help` stays light (nanhaitong.cli_lazy).
"""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

crypto_cli = AppGroup("crypto", help="The cryptographic suite (docs/crypto.md).")


@crypto_cli.command("migrate")
@click.option("--batch-size", default=500, show_default=True, help="Rows per transaction.")
def migrate(batch_size):
    """Re-key, re-encrypt, re-index and re-sign the audit chain head under NHT_CRYPTO_SUITE."""
    from .crypto_migration import migrate_all

    summary = migrate_all(batch_size, echo=lambda line: click.echo(line, err=True))
    click.echo(json.dumps(summary))


@crypto_cli.command("status")
def status():
    """The configured suite and how many stored values are under another algorithm or key."""
    from .crypto_migration import values_to_reencrypt

    pending = values_to_reencrypt()
    suite = current_app.extensions["nht.suite"]
    click.echo(json.dumps({"suite": suite.name, "field_encryption": suite.aead, "keyed_hash": suite.mac,
                           "token_signature": suite.token_alg, "values_to_reencrypt": pending}))
