"""Search every table of the database for a person: their phone, ID number and name in
clear, inside any encrypted value (decrypted with its own context), or as the blind
index digest of the phone or ID number. Tables come from the database itself, so a table
added later is searched too; so is every value that looks like a ciphertext, in any
column: one that no known context decrypts is reported (``undecryptable``), so a column a
domain encrypts by hand cannot hide what it holds from the search."""

from __future__ import annotations

import re

from sqlalchemy import inspect, text

from nanhaitong import db
from nanhaitong.db import Base
from nanhaitong.identity.codes import phone_index
from nanhaitong.identity.verification import id_number_index
from nanhaitong.security.fields import DecryptionError, EncryptedText

# Columns a domain encrypts itself (a Text column holding a token): table.column -> context.
# None today (one_stop_cases.form is an EncryptedText column, so `flask crypto migrate` moves it).
SEALED_BY_HAND: dict[str, str] = {}
TOKEN = re.compile(r"\bv(?:1|2\.[A-Za-z0-9]{1,16})\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{30,}")


def _contexts() -> dict[str, str]:
    """table.column -> context of every encrypted column the code knows."""
    found = dict(SEALED_BY_HAND)
    for table in Base.metadata.tables.values():
        for column in table.columns:
            if isinstance(column.type, EncryptedText):
                found[f"{table.name}.{column.name}"] = column.type.context
    return found


def _opened(cipher, token: str, own: str | None, every: set[str]) -> str | None:
    for context in ([own] if own else []) + sorted(every - {own}):
        try:
            return cipher.decrypt(token, context=context)
        except DecryptionError:
            continue
    return None


def find_person(app, *, phone: str, id_number: str, name: str, retained=lambda table, row: False) -> list[tuple]:
    """Every (table, column, what was found, row id) outside the rows ``retained`` keeps.
    Blind-index digests are looked for in every row, retained or not."""
    found = []
    with app.app_context():
        cipher = app.extensions["nht.cipher"]
        contexts = _contexts()
        every = set(contexts.values())
        digests = {"phone_index": phone_index(phone), "id_number_index": id_number_index(id_number)}
        plain = {"phone": phone, "id_number": id_number, "name": name}
        engine = db.engine()
        with engine.connect() as conn:
            for table_name in inspect(engine).get_table_names():
                if table_name == "alembic_version":
                    continue
                for row in conn.execute(text(f'SELECT * FROM "{table_name}"')).mappings():
                    row = dict(row)
                    keep = retained(table_name, row)
                    ident = row.get("id", row.get("seq", row.get("key")))
                    for column, value in row.items():
                        if value is None:
                            continue
                        if isinstance(value, (bytes, bytearray, memoryview)):
                            texts = [bytes(value).decode("utf-8", "replace"), bytes(value).decode("latin-1")]
                        else:
                            texts = [str(value)]
                        own = contexts.get(f"{table_name}.{column}")
                        for token in {t for s in list(texts) for t in TOKEN.findall(s)}:
                            opened = _opened(cipher, token, own, every)
                            if opened is None:
                                if not keep:
                                    found.append((table_name, column, "undecryptable", ident))
                            else:
                                texts.append(opened)
                        for label, needle in digests.items():
                            if any(needle in t for t in texts):
                                found.append((table_name, column, label, ident))
                        if keep:
                            continue
                        for label, needle in plain.items():
                            if any(needle in t for t in texts):
                                found.append((table_name, column, label, ident))
    return found
