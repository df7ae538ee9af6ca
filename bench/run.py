"""Load benchmark: the API under gunicorn, driven over HTTP by wrk, against a ceiling.

    python -m bench.run --backend sqlite|postgresql [--duration 10] [--connections 16]

For each scenario (bench/scenarios.py) it measures the peak (closed loop, as fast as the
server answers) and then latency at half that peak (each connection paced). The API and
the ceiling app (bench/ceiling_app.py) run under the same gunicorn settings
(nanhaitong/gunicorn_config.py); the sandbox upstreams run as their own process. Results
go to bench/results/<backend>.json and .md; `python -m bench.report` draws the chart.

Not part of `make test`: figures depend on the machine. `make bench` runs both backends.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import requests

from bench import scenarios as scenario_defs
from bench.wrk_script import render

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
BIN = Path(sys.executable).parent
POSTGRES_ADMIN_URL = os.environ.get("NHT_BENCH_POSTGRES_ADMIN_URL", "postgresql://postgres@127.0.0.1:5432/postgres")
REDIS_URL = os.environ.get("NHT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/8")
# Dropped and created afresh by each run: on a shared server, give each runner its own.
DATABASE = os.environ.get("NHT_BENCH_DATABASE", "nht_bench")
GOALS = {
    "read_cpu_vs_floor": 1.5,  # authenticated reads: server CPU per request ÷ the floor's, at most
    "read_rps_vs_floor": 0.65,  # and req/s ÷ the floor's, at least
    "floor_cpu_vs_ceiling": 1.6,
    "server_cpu_ms": {"licence verification": 3.0, "payment callback (WeChat, redelivered)": 3.0,
                      "payment order create": 8.0},
    "p99_ms_at_half_peak": 50.0,
}
CEILING_ROW = "ceiling ({})"
FLOOR = "floor: rate limit + session lookup"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def wait_until_up(url: str, proc: subprocess.Popen, seconds: float = 180) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{proc.args} exited with {proc.returncode}")
        try:
            if requests.get(url, timeout=5).status_code < 500:
                return
        except (requests.ConnectionError, requests.Timeout):
            pass
        time.sleep(0.2)
    raise RuntimeError(f"{url} did not come up")


class Stack:
    """The processes under test; stops them all on exit."""

    def __init__(self, backend: str, workdir: Path, database_url: str | None = None, migrate: bool = True):
        self.backend = backend
        self.procs: list[subprocess.Popen] = []
        self.sandbox = f"http://127.0.0.1:{free_port()}"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("NHT_", "GUNICORN_"))}
        env.update(
            NHT_DATA_DIR=str(workdir), NHT_SANDBOX_URL=self.sandbox, NHT_SANDBOX_MOUNT="0",
            NHT_LOG_LEVEL="WARNING", NHT_RATELIMIT_DEFAULT="100000000 per minute",
            NHT_ACCESS_TOKEN_TTL_SECONDS="7200", NHT_SMS_DAILY_PER_IP="100000",
        )
        if backend == "postgresql":
            env.update(NHT_DATABASE_URL=database_url or self._fresh_postgres(), NHT_REDIS_URL=REDIS_URL)
        else:
            env.update(NHT_DATABASE_URL=f"sqlite:///{workdir / 'bench.db'}")
        self.env = env
        self.migrate = migrate

    @staticmethod
    def _fresh_postgres() -> str:
        import psycopg

        with psycopg.connect(POSTGRES_ADMIN_URL, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{DATABASE}" WITH (FORCE)')
            conn.execute(f'CREATE DATABASE "{DATABASE}"')
        return POSTGRES_ADMIN_URL.rsplit("/", 1)[0] + f"/{DATABASE}"

    def start(self, args, **extra_env) -> subprocess.Popen:
        proc = subprocess.Popen(args, cwd=ROOT, env={**self.env, **extra_env},
                                stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        self.procs.append(proc)
        return proc

    def __enter__(self):
        try:
            return self._start_all()
        except BaseException:
            self.__exit__()  # a failed start-up leaves no server behind (it used to: orphans held ports and CPU)
            raise

    def _start_all(self):
        if self.migrate:
            subprocess.run([BIN / "flask", "--app", "wsgi", "db", "upgrade"], cwd=ROOT, env=self.env, check=True,
                           capture_output=True)
        port = self.sandbox.rsplit(":", 1)[1]
        sandbox = self.start([sys.executable, "-m", "integrations.sandbox", "--port", port])
        self.roots = {"sandbox": sandbox.pid}
        wait_until_up(f"{self.sandbox}/demo", sandbox)
        subprocess.run([BIN / "flask", "--app", "wsgi", "payments", "sandbox-register"], cwd=ROOT, env=self.env,
                       check=True, capture_output=True)
        # The SMS gateway refuses unregistered templates (as the real one does): without this
        # every code sent while preparing failed upstream and the benchmark never started.
        subprocess.run([BIN / "flask", "--app", "wsgi", "sms", "register-templates"], cwd=ROOT, env=self.env,
                       check=True, capture_output=True)
        if self.backend == "postgresql":
            self.start([BIN / "celery", "-A", "nanhaitong.jobs.worker:celery", "worker", "--pool=threads",
                        "--concurrency=4", "--loglevel=WARNING"])
        self.api = self._gunicorn("api", "wsgi:app", "/health/ready")
        self.servers = {"api": self.api, "ceiling": self._gunicorn("ceiling", "bench.ceiling_app:app", "/"),
                        "floor": self._gunicorn("floor", "bench.floor_app:app", None)}
        return self

    def _gunicorn(self, name: str, target: str, probe: str | None) -> str:
        url = f"http://127.0.0.1:{free_port()}"
        proc = self.start([BIN / "gunicorn", "-c", "python:nanhaitong.gunicorn_config", target],
                          GUNICORN_BIND=url.removeprefix("http://"))
        self.roots[name] = proc.pid
        if probe is not None:
            wait_until_up(url + probe, proc)
        return url

    def cpu(self) -> dict[str, float]:
        url = self.env["NHT_DATABASE_URL"]
        return cpu_seconds(self.roots, url.rsplit("/", 1)[1] if self.backend == "postgresql" else None)

    def __exit__(self, *exc):
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


def _process_table() -> dict[int, tuple[int, float, str]]:
    """pid → (parent pid, CPU seconds so far, command line), from /proc (Linux)."""
    tick, table = os.sysconf("SC_CLK_TCK"), {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            stat = Path(f"/proc/{entry}/stat").read_text()
            cmdline = Path(f"/proc/{entry}/cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        fields = stat.rsplit(")", 1)[1].split()
        # utime + stime, and cutime + cstime: what its children that have ended used (gunicorn
        # recycles workers every max_requests, which a benchmark run reaches).
        table[int(entry)] = (int(fields[1]), sum(int(value) for value in fields[11:15]) / tick, cmdline)
    return table


def cpu_seconds(roots: dict[str, int], database: str | None) -> dict:
    """CPU used so far by each root process with its children, and by each PostgreSQL
    backend serving ``database`` (pid → seconds): what a request costs the machine,
    which wrk's throughput on a shared machine only hints at."""
    table = _process_table()
    children: dict[int, list[int]] = {}
    for pid, (parent, _, _) in table.items():
        children.setdefault(parent, []).append(pid)
    used = {}
    for name, root in roots.items():
        todo, total = [root], 0.0
        while todo:
            pid = todo.pop()
            total += table.get(pid, (0, 0.0, ""))[1]
            todo += children.get(pid, [])
        used[name] = total
    if database:
        # A backend's title: "postgres: [cluster: ]user database client state".
        backend = re.compile(rf"postgres: (\S+: )?\S+ {re.escape(database)} ")
        used["database"] = {pid: cpu for pid, (_, cpu, cmd) in table.items() if backend.match(cmd)}
    return used


def cpu_spent(before: dict, after: dict) -> dict[str, float]:
    """CPU seconds each part used between two ``cpu_seconds`` readings. A database backend
    is counted per process: one that started meanwhile counts from zero, and one that
    ended meanwhile (a pool connection closed) drops out. Totals subtracted made the
    column negative when a busy backend ended during the run."""
    spent = {name: seconds - before.get(name, 0.0) for name, seconds in after.items() if name != "database"}
    if "database" in after:
        was = before.get("database", {})
        # A pid reused by a new backend reads less than the old one did: it is new.
        spent["database"] = sum(cpu - was.get(pid, 0.0) if cpu >= was.get(pid, 0.0) else cpu
                                for pid, cpu in after["database"].items())
    return spent


# A scenario whose bodies are each good once gets this many per second of its peak run:
# more than any of them is answered at on this machine (an exhausted list shows as errors:
# the SMS-code sign-in reached 306 a second on a quiet machine, past the 300 given then).
BODIES_PER_SECOND = 450


def wrk(url: str, scenario, *, duration: int, connections: int, threads: int, pace_ms: float = 0,
        bodies: list[dict] | None = None) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(render(method=scenario.method, path=scenario.path, headers=scenario.headers,
                            body=scenario.body, raw_body=scenario.raw_body, unique_header=scenario.unique_header,
                            pace_ms=pace_ms, threads=threads, bodies=bodies))
    try:
        done = subprocess.run(["wrk", "-t", str(threads), "-c", str(connections), "-d", f"{duration}s",
                               "--timeout", "10s", "--latency", "-s", script.name, url], capture_output=True, text=True, check=True)
        out, err = done.stdout, done.stderr
    finally:
        os.unlink(script.name)
    match = re.search(r"^WRK_JSON (\{.*\})$", out, re.MULTILINE)
    if not match:
        raise RuntimeError(f"wrk said:\n{out}\n{err}")
    raw = json.loads(match.group(1))
    seconds = raw["duration_us"] / 1e6
    return {"rps": raw["requests"] / seconds, "p50_ms": raw["p50_us"] / 1000, "p90_ms": raw["p90_us"] / 1000,
            "p99_ms": raw["p99_us"] / 1000, "requests": raw["requests"],
            "errors": raw["non_2xx"] + raw["socket_errors"], "refused": raw.get("refused", {})}


def _measured(stack: Stack, base: str, scenario, target: str, **wrk_args) -> dict:
    """One closed-loop wrk run, with the CPU each part of the stack spent per request."""
    before = stack.cpu()
    peak = wrk(base, scenario, **wrk_args)
    spent = cpu_spent(before, stack.cpu())
    peak["cpu_ms_per_request"] = {
        "server": 1000 * spent[target] / max(peak["requests"], 1),
        "database": 1000 * spent.get("database", 0.0) / max(peak["requests"], 1),
        "sandbox": 1000 * spent["sandbox"] / max(peak["requests"], 1),
    }
    return peak


def run(backend: str, *, duration: int, connections: int, threads: int, only: str | None,
        database_url: str | None = None, label: str | None = None, data_dir: Path | None = None) -> dict:
    """Benchmark a fresh database, or ``database_url`` (already migrated and filled, with
    its secrets in ``data_dir``)."""
    load = {"duration": duration, "connections": connections, "threads": threads}
    # The references again before each endpoint, for half as long: a shared machine's speed
    # drifts over minutes, and a ratio of two rates measured apart would carry that drift.
    reference_load = {**load, "duration": max(3, duration // 2)}
    with tempfile.TemporaryDirectory() as tmp, \
            Stack(backend, data_dir or Path(tmp), database_url, migrate=database_url is None) as stack:
        ctx = scenario_defs.prepare(stack.api, stack.sandbox)
        paths = set(requests.get(f"{stack.api}/openapi.json", timeout=10).json()["paths"])
        rows = []
        found = scenario_defs.scenarios(ctx, paths)
        ceiling_scenario = next(scenario for scenario in found if scenario.target == "ceiling")
        floor_scenario = next(scenario for scenario in found if scenario.name == FLOOR)
        for scenario in found:
            if only and only not in scenario.name and scenario.target == "api":
                continue
            base = stack.servers[scenario.target]
            # Made before the references and the CPU are read: making them (codes sent,
            # citizens signed up, a wait for the resend window) is not the run's work.
            bodies = scenario.bodies(BODIES_PER_SECOND * duration) if scenario.bodies else None
            ceiling_now = floor_now = None
            if scenario.target == "api":
                ceiling_now = wrk(stack.servers["ceiling"], ceiling_scenario, **reference_load)["rps"]
                floor_now = _measured(stack, stack.servers["floor"], floor_scenario, "floor", **reference_load)
            peak = _measured(stack, base, scenario, scenario.target, bodies=bodies, **load)
            # Half the peak rate, spread over the connections: each waits between requests.
            pace_ms = connections * 1000 / max(peak["rps"] / 2, 1)
            bodies = scenario.bodies(int(peak["requests"] * 0.6) + 10 * connections) if scenario.bodies else None
            half = wrk(base, scenario, pace_ms=pace_ms, bodies=bodies, **load)
            rows.append({"scenario": scenario.name, "authenticated_read": scenario.authenticated_read,
                         "target": scenario.target, "peak": peak, "half_peak": half,
                         "ceiling_rps_before": ceiling_now,
                         "floor_before": {"rps": floor_now["rps"],
                                          "cpu_ms_per_request": floor_now["cpu_ms_per_request"]} if floor_now else None})
            print(f"{backend:10} {scenario.name:38} {peak['rps']:8.0f} req/s  p50 {peak['p50_ms']:6.1f} ms  "
                  f"p99 {peak['p99_ms']:6.1f} ms | at half peak p99 {half['p99_ms']:6.1f} ms  "
                  f"CPU ms/req {peak['cpu_ms_per_request']['server']:5.2f} + db "
                  f"{peak['cpu_ms_per_request']['database']:5.2f}  "
                  f"errors {peak['errors'] + half['errors']} {peak['refused'] or ''}{half['refused'] or ''}",
                  flush=True)
    judge(rows)
    return {"backend": label or backend, "duration_s": duration, "connections": connections, "threads": threads,
            "cpus": os.cpu_count(), "gunicorn": _gunicorn_settings(), "goals": GOALS, "rows": rows,
            "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}


def judge(rows: list[dict]) -> None:
    """Each row's ratios to the floor and to the ceiling, and the goals it is held to
    (issue 26): ``goals`` maps each goal that applies to the row to True (met) or False."""
    by_name = {row["scenario"]: row for row in rows}
    ceiling, floor = by_name.get(CEILING_ROW), by_name.get(FLOOR)
    for row in rows:
        peak = row["peak"]
        cpu = peak["cpu_ms_per_request"]["server"]
        # The floor measured just before this row (the floor's own row for the reference rows).
        reference = row.get("floor_before") or (floor and {"rps": floor["peak"]["rps"],
                                                           "cpu_ms_per_request": floor["peak"]["cpu_ms_per_request"]})
        row["ratio"] = peak["rps"] / (row.get("ceiling_rps_before") or (ceiling or row)["peak"]["rps"])
        row["floor_cpu_ratio"] = cpu / max(reference["cpu_ms_per_request"]["server"], 1e-9) if reference else None
        row["floor_rps_ratio"] = peak["rps"] / max(reference["rps"], 1e-9) if reference else None
        goals = {"p99_at_half_peak": row["half_peak"]["p99_ms"] < GOALS["p99_ms_at_half_peak"]}
        if row["authenticated_read"] and reference:
            goals["cpu_vs_floor"] = row["floor_cpu_ratio"] <= GOALS["read_cpu_vs_floor"]
            goals["rps_vs_floor"] = row["floor_rps_ratio"] >= GOALS["read_rps_vs_floor"]
        if row["scenario"] == FLOOR and ceiling:
            row["ceiling_cpu_ratio"] = cpu / max(ceiling["peak"]["cpu_ms_per_request"]["server"], 1e-9)
            goals["floor_cpu_vs_ceiling"] = row["ceiling_cpu_ratio"] <= GOALS["floor_cpu_vs_ceiling"]
        if row["scenario"] in GOALS["server_cpu_ms"]:
            goals["server_cpu_ms"] = cpu <= GOALS["server_cpu_ms"][row["scenario"]]
        row["goals"] = goals
        row["meets_read_goal"] = (goals["cpu_vs_floor"] and goals["rps_vs_floor"]) if "cpu_vs_floor" in goals else None
        row["meets_p99_goal"] = goals["p99_at_half_peak"]


def _gunicorn_settings() -> dict:
    from nanhaitong import gunicorn_config as g

    return {"workers": g.workers, "threads": g.threads, "worker_class": g.worker_class}


def _mark(row: dict, goal: str) -> str:
    return {True: " ✓", False: " ✗", None: ""}[row.get("goals", {}).get(goal)]


def _ratio(value: float | None) -> str:
    return "–" if value is None else f"{value:.2f}"


def table(result: dict) -> str:
    goals = result["goals"]
    lines = [f"### {result['backend']} — {result['measured_at']}, {result['cpus']} CPUs, gunicorn "
             f"{result['gunicorn']['workers']}×{result['gunicorn']['threads']} {result['gunicorn']['worker_class']}, "
             f"wrk {result['connections']} connections × {result['duration_s']} s",
             "", "| endpoint | server CPU ms/request (+ database + sandbox) | CPU ÷ floor's | req/s | req/s ÷ floor's "
                 "| p50 ms | p99 ms | p99 ms at half peak | errors |",
             "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    for row in result["rows"]:
        peak, half = row["peak"], row["half_peak"]
        cpu = peak["cpu_ms_per_request"]
        cpu_cell = (f"{cpu['server']:.2f}{_mark(row, 'server_cpu_ms')} "
                    f"(+ {cpu['database']:.2f} + {cpu['sandbox']:.2f})")
        if "ceiling_cpu_ratio" in row:
            cpu_cell += f"; {row['ceiling_cpu_ratio']:.2f}× the ceiling's{_mark(row, 'floor_cpu_vs_ceiling')}"
        lines.append(f"| {row['scenario']} | {cpu_cell} | {_ratio(row['floor_cpu_ratio'])}{_mark(row, 'cpu_vs_floor')} | "
                     f"{peak['rps']:.0f} | {_ratio(row['floor_rps_ratio'])}{_mark(row, 'rps_vs_floor')} | "
                     f"{peak['p50_ms']:.1f} | {peak['p99_ms']:.1f} | "
                     f"{half['p99_ms']:.1f}{_mark(row, 'p99_at_half_peak')} | {peak['errors'] + half['errors']} |")
    budgets = ", ".join(f"{name} ≤ {ms:g} ms" for name, ms in goals["server_cpu_ms"].items())
    lines += ["", "Goals (issue 26), ✓ met / ✗ not: authenticated reads at most "
              f"{goals['read_cpu_vs_floor']:g}× the floor's server CPU per request and at least "
              f"{goals['read_rps_vs_floor']:g} of its req/s (the floor measured just before each endpoint); "
              f"the floor at most {goals['floor_cpu_vs_ceiling']:g}× the ceiling's CPU; server CPU per request: "
              f"{budgets}; p99 under {goals['p99_ms_at_half_peak']:g} ms at half the peak rate, every row. "
              "Judge by CPU per request first: req/s moves with whatever else the machine runs."]
    return "\n".join(lines) + "\n"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--duration", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--only", help="only scenarios whose name contains this (plus the ceiling)")
    parser.add_argument("--label", help="name of this run in the results (default: the backend)")
    args = parser.parse_args(argv)
    if not shutil.which("wrk"):
        print("wrk is not installed: `make bench` installs Debian's wrk (needs root)", file=sys.stderr)
        return 2
    result = run(args.backend, duration=args.duration, connections=args.connections, threads=args.threads,
                 only=args.only, label=args.label)
    RESULTS.mkdir(parents=True, exist_ok=True)
    name = result["backend"]
    (RESULTS / f"{name}.json").write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / f"{name}.md").write_text(table(result))
    print(table(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
