"""The audit chain records events and catches any modified, deleted, reordered or inserted one."""

import json

import pytest
from sqlalchemy import text

from nanhaitong import db
from nanhaitong.audit import service as audit


@pytest.fixture
def recorded(app):
    """Five committed events; yields a function running SQL with the append-only guard lifted."""
    with app.test_request_context("/", environ_base={"REMOTE_ADDR": "203.0.113.7"}, headers={"X-Request-ID": "req-1"}):
        app.preprocess_request()
        for n in range(5):
            audit.record("test.action", object_type="thing", object_id=f"t{n}", actor="user:u1",
                         on_behalf_of="enterprise:e1" if n == 2 else None, details={"n": n})
        db.session().commit()

    def tamper(*statements):
        with app.app_context():
            with db.engine().begin() as conn:
                if conn.dialect.name == "postgresql":
                    conn.execute(text("ALTER TABLE audit_events DISABLE TRIGGER audit_events_append_only"))
                else:
                    conn.execute(text("DROP TRIGGER audit_events_no_update"))
                    conn.execute(text("DROP TRIGGER audit_events_no_delete"))
                for statement in statements:
                    conn.execute(text(statement))
                if conn.dialect.name == "postgresql":
                    conn.execute(text("ALTER TABLE audit_events ENABLE TRIGGER audit_events_append_only"))

    return tamper


def verify(app):
    with app.app_context():
        return audit.verify_chain(batch_size=2)  # small batches walk the batching path too


def test_events_carry_who_for_whom_what_where_and_result(app, recorded):
    with app.app_context():
        rows = db.session().execute(text("SELECT * FROM audit_events ORDER BY seq")).mappings().all()
    assert [r["seq"] for r in rows] == [1, 2, 3, 4, 5]
    third = rows[2]
    assert third["actor"] == "user:u1" and third["on_behalf_of"] == "enterprise:e1"
    assert third["action"] == "test.action" and third["object_id"] == "t2"
    assert third["source_ip"] == "203.0.113.7" and third["request_id"] == "req-1"
    assert third["result"] == "success" and json.loads(third["details"]) == {"n": 2}
    assert third["occurred_at"].endswith("Z")
    assert rows[3]["prev_hash"] == third["hash"]


def test_intact_chain_verifies(app, recorded):
    report = verify(app)
    assert report.ok and report.events == 5


def test_empty_chain_verifies(app):
    assert verify(app).ok


def test_rolled_back_work_leaves_no_event(app):
    with app.app_context():
        audit.record("test.action")
        db.session().rollback()
        assert verify(app).events == 0


def test_database_refuses_update_and_delete(app, recorded):
    with app.app_context():
        for statement in ("UPDATE audit_events SET result = 'failure' WHERE seq = 1",
                          "DELETE FROM audit_events WHERE seq = 1"):
            with pytest.raises(Exception, match="append-only"):
                with db.engine().begin() as conn:
                    conn.execute(text(statement))


def test_modified_field_detected(app, recorded):
    recorded("UPDATE audit_events SET result = 'failure' WHERE seq = 3")
    report = verify(app)
    assert (report.ok, report.problem, report.seq) == (False, "modified_event", 3)


def test_modified_details_detected(app, recorded):
    recorded("""UPDATE audit_events SET details = '{"n": 99}' WHERE seq = 4""")
    assert (verify(app).problem, verify(app).seq) == ("modified_event", 4)


def test_deleted_middle_event_detected(app, recorded):
    recorded("DELETE FROM audit_events WHERE seq = 2")
    report = verify(app)
    assert (report.ok, report.problem, report.seq) == (False, "missing_event", 2)


def test_deleted_tail_detected(app, recorded):
    recorded("DELETE FROM audit_events WHERE seq = 5")
    report = verify(app)
    assert (report.ok, report.problem) == (False, "truncated_chain")


def test_reordered_events_detected(app, recorded):
    recorded(
        "UPDATE audit_events SET seq = 100 WHERE seq = 2",
        "UPDATE audit_events SET seq = 2 WHERE seq = 3",
        "UPDATE audit_events SET seq = 3 WHERE seq = 100",
    )
    report = verify(app)
    assert (report.ok, report.problem, report.seq) == (False, "broken_link", 2)


def test_inserted_event_detected(app, recorded):
    # A forger renumbers the tail and slips a record in, copying a valid-looking link.
    recorded(
        "UPDATE audit_events SET seq = seq + 100 WHERE seq >= 3",
        "UPDATE audit_events SET seq = seq - 99 WHERE seq >= 103",
        "INSERT INTO audit_events (seq, id, occurred_at, actor, action, result, details, prev_hash, hash) "
        "SELECT 3, 'FORGED0000000000000000000X', occurred_at, actor, 'test.forged', result, details, hash, hash "
        "FROM audit_events WHERE seq = 2",
    )
    report = verify(app)
    assert (report.ok, report.problem, report.seq) == (False, "modified_event", 3)


def test_rewritten_chain_without_the_key_detected(app, recorded):
    # Recomputing plain SHA-256 links is not enough: links are keyed with NHT_AUDIT_KEY.
    recorded("UPDATE audit_events SET hash = CASE WHEN substr(hash, 1, 1) = 'f' THEN '0' ELSE 'f' END"
             " || substr(hash, 2) WHERE seq = 5")  # a changed first digit, whatever it was
    assert not verify(app).ok


def test_cli_verify_exit_status(app, recorded, runner):
    ok = runner.invoke(args=["audit", "verify"])
    assert ok.exit_code == 0 and json.loads(ok.output)["events"] == 5
    recorded("UPDATE audit_events SET actor = 'user:someone-else' WHERE seq = 1")
    broken = runner.invoke(args=["audit", "verify"])
    assert broken.exit_code == 1
    assert json.loads(broken.output) == {"ok": False, "events": 0, "problem": "modified_event", "seq": 1}


def test_result_vocabulary_enforced(app):
    with app.app_context(), pytest.raises(ValueError):
        audit.record("test.action", result="maybe")


def test_the_head_moves_and_the_event_lands_in_one_statement_once_the_head_is_locked(app):
    """Every appender waits for the head's lock: on PostgreSQL the locked stretch is one
    statement and the commit, not two statements and the commit."""
    from sqlalchemy import event

    statements: list[str] = []

    def seen(conn, cursor, statement, *args):
        statements.append(" ".join(statement.split()))

    with app.app_context():
        audit.record("test.first")  # no head yet: it is made
        db.session().commit()
        event.listen(db.engine(), "before_cursor_execute", seen)
        try:
            audit.record("test.second", details={"n": 2})
            audit.record("test.third", details={"n": 3})  # in the same transaction: sees the head just moved
            db.session().commit()
        finally:
            event.remove(db.engine(), "before_cursor_execute", seen)
        postgresql = db.engine().dialect.name == "postgresql"
    locks = [n for n, s in enumerate(statements) if s.startswith("SELECT") and "audit_chain_head" in s]
    assert len(locks) == 2
    for lock in locks:
        after = statements[lock + 1:lock + 3]
        if postgresql:
            assert "FOR UPDATE" in statements[lock]
            assert after[0].startswith("WITH") and "UPDATE audit_chain_head" in after[0] \
                and "INSERT INTO audit_events" in after[0]
        else:
            assert after[0].startswith("UPDATE audit_chain_head") and after[1].startswith("INSERT INTO audit_events")
    report = verify(app)
    assert report.ok and report.events == 3
