"""`make run-prod PROD_DATABASE_URL=.../another_name` comes up on that database, keeps its state
under NHT_DATA_DIR and stops within 5 s of Ctrl-C (nanhaitong/rehearsal.py, what the target runs).

One run of the whole shape (sandbox, Celery worker and beat, gunicorn) on a database name
made for the test (the rehearsal creates it) and this run's emptied Redis db: it is up
when /health/ready answers 200; the tables are in that database; SIGINT to its process
group (what a terminal's Ctrl-C does) ends every process of the shape within 5 s; the
beat schedule and the generated secrets are in NHT_DATA_DIR, none in the repository's var/.
PostgreSQL backend only (the rehearsal runs on PostgreSQL and Redis).
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import uuid
from pathlib import Path

import psycopg
import pytest
import requests

from tests.conftest import BACKEND, POSTGRES_URL

ROOT = Path(__file__).resolve().parents[2]
STOP_WITHIN_SECONDS = 5.0

POSTGRES_ONLY = pytest.mark.skipif(BACKEND != "postgresql", reason="the rehearsal runs on PostgreSQL and Redis")


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _server_url(url: str, name: str) -> str:
    return url.partition("?")[0].rpartition("/")[0].replace("postgresql+psycopg://", "postgresql://", 1) + "/" + name


def _alive(pid: int) -> bool:
    """Running, not a zombie waiting for its parent to read its exit."""
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()[0]
    except (FileNotFoundError, ProcessLookupError):
        return False
    return state != "Z"


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (gunicorn's and Celery's workers included)."""
    parents = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rpartition(")")[2].split()
        except (FileNotFoundError, ProcessLookupError):
            continue
        parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = set(), {pid}
    while frontier:
        frontier = {child for child, parent in parents.items() if parent in frontier} - found
        found |= frontier
    return found


def _command_line(pid: int) -> list[str]:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode().split("\0")
    except (FileNotFoundError, ProcessLookupError):
        return []


def _beat_files(directory: Path) -> set[str]:
    return {p.name for p in directory.glob("celerybeat-schedule*")} if directory.is_dir() else set()


@pytest.fixture
def fresh_database():
    name = f"nht_rehearsal_{uuid.uuid4().hex[:10]}"
    url = _server_url(POSTGRES_URL, name)
    yield url
    with psycopg.connect(_server_url(POSTGRES_URL, "postgres"), autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@POSTGRES_ONLY
# One run of the whole shape: six app builds in a row (migrations, seed, two sandbox
# registrations, then worker, beat and gunicorn's worker); it took up to 115 s on a 2-core
# machine shared with other runs, past the suite's 120 s per test.
@pytest.mark.timeout(300)
def test_run_prod_comes_up_on_the_database_it_is_given_and_stops_on_ctrl_c(fresh_database, redis_url, tmp_path):
    data_dir, port, sandbox_port = tmp_path / "data", _free_port(), _free_port()
    repo_beat_before = _beat_files(ROOT / "var")
    env = {**os.environ, "NHT_DATA_DIR": str(data_dir), "NHT_PORT": str(port), "GUNICORN_WORKERS": "1",
           "GUNICORN_THREADS": "2"}
    log, shape = (tmp_path / "rehearsal.log").open("w"), set()
    rehearsal = subprocess.Popen(
        [sys.executable, "-m", "nanhaitong.rehearsal", "--database-url", fresh_database, "--redis-url", redis_url,
         "--sandbox-port", str(sandbox_port)],
        cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)  # a terminal's job
    try:
        deadline = time.monotonic() + 240
        while True:
            assert rehearsal.poll() is None, (tmp_path / "rehearsal.log").read_text()[-3000:]
            assert time.monotonic() < deadline, (tmp_path / "rehearsal.log").read_text()[-3000:]
            try:
                if requests.get(f"http://127.0.0.1:{port}/health/ready", timeout=2).status_code == 200:
                    break
            except requests.RequestException:  # not listening yet, or its worker still booting
                pass
            time.sleep(0.5)

        with psycopg.connect(fresh_database, connect_timeout=5) as conn:
            tables = {row[0] for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public'")}
            staff = conn.execute("SELECT count(*) FROM staff_accounts").fetchone()[0]
        assert {"alembic_version", "users", "staff_accounts", "payment_orders"} <= tables
        assert staff >= 4  # the demo seed ran there, not elsewhere

        shape = _descendants(rehearsal.pid)
        assert len(shape) >= 5, shape  # sandbox, worker (and its pool), beat, gunicorn (and its worker)
        [beat] = {" ".join(_command_line(pid)) for pid in shape if "beat" in _command_line(pid)}
        stopped_at = time.monotonic()
        os.killpg(rehearsal.pid, signal.SIGINT)  # Ctrl-C: the terminal signals the foreground group
        rehearsal.wait(timeout=STOP_WITHIN_SECONDS + 5)
        while any(_alive(pid) for pid in shape) and time.monotonic() - stopped_at < STOP_WITHIN_SECONDS + 5:
            time.sleep(0.05)
        took = time.monotonic() - stopped_at
        assert not [pid for pid in shape if _alive(pid)]
        assert took <= STOP_WITHIN_SECONDS, f"stopped in {took:.1f} s"
    finally:  # on a failure too, nothing of the shape outlives the test
        shape |= _descendants(rehearsal.pid)
        if rehearsal.poll() is None:
            os.killpg(rehearsal.pid, signal.SIGINT)
            try:
                rehearsal.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(rehearsal.pid, signal.SIGKILL)
                rehearsal.wait()
        for pid in shape:
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
        log.close()

    output = (tmp_path / "rehearsal.log").read_text()
    assert "LOCAL REHEARSAL" in output and "created the database of" in output
    # The beat's schedule file is made once it has loaded the app (which a quick Ctrl-C may
    # precede): where it goes is its command line's.
    assert f"--schedule {data_dir / 'celerybeat-schedule'}" in beat
    assert (data_dir / "secrets.json").exists()
    assert _beat_files(ROOT / "var") == repo_beat_before  # nothing written in the repository


def test_make_run_prod_hands_the_urls_it_is_given_to_the_rehearsal(tmp_path):
    url, redis = "postgresql://postgres@127.0.0.1:5432/another_name", "redis://127.0.0.1:6379/9"
    shown = subprocess.run(["make", "-n", "run-prod", f"PROD_DATABASE_URL={url}", f"PROD_REDIS_URL={redis}"],
                           cwd=ROOT, env={**os.environ, "NHT_DATA_DIR": str(tmp_path)}, capture_output=True,
                           text=True, timeout=60, check=True).stdout.replace("\\\n", " ")
    [line] = [line for line in shown.splitlines() if "nanhaitong.rehearsal" in line]
    assert f'--database-url "{url}"' in line and f'--redis-url "{redis}"' in line
    assert f"NHT_DATA_DIR={tmp_path}" in line
