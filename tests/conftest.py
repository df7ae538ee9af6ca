"""Fixtures: a fresh migrated database and a live HTTP server per test, on either backend.

NHT_TEST_BACKEND=sqlite (default) or postgresql (with NHT_TEST_POSTGRES_URL and
NHT_TEST_REDIS_URL). The schema comes from the Alembic migrations only. Each test gets
its own app serving on a loopback port, with the sandbox mounted under /sandbox, so the
integration clients reach it over real HTTP exactly as `make run` does.
"""

from __future__ import annotations

import contextlib
import gc
import os
import shutil
import socket
import threading

import pytest
from sqlalchemy import create_engine, text
from werkzeug.serving import make_server

from nanhaitong import create_app
from nanhaitong.config import normalize_database_url
from nanhaitong.migrations.runner import upgrade
from tests.crypto_suite import SUITE as CRYPTO_SUITE
from tests.route_builders import install as memoize_route_builders
from tests.route_builders import install_matcher as lean_route_matcher
from tests.route_builders import install_parse as memoize_route_parsing
from tests.shared_celery import install as share_celery_apps
from tests.shared_engines import install as share_engines
from tests.shared_engines import release_all as release_engines
from tests.shared_sandbox import install as sign_sandbox_licences_once
from tests.support.citizens import sign_in_with
from tests.support.live_server import Handler, answer
from tests.upstream_sessions import install as settle_upstream_sessions_once

memoize_route_builders()  # an app per test: the same URL rules compiled once per process
memoize_route_parsing()  # ... and parsed once
lean_route_matcher()  # ... and matched by a tree built without throwaway states
share_engines()  # ... and one engine per database URL, its compiled SQL kept across tests
sign_sandbox_licences_once()  # the sandbox's e-licence CA and demo licences made once per process
settle_upstream_sessions_once()  # what the environment says for an upstream URL, read once
share_celery_apps()  # ... and the eager apps' Celery app made, its tasks bound, once

BACKEND = os.environ.get("NHT_TEST_BACKEND", "sqlite")
# Under pytest-xdist each worker (gw0, gw1, ...) has a database and a Redis db of its own.
WORKER = os.environ.get("PYTEST_XDIST_WORKER", "")
_BASE_POSTGRES_URL = os.environ.get("NHT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
_BASE_REDIS_URL = os.environ.get("NHT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _per_worker(postgres_url: str, redis_url: str) -> tuple[str, str]:
    if not WORKER:
        return postgres_url, redis_url
    index = int(WORKER.removeprefix("gw"))
    base, _, database = postgres_url.rpartition("/")
    redis_base, _, redis_db = redis_url.rpartition("/")
    # Workers' Redis dbs lie below the base one, which a run without workers (the fuzzing,
    # at the same time) uses.
    return f"{base}/{database}_{WORKER}", f"{redis_base}/{int(redis_db) - index - 1}"


POSTGRES_URL, REDIS_URL = _per_worker(_BASE_POSTGRES_URL, _BASE_REDIS_URL)


def pytest_report_header(config):
    return f"nanhaitong backend: {BACKEND}" + (
        f" ({POSTGRES_URL}, redis {REDIS_URL})" if BACKEND == "postgresql" else " (SQLite file per test, in-process Redis stand-ins)"
    ) + f"; crypto suite: {CRYPTO_SUITE}"


@pytest.fixture(scope="session")
def secrets_dir(tmp_path_factory):
    # One generated secrets file for the whole run: every app decrypts what another wrote.
    return tmp_path_factory.mktemp("var")


@pytest.fixture(scope="session")
def database_template(tmp_path_factory):
    """A migrated database; per test it is copied (SQLite) or emptied (PostgreSQL)."""
    if BACKEND == "postgresql":
        _create_database(POSTGRES_URL)  # a worker's, or a run's own (the national suite's)
        url = normalize_database_url(POSTGRES_URL)
        engine = create_engine(url)
        with engine.begin() as conn:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
            # A test database is thrown away: its commits need not wait for the disk.
            conn.execute(text(f'ALTER DATABASE "{engine.url.database}" SET synchronous_commit = off'))
        engine.dispose()
        upgrade(url)
        return url
    path = tmp_path_factory.mktemp("db") / "template.db"
    upgrade(f"sqlite:///{path}")
    return path


def _create_database(url: str) -> None:
    import psycopg

    base, _, name = url.rpartition("/")
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        if not conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            conn.execute(f'CREATE DATABASE "{name}"')


@pytest.fixture(scope="session")
def _cleanup_engine(database_template):
    if BACKEND != "postgresql":
        yield None
        return
    # Pinged: a test may end every connection to its database (test_database_reconnect).
    engine = create_engine(database_template, pool_pre_ping=True)
    yield engine
    engine.dispose()


def empty_database(database_template, cleanup_engine, directory) -> str:
    """The migrated schema with no rows: a copy of the template file (SQLite), or this
    worker's database emptied (PostgreSQL)."""
    if BACKEND == "postgresql":
        with cleanup_engine.begin() as conn:
            tables = conn.execute(text(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' AND tablename <> 'alembic_version'"
            )).scalars().all()
            # Replica mode skips triggers (the append-only guard, foreign keys) for this
            # transaction: emptying a few small tables this way takes milliseconds where
            # TRUNCATE takes a tenth of a second, once per test. One round trip for all.
            conn.exec_driver_sql("; ".join(["SET LOCAL session_replication_role = replica",
                                            *(f'DELETE FROM "{table}"' for table in tables)]))
        return database_template
    path = directory / "nanhaitong.db"
    shutil.copyfile(database_template, path)
    return f"sqlite:///{path}"


def empty_redis() -> str | None:
    """This worker's Redis db, flushed (PostgreSQL backend); None means in-process stand-ins."""
    if BACKEND != "postgresql":
        return None
    import redis

    client = redis.Redis.from_url(REDIS_URL)
    client.flushdb()
    client.close()
    return REDIS_URL


@pytest.fixture(scope="session")
def _sqlite_directory(tmp_path_factory):
    # One path, so one URL and one shared engine (tests/shared_engines.py), for every
    # test's SQLite database in this process; the file is a new copy for each test.
    return tmp_path_factory.mktemp("db-per-test")


@pytest.fixture
def database_url(database_template, _cleanup_engine, _sqlite_directory):
    release_engines()  # no connection left on the file about to be replaced
    if BACKEND != "postgresql":
        # A new file, not the old one overwritten: a connection some test leaked keeps
        # the old one (and its journal) and cannot touch this test's.
        for name in ("nanhaitong.db", "nanhaitong.db-wal", "nanhaitong.db-shm"):
            (_sqlite_directory / name).unlink(missing_ok=True)
    yield empty_database(database_template, _cleanup_engine, _sqlite_directory)
    release_engines()


@pytest.fixture
def redis_url():
    return empty_redis()


class LiveServer:
    """A real HTTP server on a loopback port; the app is attached after the port is known."""

    def __init__(self):
        self.app = None
        # Handler closes every answer, as gunicorn does (werkzeug's own skips it when the
        # client reset the connection, and with it the work after the answer: see its module).
        self.server = make_server("127.0.0.1", 0, self, threaded=True, request_handler=Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __call__(self, environ, start_response):
        return answer(self.app, environ, start_response)

    def start(self, app):
        self.app = app
        if not self.thread.is_alive():
            self.thread.start()

    def stop(self):
        if self.thread.is_alive():
            # serve_forever sees the shutdown request between two polls of the socket (every
            # half second); a connection ends the current poll at once. Once per test.
            stopping = threading.Thread(target=self.server.shutdown)
            stopping.start()
            while stopping.is_alive():
                with contextlib.suppress(OSError):
                    socket.create_connection(("127.0.0.1", self.server.server_port), timeout=1).close()
                stopping.join(0.01)
        self.server.server_close()


@pytest.fixture
def live_server():
    server = LiveServer()
    yield server
    server.stop()


@pytest.fixture
def make_app(database_url, redis_url, secrets_dir, live_server):
    """Build an app with test settings plus ``overrides``.

    The live server serves whichever app was built last, so the sandbox the app's
    clients call is the one mounted in that app.
    """
    made = []

    def factory(**overrides):
        app = create_app(app_settings(database_url, redis_url, secrets_dir, live_server, **overrides))
        made.append(app)
        live_server.start(app)
        return app

    yield factory
    for app in made:
        app.extensions["nht.engine"].dispose()


def app_settings(database_url: str, redis_url: str | None, secrets_dir, live_server: LiveServer, **overrides) -> dict:
    """The settings of a test app over these stores and server, plus ``overrides``."""
    return {
        "ENV": "test",
        "DATA_DIR": str(secrets_dir),
        "DATABASE_URL": normalize_database_url(database_url),
        "REDIS_URL": redis_url,
        "SANDBOX": True,
        "SANDBOX_URL": f"{live_server.url}/sandbox",
        "PUBLIC_URL": live_server.url,
        "JOBS_EAGER": True,
        "UPSTREAM_TIMEOUT_SECONDS": 3,
        "TESTING": True,
        "LOG_LEVEL": "WARNING",
        "CRYPTO_SUITE": CRYPTO_SUITE,  # NHT_TEST_CRYPTO_SUITE (tests/crypto_suite.py)
        # Argon2id at test cost: the same code paths without 19 MiB and two passes per hash
        # (~45 ms of CPU each; staff sign-ins hash and verify). Tests of the profiles name theirs.
        "PASSWORD_HASH_PROFILE": "cheap",
        **overrides,
    }


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def sign_in(app, client):
    """Sign a phone in by SMS code over the API: ``sign_in(phone)`` gives a Citizen (every domain's tests)."""
    return sign_in_with(app, client)


def pytest_collection_finish(session):
    # Everything imported so far (the application, SQLAlchemy, pyHanko, every test module)
    # lives until the end: frozen, the collector's full passes no longer walk it each time
    # the tests' many short-lived apps trigger one (it halved the CPU of building an app).
    if os.environ.get("NHT_TEST_NO_GC_FREEZE"):
        return
    gc.collect()
    gc.freeze()


# Tests between two freezes of what has survived them (below).
REFREEZE_EVERY = 10
_finished_tests = 0


def pytest_runtest_logfinish(nodeid, location):
    # The tests themselves import much (pyHanko, fontTools, the sandbox's libraries) and
    # fill caches that live until the end; unfrozen, every full collection walked all of
    # it again, about every seventh test and for a fifth of the suite's CPU. Between two
    # tests, whatever survives a collection is long-lived, so it is frozen too. The
    # collection here takes the place of an automatic one rather than adding to them.
    global _finished_tests
    _finished_tests += 1
    if _finished_tests % REFREEZE_EVERY or os.environ.get("NHT_TEST_NO_GC_FREEZE"):
        return
    gc.collect()
    gc.freeze()
