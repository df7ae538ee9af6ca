"""Two API instances as separate gunicorn processes on their own loopback ports, sharing
one PostgreSQL database and one Redis, with a Celery worker and the sandbox as its own
process: the scaled-out shape of docs/deploy.md, started once for the module.

Only on the PostgreSQL + Redis backend (``make test`` runs it when they answer).
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import psycopg
import pytest
import redis
import requests

from tests.conftest import BACKEND, POSTGRES_URL, REDIS_URL
from tests.crypto_suite import SUITE as CRYPTO_SUITE

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
# The cluster's own database and Redis db, derived from this run's (a worker's database name,
# and a db below the run's workers'), so runs of the suite at once (make test runs one per
# crypto suite) never share them.
MULTI_DB = f"{POSTGRES_URL.rpartition('/')[2]}_multi"
MULTI_REDIS_DB = int(os.environ.get("NHT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15").rpartition("/")[2]) - 3

only_scaled_out = pytest.mark.skipif(BACKEND != "postgresql", reason="needs PostgreSQL + Redis (the scaled-out shape)")


def free_ports(count: int) -> list[int]:
    """Distinct free loopback ports (held together while chosen, so none is given twice)."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def with_path(url: str, path: str) -> str:
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, path, "", ""))


def wait_until_up(url: str, proc: subprocess.Popen, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


@dataclass
class Cluster:
    instances: list[str]  # base URLs of the API instances
    sandbox: str
    database_url: str
    redis_url: str
    env: dict

    def flask(self, *args: str) -> str:
        """A `flask --app wsgi ...` command against the cluster's database, as an operator runs it."""
        done = subprocess.run([BIN / "flask", "--app", "wsgi", *args], cwd=ROOT, env=self.env, check=True,
                              capture_output=True, text=True)
        return done.stdout

    def messages_to(self, phone: str) -> list[dict]:
        """The SMS the sandbox gateway received for ``phone``, newest first."""
        return requests.get(f"{self.sandbox}/sms/messages", params={"phone": phone}, timeout=5).json()["messages"]

    def sms_code(self, phone: str, seen: int = 0) -> str:
        """The code of the newest SMS to ``phone``, once there are more than ``seen``: the
        worker sends it asynchronously, and an earlier one must not be taken for it."""
        messages = []
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and len(messages) <= seen:
            messages = self.messages_to(phone)
            time.sleep(0.05)
        assert len(messages) > seen, f"no new SMS reached {phone}"
        return messages[0]["params"]["code"]


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    admin_url = with_path(POSTGRES_URL, "/postgres")
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute(f"DROP DATABASE IF EXISTS {MULTI_DB} WITH (FORCE)")
        conn.execute(f"CREATE DATABASE {MULTI_DB}")
    database_url = with_path(POSTGRES_URL, f"/{MULTI_DB}")
    redis_url = with_path(REDIS_URL, f"/{MULTI_REDIS_DB}")
    redis.Redis.from_url(redis_url).flushdb()

    sandbox_port, *instance_ports = free_ports(3)
    sandbox = f"http://127.0.0.1:{sandbox_port}"
    data_dir = tmp_path_factory.mktemp("multi")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("NHT_", "GUNICORN_"))}
    env.update(
        NHT_DATA_DIR=str(data_dir), NHT_DATABASE_URL=database_url, NHT_REDIS_URL=redis_url,
        NHT_SANDBOX_URL=sandbox, NHT_SANDBOX_MOUNT="0", NHT_LOG_LEVEL="WARNING",
        NHT_SMS_RESEND_SECONDS="0", NHT_SMS_DAILY_PER_PHONE="1000", NHT_SMS_DAILY_PER_IP="12",
        NHT_UPSTREAM_TIMEOUT_SECONDS="5", NHT_CRYPTO_SUITE=CRYPTO_SUITE,
    )
    procs: list[subprocess.Popen] = []

    def start(args, **extra_env):
        # A process group of its own, so the end can stop it with its children (gunicorn's workers).
        proc = subprocess.Popen(args, cwd=ROOT, env={**env, **extra_env}, start_new_session=True,
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        procs.append(proc)
        return proc

    try:
        # Migrations are their own step (it also writes the shared generated secrets).
        subprocess.run([BIN / "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=env, check=True,
                       capture_output=True)
        # Then every process starts at once (each spends seconds importing the app; together
        # they use whatever cores are free); the merchant is registered once the sandbox answers.
        sandbox_process = start([sys.executable, "-m", "integrations.sandbox", "--port", str(sandbox_port)])
        start([BIN / "celery", "-A", "nanhaitong.jobs.worker:celery", "worker", "--pool=threads",
               "--concurrency=4", "--loglevel=WARNING"])
        instances = [f"http://127.0.0.1:{port}" for port in instance_ports]
        gunicorns = [start([BIN / "gunicorn", "-c", "python:nanhaitong.gunicorn_config", "wsgi:app"],
                           GUNICORN_BIND=f"127.0.0.1:{port}", GUNICORN_WORKERS="2", GUNICORN_THREADS="4")
                     for port in instance_ports]
        wait_until_up(f"{sandbox}/demo", sandbox_process)
        subprocess.run([BIN / "flask", "--app", "wsgi", "payments", "sandbox-register"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        # A sandbox of its own knows no SMS template until they are registered, as with a real gateway.
        subprocess.run([BIN / "flask", "--app", "wsgi", "sms", "register-templates"], cwd=ROOT, env=env,
                       check=True, capture_output=True)
        for url, process in zip(instances, gunicorns):
            wait_until_up(f"{url}/health/ready", process)
        yield Cluster(instances, sandbox, database_url, redis_url, env)
    finally:
        # The tests are over: the graceful shutdowns would wait seconds for nothing (the
        # worker on its broker loop, gunicorn's threads on idle keep-alive connections).
        for proc in procs:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(proc.pid, signal.SIGKILL)
        for proc in procs:
            proc.wait()
