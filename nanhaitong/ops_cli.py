"""Operators' tools: `flask fields reencrypt` (after a field-key change) and
`flask secrets generate` (a production instance's secrets)."""

from __future__ import annotations

import json
import shlex
import sys

import click
from flask.cli import AppGroup

fields_cli = AppGroup("fields", help="Encrypted personal-data columns.")
secrets_cli = click.Group("secrets", help="Production secrets.")  # needs no app


def _encrypted_columns():
    """(table, primary-key column, column, context) of every encrypted column, table by table."""
    from .db import Base
    from .security.fields import EncryptedText

    for table in sorted(Base.metadata.tables.values(), key=lambda t: t.name):
        keys = list(table.primary_key.columns)
        for column in table.columns:
            if isinstance(column.type, EncryptedText) and len(keys) == 1:
                yield table, keys[0], column, column.type.context


@fields_cli.command("reencrypt")
@click.option("--batch-size", default=500, show_default=True, help="Rows per transaction.")
def reencrypt(batch_size):
    """Re-encrypt every value not under the current field key (NHT_FIELD_KEY_CURRENT).

    Each batch is its own transaction and a value already under the current key is left
    alone, so an interrupted run is resumed by running it again. Prints progress per
    column and a total; exits 1 if a value cannot be decrypted with the keys given."""
    from flask import current_app
    from sqlalchemy import Text, select, type_coerce

    from . import db
    from .audit.service import record as audit
    from .security.fields import DecryptionError

    cipher = current_app.extensions["nht.cipher"]
    session = db.session()
    total, failures = 0, 0
    for table, key, column, context in _encrypted_columns():
        raw = type_coerce(column, Text)  # the stored token, not decrypted
        last, checked, changed = None, 0, 0
        while True:
            query = select(key, raw).where(column.isnot(None)).order_by(key).limit(batch_size)
            if last is not None:
                query = query.where(key > last)
            rows = session.execute(query).all()
            if not rows:
                break
            with db.unit_of_work("reencrypt_batch"):
                for ident, token in rows:
                    checked += 1
                    try:
                        if not cipher.needs_rotation(token):
                            continue
                        fresh = cipher.reencrypt(token, context=context)
                    except DecryptionError:
                        failures += 1
                        click.echo(f"  cannot decrypt {table.name}.{column.name} {key.name}={ident}", err=True)
                        continue
                    session.execute(table.update().where(key == ident, raw == token)
                                    .values({column.name: type_coerce(fresh, Text)}))
                    changed += 1
            last = rows[-1][0]
            click.echo(f"{table.name}.{column.name}: {checked} checked, {changed} re-encrypted", err=True)
        if checked:
            click.echo(f"{table.name}.{column.name}: done ({changed} of {checked} re-encrypted)")
        total += changed
    with db.unit_of_work("audit_reencryption"):
        audit("fields.reencrypted", actor="system:cli", details={"values": total, "failures": failures,
                                                                  "key": cipher.current_kid})
    click.echo(f"re-encrypted {total} value(s) under key {cipher.current_kid}")
    if failures:
        sys.exit(1)


@secrets_cli.command("generate")
@click.option("--format", "fmt", type=click.Choice(["env", "json"]), default="env", show_default=True,
              help="env: shell lines (export NHT_...=...); json: a secrets file.")
@click.option("--output", type=click.Path(dir_okay=False, writable=True), default=None,
              help="Write to this file (created 0600) instead of standard output.")
def generate(fmt, output):
    """Fresh production secrets: the session, field-encryption, blind-index and audit keys.

    The payment channels' keys are not among them: they are the merchant's, registered
    in the WeChat Pay and Alipay consoles. Keep these out of the repository and back them
    up apart from the database (losing the field keys loses the personal data, losing
    the blind-index key loses every look-up)."""
    import os

    from .security.fields import encode_key, generate_key

    secrets = {"SECRET_KEY": encode_key(generate_key()), "FIELD_KEYS": f"k1:{encode_key(generate_key())}",
               "FIELD_KEY_CURRENT": "k1", "BLIND_INDEX_KEY": encode_key(generate_key()),
               "AUDIT_KEY": encode_key(generate_key())}
    if fmt == "json":
        text = json.dumps(secrets, indent=2) + "\n"
    else:
        text = "".join(f"export NHT_{name}={shlex.quote(value)}\n" for name, value in secrets.items())
    if output is None:
        click.echo(text, nl=False)
        return
    fd = os.open(output, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(text)
    click.echo(f"wrote {len(secrets)} secrets to {output} (mode 0600)", err=True)
