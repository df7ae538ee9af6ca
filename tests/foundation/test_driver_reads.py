"""Reads through the driver give what the session gives for the same statement (types
converted, protected columns decrypted), and fail as the session does."""

from datetime import datetime

import pytest
from sqlalchemy import bindparam, literal_column, select
from sqlalchemy.exc import DBAPIError

from nanhaitong import db
from nanhaitong.driver_reads import DriverRead
from nanhaitong.identity.models import AuthSession, User
from nanhaitong.ids import new_id
from tests.support.citizens import user_id


def test_rows_are_the_sessions_rows(app, sign_in):
    citizen = sign_in()
    users, sessions = User.__table__, AuthSession.__table__
    statement = (select(users.c.id, users.c.phone, users.c.real_name, users.c.created_at, sessions.c.expires_at,
                        sessions.c.revoked_at, literal_column("'fixed'").label("fixed"))
                 .join_from(users, sessions, sessions.c.account_id == users.c.id)
                 .where(users.c.id == bindparam("user_id"), sessions.c.account_kind == "citizen"))
    with app.app_context():
        expected = [tuple(row) for row in db.session().execute(statement, {"user_id": user_id(citizen)})]
        rows = DriverRead(statement).rows({"user_id": user_id(citizen)})
    assert expected and [tuple(row) for row in rows] == expected
    first = rows[0]
    assert first.phone == "13800138001" and isinstance(first.created_at, datetime) and first.fixed == "fixed"


def test_a_driver_error_is_sqlalchemys(app):
    broken = select(User.__table__.c.id).where(User.__table__.c.id == bindparam("user_id")).where(
        literal_column("no_such_column") == 1)
    with app.app_context(), pytest.raises(DBAPIError):
        DriverRead(broken).rows({"user_id": "x"})


def test_what_the_session_holds_unsent_is_read(app, sign_in):
    citizen = sign_in()
    users = User.__table__
    by_id = DriverRead(select(users.c.id).where(users.c.id.in_(bindparam("ids", expanding=True))))
    with app.app_context():
        added = User(id=new_id(), phone="13900000099", phone_index="0" * 64, assurance_level=1)
        db.session().add(added)
        found = by_id.rows({"ids": [user_id(citizen), added.id, "nobody"]})
        db.session().rollback()
    assert {row.id for row in found} == {user_id(citizen), added.id}
