"""`make run-prod`: a local rehearsal of the scaled-out shape, on the database and Redis it is given.

    python -m nanhaitong.rehearsal --database-url URL --redis-url URL [--sandbox-port 8100]

It is not a production deployment: the upstreams are the sandbox and the secrets are
generated into NHT_DATA_DIR (docs/deploy.md says what production sets instead), and it
says so when it starts. In order it creates the PostgreSQL database the URL names when
missing, runs the migrations and the demo seed as their own step, then starts the
sandbox upstreams, a Celery worker, the beat scheduler (its schedule file under
NHT_DATA_DIR) and gunicorn, each in a process group of its own. Ctrl-C (or SIGTERM)
stops them all: each group is asked to stop (SIGTERM; gunicorn's graceful timeout is
short here) and whatever still runs after ``STOP_SECONDS`` is killed, so the whole
shape is down within five seconds.
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

STOP_SECONDS = 2.5
BANNER = ("make run-prod: a LOCAL REHEARSAL of the scaled-out shape (gunicorn, Celery worker and beat, "
          "PostgreSQL, Redis) with sandbox upstreams and generated secrets; not a production deployment.")


def create_database(url: str) -> bool:
    """Create the database a postgresql:// URL names, when missing; True when created."""
    import psycopg

    base, _, name = url.partition("?")[0].rpartition("/")
    if not name or not base.startswith(("postgresql", "postgres")):
        raise SystemExit(f"not a PostgreSQL URL: {url}")
    base = base.replace("postgresql+psycopg://", "postgresql://", 1)
    with psycopg.connect(f"{base}/postgres", autocommit=True, connect_timeout=5) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        conn.execute(f'CREATE DATABASE "{name}"')  # the name comes from the operator's own URL
        return True


def _env(args) -> dict:
    data_dir = Path(os.environ.get("NHT_DATA_DIR", "var")).resolve()
    data_dir.mkdir(parents=True, exist_ok=True)
    return {**os.environ, "NHT_DATABASE_URL": args.database_url, "NHT_REDIS_URL": args.redis_url,
            "NHT_DATA_DIR": str(data_dir), "NHT_SANDBOX_URL": f"http://127.0.0.1:{args.sandbox_port}",
            "NHT_SANDBOX_MOUNT": "0", "GUNICORN_GRACEFUL_TIMEOUT": os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "2")}


def _run(command: list[str], env: dict) -> None:
    subprocess.run(command, env=env, check=True)


class Shape:
    def __init__(self):
        self.processes: list[subprocess.Popen] = []
        self.stopping = False

    def start(self, command: list[str], env: dict) -> subprocess.Popen:
        # A group of its own: the terminal's Ctrl-C reaches only us, and we stop each
        # group as a whole (gunicorn's and Celery's children included).
        process = subprocess.Popen(command, env=env, start_new_session=True)
        self.processes.append(process)
        return process

    def stop(self, *_args) -> None:
        if self.stopping:
            return
        self.stopping = True
        for process in self.processes:
            _signal_group(process, signal.SIGTERM)
        deadline = time.monotonic() + STOP_SECONDS
        for process in self.processes:
            try:
                process.wait(max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for process in self.processes:
            _signal_group(process, signal.SIGKILL)
            process.wait()


def _signal_group(process: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(process.pid, sig)
    except ProcessLookupError:
        pass


def _wait_for_port(port: int, shape: Shape, seconds: float = 30.0) -> None:
    import socket

    deadline = time.monotonic() + seconds
    while not shape.stopping and time.monotonic() < deadline:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return
        except OSError:
            time.sleep(0.2)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database-url", required=True)
    parser.add_argument("--redis-url", required=True)
    parser.add_argument("--sandbox-port", type=int, default=8100)
    args = parser.parse_args(argv)
    print(BANNER, flush=True)
    env = _env(args)
    if create_database(args.database_url):
        print(f"created the database of {args.database_url.rpartition('@')[2]}", flush=True)
    flask = [sys.executable, "-m", "flask", "--app", "wsgi"]
    _run([*flask, "db", "upgrade"], env)
    _run([*flask, "demo", "seed"], env)

    shape = Shape()
    signal.signal(signal.SIGINT, shape.stop)
    signal.signal(signal.SIGTERM, shape.stop)
    bin_dir = Path(sys.executable).parent
    shape.start([sys.executable, "-m", "integrations.sandbox", "--host", "127.0.0.1",
                 "--port", str(args.sandbox_port)], env)
    _wait_for_port(args.sandbox_port, shape)  # it listens before the merchant is registered with it
    if not shape.stopping:
        _run([*flask, "payments", "sandbox-register"], env)
        _run([*flask, "sms", "register-templates"], env)
    if not shape.stopping:
        shape.start([str(bin_dir / "celery"), "-A", "nanhaitong.jobs.worker:celery", "worker", "--loglevel=INFO",
                     "--concurrency=4"], env)
        shape.start([str(bin_dir / "celery"), "-A", "nanhaitong.jobs.worker:celery", "beat", "--loglevel=INFO",
                     "--schedule", str(Path(env["NHT_DATA_DIR"]) / "celerybeat-schedule")], env)
        shape.start([str(bin_dir / "gunicorn"), "-c", "python:nanhaitong.gunicorn_config", "wsgi:app"], env)
    while not shape.stopping and all(p.poll() is None for p in shape.processes):
        time.sleep(0.2)
    shape.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
