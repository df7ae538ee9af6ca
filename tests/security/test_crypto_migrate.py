"""Switching NHT_CRYPTO_SUITE: old data stays readable, `flask crypto migrate` moves it.

Two apps over one database: one international, then one national (as a redeploy with
the setting changed would be), driven over the API and the CLI as an operator would.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

from sqlalchemy import inspect, select, text

from nanhaitong import crypto_migration, db
from nanhaitong.messages.models import Device
from nanhaitong.one_stop.models import Case
from nanhaitong.payments.models import UtilityAccount
from nanhaitong.security.fields import normalize_phone
from tests.support.citizens import sign_in_with

PHONE = "13800138041"
GAS, PUSH = "6100123456", "apns-token-0123456789abcdef"
FORM = {"name": "张三", "address": "佛山市南海区桂城街道1号"}
# A value encrypted by FieldCipher, under either suite (v1.<kid>.<b64>, v2.<alg>.<kid>.<b64>).
TOKEN = re.compile(r"^v(?:1|2\.[A-Za-z0-9]{1,16})\.[A-Za-z0-9_-]{1,32}\.[A-Za-z0-9_-]{30,}$")
NATIONAL = "v2.SM4GCM."
ROOT = Path(__file__).resolve().parents[2]
# Values the code seals with the field cipher itself, and why none of them is a database
# column (so `flask crypto migrate` has nothing of theirs to move): context -> where it lives.
SEALED_OUTSIDE_THE_DATABASE = {
    "SMS_CONTEXT": "a queued SMS job's argument (the broker); re-read within minutes",
    "CACHE_CONTEXT": "gov services' query cache in Redis, expiring",
    "_PHONE_CONTEXT": "the consent page's signed session cookie, minutes long",
}


def raw(app, sql: str):
    with app.extensions["nht.engine"].connect() as conn:
        return conn.execute(text(sql)).all()


def test_a_switch_keeps_data_readable_and_migrate_moves_it_with_progress(make_app):
    before = make_app(CRYPTO_SUITE="international")
    citizen = sign_in_with(before, before.test_client())(PHONE)
    [(user_id, stored, index)] = raw(before, "SELECT id, phone, phone_index FROM users")
    assert stored.startswith("v1.")
    with before.app_context():  # rows of the other indexed tables, as their services write them
        blind = before.extensions["nht.blind_index"]
        with db.unit_of_work():
            db.session().add(UtilityAccount(owner_kind="citizen", owner_id=user_id, kind="gas", number=GAS,
                                            number_index=blind.digest(GAS, domain="utility.gas")))
            db.session().add(Device(user_id=user_id, platform="ios", token=PUSH,
                                    token_index=blind.digest(PUSH, domain="push_token")))
            db.session().add(Case(number="NH-MIGRATE-1", owner_kind="citizen", owner_id=user_id, channel="counter",
                                  form=json.dumps(FORM, ensure_ascii=False), status="accepted",
                                  accepted_on="2026-01-05", created_by="test"))

    after = make_app(CRYPTO_SUITE="national")
    client = after.test_client()
    # Readable after the switch: the ES256 token issued before it, the AES-GCM phone.
    me = client.get("/api/v1/me", headers={"Authorization": f"Bearer {citizen.tokens['access_token']}"})
    assert me.status_code == 200, me.get_json()
    assert me.get_json()["phone"].endswith(PHONE[-4:])

    result = after.test_cli_runner().invoke(args=["crypto", "migrate", "--batch-size", "2"])
    assert result.exit_code == 0, result.output
    assert "re-encrypt users.phone: 1 rows, 1 re-encrypted" in result.output  # progress
    summary = json.loads(result.stdout.strip().splitlines()[-1])
    assert summary["suite"] == "national" and summary["reencrypted"] >= 2 and summary["reindexed"] >= 1

    [(stored_after, index_after)] = raw(after, "SELECT phone, phone_index FROM users")
    assert stored_after.startswith("v2.SM4GCM.") and index_after != index
    with after.app_context():
        assert index_after == after.extensions["nht.blind_index"].digest(PHONE, domain="phone",
                                                                         normalize=normalize_phone)
    with after.app_context():
        blind = after.extensions["nht.blind_index"]
        assert raw(after, "SELECT number_index FROM utility_accounts") == [(blind.digest(GAS, domain="utility.gas"),)]
        assert raw(after, "SELECT token_index FROM devices") == [(blind.digest(PUSH, domain="push_token"),)]
    [(key_stored,)] = raw(after, "SELECT private_key FROM signing_keys WHERE algorithm = 'ES256'")
    assert key_stored.startswith("v2.SM4GCM.")
    assert raw(after, "SELECT kid FROM signing_keys WHERE algorithm = 'SM2SM3' AND retired_at IS NULL")

    [(form_stored,)] = raw(after, "SELECT form FROM one_stop_cases")
    assert form_stored.startswith(NATIONAL)
    with after.app_context():
        assert json.loads(db.session().execute(select(Case.form)).scalar_one()) == FORM
    assert not _left_behind(after), "encrypted values `flask crypto migrate` did not move"

    # The same person signs in again under the national suite: found through the new index.
    again = sign_in_with(after, client)(PHONE)
    assert again.tokens["access_token"].startswith("eyJ")
    assert client.get("/api/v1/me", headers=again.headers).get_json()["id"] == user_id

    # The audit chain verifies across the switch, each link under its own algorithm.
    algs = [alg for (alg,) in raw(after, "SELECT hash_alg FROM audit_events ORDER BY seq")]
    assert algs[0] is None and "HMAC-SM3" in algs
    [(action, alg)] = raw(after, "SELECT action, hash_alg FROM audit_events WHERE action = 'crypto.suite_migrated'")
    assert alg == "HMAC-SM3"
    for app in (after, before):
        verified = app.test_cli_runner().invoke(args=["audit", "verify"])
        assert verified.exit_code == 0 and json.loads(verified.output)["ok"], verified.output

    # A second run has nothing left to do.
    rerun = after.test_cli_runner().invoke(args=["crypto", "migrate"])
    assert json.loads(rerun.stdout.strip().splitlines()[-1])["reencrypted"] == 0
    status = after.test_cli_runner().invoke(args=["crypto", "status"])
    assert json.loads(status.output)["values_to_reencrypt"] == 0


def _left_behind(app) -> list[tuple[str, str]]:
    """Every (table, column) of the database still holding a value encrypted under another
    suite than the national one: a column encrypted but not covered by the migration. The
    tables and columns come from the database itself, so a table added later is searched too."""
    found = set()
    with app.extensions["nht.engine"].connect() as conn:
        for table in inspect(conn).get_table_names():
            for row in conn.execute(text(f'SELECT * FROM "{table}"')).mappings():
                found |= {(table, column) for column, value in row.items()
                          if isinstance(value, str) and TOKEN.match(value) and not value.startswith(NATIONAL)}
    return sorted(found)


def test_every_encrypted_column_is_one_the_migration_sweeps():
    """The migration finds the columns to re-encrypt by their type (``EncryptedText``); a
    column the code encrypted by hand (the cipher's ``encrypt`` into a plain Text column)
    would be missed. So the code seals values by hand only where nothing is stored in the
    database, each named here with the reason; any other ``encrypt(..., context=...)``
    outside nanhaitong/security fails this test."""
    contexts = {f"{table.name}.{column.name}": context
                for table, column, context in crypto_migration._encrypted_columns()}
    assert contexts["one_stop_cases.form"] == "one_stop.case_form"
    assert "gov_applications.form" in contexts and "users.phone" in contexts
    by_hand = set()
    for path in (ROOT / "nanhaitong").rglob("*.py"):
        if "security" in path.relative_to(ROOT / "nanhaitong").parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute) and node.func.attr == "encrypt"
                    and any(k.arg == "context" for k in node.keywords)):
                [context] = [k.value for k in node.keywords if k.arg == "context"]
                by_hand.add((str(path.relative_to(ROOT)), ast.unparse(context)))
    unexplained = {(where, name) for where, name in by_hand if name not in SEALED_OUTSIDE_THE_DATABASE}
    assert not unexplained, ("sealed by hand: make the column an EncryptedText so `flask crypto migrate` "
                             "re-encrypts it", unexplained)
