"""When the database drops our connections (a restart, a failover), each stale pooled
connection fails once as 503 database_unavailable with Retry-After, and the retry works."""

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.pool import NullPool

from tests.conftest import BACKEND
from tests.support.errors import assert_error


@pytest.mark.skipif(BACKEND != "postgresql", reason="needs a database server that can end our connections")
def test_a_dropped_connection_answers_503_once_then_recovers(app, sign_in):
    citizen = sign_in()
    assert citizen.get("/api/v1/me").status_code == 200
    admin = create_engine(app.config["DATABASE_URL"], poolclass=NullPool)  # not one of the app's connections
    with admin.connect() as conn:
        ended = conn.execute(text(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar()
    admin.dispose()
    assert ended >= 1
    refused = citizen.get("/api/v1/me")
    body = assert_error(refused, 503, "database_unavailable")
    assert refused.headers["Retry-After"] == "1" and "Traceback" not in body["message"]
    assert citizen.get("/api/v1/me").status_code == 200
