"""Search every table of the database for a person: their phone, ID number and name in
clear, inside any encrypted column (decrypted with its own context), or as the blind
index digest of the phone or ID number. Tables come from the database itself, so a table
added later is searched too."""

from __future__ import annotations

from sqlalchemy import inspect, text

from nanhaitong import db
from nanhaitong.db import Base
from nanhaitong.identity.codes import phone_index
from nanhaitong.identity.verification import id_number_index
from nanhaitong.security.fields import EncryptedText


def _encrypted_columns(table_name: str) -> dict[str, str]:
    table = Base.metadata.tables.get(table_name)
    if table is None:
        return {}
    return {c.name: c.type.context for c in table.columns if isinstance(c.type, EncryptedText)}


def find_person(app, *, phone: str, id_number: str, name: str, retained=lambda table, row: False) -> list[tuple]:
    """Every (table, column, what was found, row id) outside the rows ``retained`` keeps.
    Blind-index digests are looked for in every row, retained or not."""
    found = []
    with app.app_context():
        cipher = app.extensions["nht.cipher"]
        digests = {"phone_index": phone_index(phone), "id_number_index": id_number_index(id_number)}
        plain = {"phone": phone, "id_number": id_number, "name": name}
        engine = db.engine()
        with engine.connect() as conn:
            for table_name in inspect(engine).get_table_names():
                if table_name == "alembic_version":
                    continue
                encrypted = _encrypted_columns(table_name)
                for row in conn.execute(text(f'SELECT * FROM "{table_name}"')).mappings():
                    row = dict(row)
                    keep = retained(table_name, row)
                    for column, value in row.items():
                        if value is None:
                            continue
                        if isinstance(value, (bytes, bytearray, memoryview)):
                            texts = [bytes(value).decode("utf-8", "replace"), bytes(value).decode("latin-1")]
                        else:
                            texts = [str(value)]
                        if column in encrypted:
                            texts.append(cipher.decrypt(str(value), context=encrypted[column]))
                        ident = row.get("id", row.get("seq", row.get("key")))
                        for label, needle in digests.items():
                            if any(needle in t for t in texts):
                                found.append((table_name, column, label, ident))
                        if keep:
                            continue
                        for label, needle in plain.items():
                            if any(needle in t for t in texts):
                                found.append((table_name, column, label, ident))
    return found
