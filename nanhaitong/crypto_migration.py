"""Moving stored data onto the configured crypto suite (`flask crypto status|migrate`).

Switching ``NHT_CRYPTO_SUITE`` changes what is written from then on; what was written
before stays readable (every ciphertext, signing key and audit link names its algorithm).
``flask crypto migrate`` then brings the stored data onto the suite, as a release step
after ``flask db upgrade``, with progress on standard output:

1. re-key: make a token-signing key of the suite's algorithm the current one;
2. re-encrypt every encrypted column whose value is under another algorithm or key;
3. recompute the blind indexes (until then lookups by phone or ID number would miss rows
   written under the other suite: run it before serving traffic);
4. re-sign the audit chain head: a ``crypto.suite_migrated`` event, linked to the old head
   and MACed with the suite's algorithm, so the chain verifies across the switch.

Each table's batch is its own unit of work: an interrupted run is resumed by running it
again (done rows no longer need anything).
"""

from __future__ import annotations

from collections.abc import Callable

import sqlalchemy as sa
from flask import current_app

from . import db, models  # noqa: F401  (every table, for the encrypted-column sweep)
from .audit.service import record as audit
from .identity import tokens
from .security.fields import EncryptedText, normalize_id_number, normalize_phone

# (table, index column, source column, domain, normaliser). A domain given as a callable
# is computed from the row. One-time SMS codes are not listed: they keep no phone and
# live five minutes; a code outstanding at the switch is simply requested again.
BLIND_INDEXES: tuple[tuple[str, str, str, str | Callable, Callable | None], ...] = (
    ("users", "phone_index", "phone", "phone", normalize_phone),
    ("users", "id_number_index", "id_number", "id_number", normalize_id_number),
    ("staff_accounts", "phone_index", "phone", "phone", normalize_phone),
    ("devices", "token_index", "token", "push_token", None),
    ("utility_accounts", "number_index", "number", lambda row: f"utility.{row.kind}", None),
)


def _encrypted_columns() -> list[tuple[sa.Table, sa.Column, str]]:
    found = []
    for table in db.Base.metadata.sorted_tables:
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                found.append((table, column, column.type.context))
    return found


def _pages(table: sa.Table, columns: list, batch_size: int):
    """Rows of ``table`` in primary-key order, a page at a time (keyset pagination)."""
    [pk] = table.primary_key.columns  # every table here has a one-column key
    last = None
    while True:
        query = sa.select(pk, *columns).order_by(pk).limit(batch_size)
        if last is not None:
            query = query.where(pk > last)
        rows = db.session().execute(query).all()
        if not rows:
            return
        yield pk, rows
        last = rows[-1][0]


def reencrypt(batch_size: int, echo: Callable[[str], None]) -> dict:
    cipher = current_app.extensions["nht.cipher"]
    counts = {}
    for table, column, context in _encrypted_columns():
        raw = sa.type_coerce(column, sa.Text).label("raw")
        changed = seen = 0
        for pk, rows in _pages(table, [raw], batch_size):
            updates = [{"_pk": key, "_v": cipher.reencrypt(value, context=context)}
                       for key, value in rows if value is not None and cipher.needs_rotation(value)]
            if updates:
                with db.unit_of_work("reencrypt"):
                    db.session().execute(
                        table.update().where(pk == sa.bindparam("_pk"))
                        .values({column.name: sa.type_coerce(sa.bindparam("_v"), sa.Text)}), updates)
            seen, changed = seen + len(rows), changed + len(updates)
            echo(f"re-encrypt {table.name}.{column.name}: {seen} rows, {changed} re-encrypted")
        counts[f"{table.name}.{column.name}"] = changed
    return counts


def reindex(batch_size: int, echo: Callable[[str], None]) -> dict:
    index = current_app.extensions["nht.blind_index"]
    tables = db.Base.metadata.tables
    counts = {}
    for table_name, index_name, source_name, domain, normalize in BLIND_INDEXES:
        table = tables[table_name]
        extra = [table.c.kind] if callable(domain) else []
        changed = seen = 0
        for pk, rows in _pages(table, [table.c[source_name], table.c[index_name], *extra], batch_size):
            updates = []
            for row in rows:
                value, current = row[1], row[2]
                if value is None:
                    continue
                digest = index.digest(value, domain=domain(row) if callable(domain) else domain, normalize=normalize)
                if digest != current:
                    updates.append({"_pk": row[0], "_v": digest})
            if updates:
                with db.unit_of_work("reindex"):
                    db.session().execute(table.update().where(pk == sa.bindparam("_pk"))
                                         .values({index_name: sa.bindparam("_v")}), updates)
            seen, changed = seen + len(rows), changed + len(updates)
            echo(f"re-index {table_name}.{index_name}: {seen} rows, {changed} recomputed")
        counts[f"{table_name}.{index_name}"] = changed
    return counts


def rekey(echo: Callable[[str], None]) -> str:
    algorithm = tokens.token_algorithm()
    kid, _ = tokens.keyring().signing_key(algorithm)  # made on first use
    echo(f"re-key: tokens are signed {algorithm} with key {kid}")
    return kid


@db.unit_of_work("audit head")
def resign_head(summary: dict) -> str:
    event = audit("crypto.suite_migrated", actor="cli:crypto-migrate", object_type="crypto_suite",
                  object_id=current_app.config["CRYPTO_SUITE"], details=summary)
    return event.hash


def migrate_all(batch_size: int = 500, echo: Callable[[str], None] = lambda _line: None) -> dict:
    suite = current_app.extensions["nht.suite"]
    echo(f"suite: {suite.name} (fields {suite.aead}, keyed hashes {suite.mac}, tokens {suite.token_alg})")
    summary = {"suite": suite.name, "signing_kid": rekey(echo),
               "reencrypted": sum(reencrypt(batch_size, echo).values()),
               "reindexed": sum(reindex(batch_size, echo).values())}
    summary["audit_head"] = resign_head(summary)
    echo(f"audit chain head re-signed with {suite.mac}: {summary['audit_head']}")
    return summary


def values_to_reencrypt() -> int:
    """How many stored values are under another algorithm or key than the configured ones."""
    cipher = current_app.extensions["nht.cipher"]
    pending = 0
    for table, column, _ in _encrypted_columns():
        raw = sa.type_coerce(column, sa.Text).label("raw")
        for _, rows in _pages(table, [raw], 1000):
            pending += sum(1 for _, value in rows if value is not None and cipher.needs_rotation(value))
    return pending
