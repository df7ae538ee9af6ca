"""Which WSGI server: gunicorn's threaded worker against granian's WSGI mode, side by side.

    python -m bench.wsgi_servers [--backend postgresql|sqlite] [--database-url URL]
                                 [--duration 10] [--rounds 2] [--connections 16]

Starts the stack as ``bench.run`` does (its ``Stack``: sandbox, Celery worker, migrations,
the data prepared through the API by ``bench.scenarios.prepare``), and serves the ceiling
app (``bench/ceiling_app.py``) and the API (``wsgi:app``) under both servers at once with
the same shape: gunicorn with ``nanhaitong/gunicorn_config.py`` (2 × cores + 1 workers ×
4 threads, gthread), granian ``--interface wsgi`` with as many workers and as many
blocking threads per worker, HTTP/1, no websockets, no access log, the same graceful
timeout for stopping workers. Then, for the ceiling and for ``GET /api/v1/me``, wrk
(16 connections) against gunicorn, granian, gunicorn, granian... (``--rounds`` times
A B): the machine may be shared, so each server is measured between two runs of the
other, and every run is reported. Per run: req/s, p50/p99, and the CPU the server's
processes (and, for ``/me``, the database's backends) spent per request, from ``/proc``.

Last, a reload check: a SIGHUP to each server's master in the middle of a wrk run on the
ceiling, and how many requests failed.

On PostgreSQL it uses ``--database-url`` (default ``NHT_BENCH_DATABASE_URL``, else
``nht_wsgi_servers``), whose public schema is DROPPED and migrated afresh, and
``NHT_BENCH_REDIS_URL`` (bench.run's). Writes ``results/wsgi_servers.json`` and ``.md``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

import requests

from bench import scenarios as scenario_defs
from bench.run import BIN, RESULTS, Stack, cpu_spent, free_port, wait_until_up, wrk

DEFAULT_URL = "postgresql://postgres@127.0.0.1:5432/nht_wsgi_servers"
SERVERS = ("gunicorn", "granian")
VERDICT_PLACEHOLDER = "\n## Verdict\n\n(written by hand after reading the figures above)\n"
STARTUP_SECONDS = 300  # five workers each importing the app, on a busy 2-core machine
APPS = {"ceiling ({})": "ceiling", "GET /api/v1/me": "api"}


def gunicorn_shape() -> dict:
    from nanhaitong import gunicorn_config as g

    return {"workers": g.workers, "threads": g.threads, "worker_class": g.worker_class, "timeout": g.timeout,
            "graceful_timeout": g.graceful_timeout, "keepalive": g.keepalive, "max_requests": g.max_requests}


def granian_args(target: str, port: int) -> list[str]:
    """granian serving ``target`` in the shape of gunicorn_config: as many workers, as many
    threads running the app in each, the same time to finish requests when stopping."""
    g = gunicorn_shape()
    return [str(BIN / "granian"), "--interface", "wsgi", "--host", "127.0.0.1", "--port", str(port),
            "--workers", str(g["workers"]), "--blocking-threads", str(g["threads"]), "--http", "1", "--no-ws",
            "--log-level", "warning", "--no-access-log", "--respawn-failed-workers",
            "--workers-kill-timeout", str(g["graceful_timeout"]), target]


class Servers(Stack):
    """bench.run's stack (without the floor), plus granian serving the same two apps."""

    def _gunicorn(self, name: str, target: str, probe: str | None) -> str:
        if name == "floor":
            return ""
        url = f"http://127.0.0.1:{free_port()}"
        proc = self.start([BIN / "gunicorn", "-c", "python:nanhaitong.gunicorn_config", target],
                          GUNICORN_BIND=url.removeprefix("http://"))
        self.roots[name] = proc.pid
        wait_until_up(url + probe, proc, STARTUP_SECONDS)
        return url

    def __enter__(self):
        try:
            return self._start_all()
        except BaseException:
            self.__exit__(None, None, None)  # a server that did not come up leaves none behind
            raise

    def _start_all(self):
        super().__enter__()
        self.urls = {("gunicorn", "api"): self.servers["api"], ("gunicorn", "ceiling"): self.servers["ceiling"]}
        for app, target, probe in (("api", "wsgi:app", "/health/ready"), ("ceiling", "bench.ceiling_app:app", "/")):
            port = free_port()
            proc = self.start(granian_args(target, port))
            self.roots[f"granian {app}"] = proc.pid
            self.urls[("granian", app)] = f"http://127.0.0.1:{port}"
            wait_until_up(self.urls[("granian", app)] + probe, proc, STARTUP_SECONDS)
        return self

    def root(self, server: str, app: str) -> str:
        return app if server == "gunicorn" else f"granian {app}"


def measure(stack: Servers, scenario, server: str, app: str, *, duration: int, connections: int,
            threads: int) -> dict:
    before = stack.cpu()
    peak = wrk(stack.urls[(server, app)], scenario, duration=duration, connections=connections, threads=threads)
    spent = cpu_spent(before, stack.cpu())
    requests_done = max(peak["requests"], 1)
    peak["cpu_ms_per_request"] = {"server": 1000 * spent[stack.root(server, app)] / requests_done,
                                  "database": 1000 * spent.get("database", 0.0) / requests_done}
    return peak


def reload_check(stack: Servers, scenario, server: str, *, connections: int, threads: int) -> dict:
    """SIGHUP to the master 3 s into a 10 s run on the ceiling: the workers are replaced;
    how many requests failed meanwhile, and does it answer afterwards."""
    master = stack.roots[stack.root(server, "ceiling")]
    timer = threading.Timer(3.0, os.kill, (master, signal.SIGHUP))
    timer.start()
    try:
        run = wrk(stack.urls[(server, "ceiling")], scenario, duration=10, connections=connections, threads=threads)
    finally:
        timer.cancel()
    time.sleep(2)
    answers = requests.get(stack.urls[(server, "ceiling")] + "/", timeout=10).status_code
    return {"requests": run["requests"], "errors": run["errors"], "p99_ms": run["p99_ms"],
            "answers_after": answers}


def run(backend: str, database_url: str | None, *, duration: int, rounds: int, connections: int,
        threads: int) -> dict:
    if backend == "postgresql":
        database_url = _fresh_schema(database_url or os.environ.get("NHT_BENCH_DATABASE_URL", DEFAULT_URL))
    rows, reloads = [], {}
    with tempfile.TemporaryDirectory() as tmp, Servers(backend, Path(tmp), database_url, migrate=True) as stack:
        ctx = scenario_defs.prepare(stack.api, stack.sandbox)
        paths = set(requests.get(f"{stack.api}/openapi.json", timeout=10).json()["paths"])
        chosen = [s for s in scenario_defs.scenarios(ctx, paths) if s.name in APPS]
        for scenario in chosen:  # warm up: every worker imports and connects before it counts
            for server in SERVERS:
                wrk(stack.urls[(server, APPS[scenario.name])], scenario, duration=3, connections=connections,
                    threads=threads)
        for scenario in chosen:
            app = APPS[scenario.name]
            for round_ in range(1, rounds + 1):
                for server in SERVERS:
                    peak = measure(stack, scenario, server, app, duration=duration, connections=connections,
                                   threads=threads)
                    rows.append({"app": scenario.name, "server": server, "round": round_, **peak})
                    print(f"{scenario.name:16} {server:8} round {round_}: {peak['rps']:7.0f} req/s  "
                          f"p50 {peak['p50_ms']:5.1f} ms  p99 {peak['p99_ms']:6.1f} ms  CPU ms/req "
                          f"{peak['cpu_ms_per_request']['server']:.2f} + db "
                          f"{peak['cpu_ms_per_request']['database']:.2f}  errors {peak['errors']}", flush=True)
        ceiling = next(s for s in chosen if APPS[s.name] == "ceiling")
        for server in SERVERS:
            reloads[server] = reload_check(stack, ceiling, server, connections=connections, threads=threads)
            print(f"reload (SIGHUP) under load, {server}: {reloads[server]}", flush=True)
    return {"backend": backend, "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "cpus": os.cpu_count(), "load_average_at_end": os.getloadavg(), "duration_s": duration,
            "connections": connections, "gunicorn": gunicorn_shape(),
            "granian": " ".join(granian_args("<app>", 0)[1:]), "rows": rows, "reload": reloads}


def _fresh_schema(url: str) -> str:
    from sqlalchemy import create_engine, text

    from nanhaitong.config import normalize_database_url

    url = normalize_database_url(url)
    engine = create_engine(url)
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    return url


def summary(result: dict) -> list[dict]:
    out = []
    for app in APPS:
        both = {}
        for server in SERVERS:
            runs = [r for r in result["rows"] if r["app"] == app and r["server"] == server]
            both[server] = {"rps": statistics.mean(r["rps"] for r in runs),
                            "cpu": statistics.mean(r["cpu_ms_per_request"]["server"] for r in runs),
                            "p99": statistics.mean(r["p99_ms"] for r in runs)}
        out.append({"app": app, **{f"{s}_{k}": v for s in SERVERS for k, v in both[s].items()},
                    "rps_ratio": both["granian"]["rps"] / both["gunicorn"]["rps"],
                    "cpu_ratio": both["granian"]["cpu"] / both["gunicorn"]["cpu"]})
    return out


def table(result: dict) -> str:
    g = result["gunicorn"]
    lines = [f"### {result['backend']} — {result['measured_at']}, {result['cpus']} CPUs, wrk "
             f"{result['connections']} connections × {result['duration_s']} s per run, load average at the end "
             f"{result['load_average_at_end'][0]:.1f}",
             "", f"- gunicorn: {g['workers']}×{g['threads']} {g['worker_class']} (nanhaitong/gunicorn_config.py)",
             f"- granian: `granian {result['granian']}`", "",
             "| app | server | round | req/s | p50 ms | p99 ms | CPU ms/request: server + database | errors |",
             "|---|---|---:|---:|---:|---:|---:|---:|"]
    for r in result["rows"]:
        cpu = r["cpu_ms_per_request"]
        lines.append(f"| {r['app']} | {r['server']} | {r['round']} | {r['rps']:.0f} | {r['p50_ms']:.1f} | "
                     f"{r['p99_ms']:.1f} | {cpu['server']:.2f} + {cpu['database']:.2f} | {r['errors']} |")
    lines += ["", "| app | req/s gunicorn → granian (ratio) | server CPU ms/request gunicorn → granian (ratio) "
                  "| p99 ms gunicorn → granian |", "|---|---:|---:|---:|"]
    for s in summary(result):
        lines.append(f"| {s['app']} | {s['gunicorn_rps']:.0f} → {s['granian_rps']:.0f} ({s['rps_ratio']:.2f}) | "
                     f"{s['gunicorn_cpu']:.2f} → {s['granian_cpu']:.2f} ({s['cpu_ratio']:.2f}) | "
                     f"{s['gunicorn_p99']:.1f} → {s['granian_p99']:.1f} |")
    lines += ["", "SIGHUP to the master in the middle of a 10 s run on the ceiling:", ""]
    for server, check in result["reload"].items():
        lines.append(f"- {server}: {check['requests']} requests, {check['errors']} failed, p99 "
                     f"{check['p99_ms']:.1f} ms; answers {check['answers_after']} afterwards")
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.wsgi_servers", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="postgresql")
    parser.add_argument("--database-url")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is not installed: `make bench` installs Debian's wrk (needs root)", file=sys.stderr)
        return 2
    result = run(args.backend, args.database_url, duration=args.duration, rounds=args.rounds,
                 connections=args.connections, threads=args.threads)
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "wsgi_servers.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / "wsgi_servers.md").write_text("# WSGI servers: gunicorn (gthread) and granian (WSGI)\n\n"
                                            + table(result) + VERDICT_PLACEHOLDER)
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
