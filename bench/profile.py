"""CPU per request of the benchmark's scenarios, measured in process (not part of `make test`).

    python -m bench.profile --database-url postgresql://postgres@127.0.0.1:5432/nht_profile \
        [--only "licence"] [--requests 200] [--pstats DIR]

The stack of bench/run.py (a fresh database, the sandbox upstreams as their own process)
is started and prepared over HTTP exactly as the benchmark prepares it; then an app built
in this process with the same settings serves each scenario's request through the Flask
test client, one at a time. For each scenario it prints the API's CPU milliseconds per
request (this process) and the sandbox's (its process, read from /proc: for order create
the API waits on it). ``--pstats`` writes a cProfile dump per scenario, to read with
``python -m pstats``. CPU time is far less noisy than wall time on a shared machine.
"""

from __future__ import annotations

import argparse
import cProfile
import os
import secrets
import tempfile
import time
from pathlib import Path
from urllib.parse import urlsplit

import requests
from sqlalchemy import event

from bench import scenarios as scenario_defs
from bench.run import Stack

_TICK = os.sysconf("SC_CLK_TCK")


def _proc_cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return sum(int(value) for value in fields[11:15]) / _TICK  # utime + stime + cutime + cstime


def _tree_cpu_seconds(pid: int) -> float:
    """A process's CPU and its live descendants' (a server's workers)."""
    total = _proc_cpu_seconds(pid)
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            try:
                total += _tree_cpu_seconds(int(child))
            except OSError:
                pass  # ended meanwhile
    return total


def _backends_cpu_seconds(url: str) -> float:
    """CPU of the PostgreSQL backends serving ``url``'s database (the stack's other
    processes are idle meanwhile, so this is the profiled requests' share)."""
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    with psycopg.connect(url, autocommit=True) as conn:
        pids = [row[0] for row in conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE datname = %s AND pid <> pg_backend_pid()", (name,))]
    total = 0.0
    for pid in pids:
        try:
            total += _proc_cpu_seconds(pid)
        except OSError:
            pass  # ended meanwhile
    return total


def _fresh_database(url: str) -> None:
    import psycopg

    name = urlsplit(url).path.lstrip("/")
    admin = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')


def _request(client, scenario, bodies=None) -> int:
    headers = dict(scenario.headers)
    if scenario.unique_header:
        headers[scenario.unique_header] = secrets.token_hex(8)
    if scenario.raw_body is not None:
        answer = client.open(scenario.path, method=scenario.method, headers=headers, data=scenario.raw_body.encode())
    else:
        body = next(bodies) if bodies is not None else scenario.body
        answer = client.open(scenario.path, method=scenario.method, headers=headers, json=body)
    return answer.status_code


class _StatementCounter:
    """Statements, commits and rollbacks sent to the database (pool pings not counted)."""

    def __init__(self, engine) -> None:
        self.count = 0
        self.shown: list[str] | None = None
        event.listen(engine, "before_cursor_execute", self._one)
        event.listen(engine, "commit", self._one)
        event.listen(engine, "rollback", self._one)

    def _one(self, conn, *args, **kw) -> None:
        self.count += 1
        if self.shown is not None:
            self.shown.append(" ".join(args[1].split())[:160] if len(args) > 1 else "-- commit/rollback")


def measure(app, scenario, *, count: int, sandbox_pid: int, database_url: str, pstats_dir: Path | None,
            statements: _StatementCounter, show_statements: bool = False) -> dict:
    client = app.test_client()
    warm = max(5, count // 10)
    bodies = None  # each good once (one-time codes): as many as this makes requests
    if scenario.bodies:
        bodies = iter(scenario.bodies(warm + int(show_statements) + count * (2 if pstats_dir else 1)))
    for _ in range(warm):  # warm: lazy imports, pools, caches of immutable keys
        status = _request(client, scenario, bodies)
    if status >= 400:
        raise RuntimeError(f"{scenario.name}: answered {status}")
    if show_statements:
        statements.shown = []
        _request(client, scenario, bodies)
        print(f"-- {scenario.name}:", *statements.shown, sep="\n   ")
        statements.shown = None
    statements.count = 0
    postgres_before = _backends_cpu_seconds(database_url)
    sandbox_before, wall_before, cpu_before = _tree_cpu_seconds(sandbox_pid), time.perf_counter(), time.process_time()
    for _ in range(count):
        _request(client, scenario, bodies)
    cpu, wall = time.process_time() - cpu_before, time.perf_counter() - wall_before
    sandbox = _tree_cpu_seconds(sandbox_pid) - sandbox_before
    postgres = _backends_cpu_seconds(database_url) - postgres_before
    done = statements.count
    if pstats_dir:  # a second pass: the profiler itself roughly doubles the CPU per call
        # CPU time, not wall: waits on PostgreSQL and the sandbox are not this process's work.
        profiler = cProfile.Profile(time.process_time)
        profiler.enable()
        for _ in range(count):
            _request(client, scenario, bodies)
        profiler.disable()
        pstats_dir.mkdir(parents=True, exist_ok=True)
        safe = "".join(c if c.isalnum() else "_" for c in scenario.name)
        profiler.dump_stats(pstats_dir / f"{safe}.pstats")
    return {"api_cpu_ms": cpu * 1000 / count, "sandbox_cpu_ms": sandbox * 1000 / count,
            "postgres_cpu_ms": postgres * 1000 / count,
            "wall_ms": wall * 1000 / count, "statements": done / count}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--database-url", required=True, help="a PostgreSQL database to drop and create")
    parser.add_argument("--only", help="only scenarios whose name contains this (or one of these, comma-separated)")
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--statements", action="store_true", help="print the statements of one request")
    parser.add_argument("--pstats", type=Path, help="write a cProfile dump per scenario here")
    parser.add_argument("--citizens", type=int, help="first fill the district with this many filler citizens "
                        "and their share of the rest, as bench.growth does (1000000: the whole district)")
    args = parser.parse_args(argv)
    _fresh_database(args.database_url)
    with tempfile.TemporaryDirectory() as tmp, Stack("postgresql", Path(tmp), args.database_url) as stack:
        if args.citizens:
            from bench.growth import fill

            fill(args.database_url, Path(tmp), args.citizens)
        ctx = scenario_defs.prepare(stack.api, stack.sandbox)
        paths = set(requests.get(f"{stack.api}/openapi.json", timeout=10).json()["paths"])
        os.environ.update(stack.env)
        from nanhaitong import create_app, db

        app = create_app()
        with app.app_context():
            statements = _StatementCounter(db.engine())
        sandbox_pid = stack.procs[0].pid
        for scenario in scenario_defs.scenarios(ctx, paths):
            if scenario.target != "api" or (args.only and not any(part in scenario.name
                                                                  for part in args.only.split(","))):
                continue
            if scenario.name == "token issue (password)":
                continue  # Argon2id's cost is deliberate
            row = measure(app, scenario, count=args.requests, sandbox_pid=sandbox_pid,
                          database_url=args.database_url, pstats_dir=args.pstats,
                          statements=statements, show_statements=args.statements)
            print(f"{scenario.name:40} CPU ms: API {row['api_cpu_ms']:6.2f}  PostgreSQL {row['postgres_cpu_ms']:5.2f}  "
                  f"sandbox {row['sandbox_cpu_ms']:5.2f} | wall {row['wall_ms']:6.2f} ms  "
                  f"{row['statements']:4.1f} statements+commits", flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
