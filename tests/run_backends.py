"""Run the suite on SQLite and, when both answer, on PostgreSQL + Redis; say which ran.

`make test` calls this. Settings: NHT_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test) and NHT_TEST_REDIS_URL (default
redis://127.0.0.1:6379/15). The whole suite runs under the international crypto suite and
again under the national one; chosen tests (extra arguments, which go to pytest) run under
NHT_TEST_CRYPTO_SUITE (default international; tests/crypto_suite.py). A developer's own
NHT_CRYPTO_SUITE does not reach the tests, like every NHT_* setting.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
import xml.etree.ElementTree as ET
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
POSTGRES_URL = os.environ.get("NHT_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("NHT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def services_answer() -> str | None:
    """None when PostgreSQL and Redis both answer, else why not."""
    import psycopg
    import redis

    try:
        psycopg.connect(POSTGRES_URL, connect_timeout=3).close()
    except Exception as exc:
        return f"PostgreSQL at {POSTGRES_URL} did not answer ({type(exc).__name__})"
    try:
        redis.Redis.from_url(REDIS_URL, socket_connect_timeout=3).ping()
    except Exception as exc:
        return f"Redis at {REDIS_URL} did not answer ({type(exc).__name__})"
    return None


# schemathesis makes its test items at collection time in a way pytest-xdist workers do
# not reproduce (under -n its operations silently vanish), so the fuzzing runs on its own.
SERIAL_ONLY = "tests/api/test_schemathesis.py"


def spread_phase() -> list[str]:
    """Everything but the fuzzing, on one pytest-xdist worker per core (at most 4; whole
    files to a worker, so a module's fixtures start once; each worker has its own database)."""
    workers = min(4, os.cpu_count() or 1)
    spread = ["-n", str(workers), "--dist", "loadfile"] if workers > 1 else []
    return [*spread, f"--ignore={SERIAL_ONLY}"]


def scratch_root() -> str | None:
    """Where the runs keep their temporary files (a SQLite database per test among them):
    in memory when the machine has a roomy tmpfs, since on disk every test's commits
    waited on fsync; else the system's default (a container's /dev/shm is often 64 MB)."""
    try:
        shm = os.statvfs("/dev/shm")
    except OSError:
        return None
    return "/dev/shm" if shm.f_bavail * shm.f_frsize >= 2 * 1024**3 else None


class Run:
    """One pytest process on one backend, and what its JUnit report counts."""

    def __init__(self, backend: str, args: list[str], report: Path, output: Path | None = None, **extra_env: str):
        # A developer's own NHT_* settings must not leak into the tests. Bytecode is cached
        # (in the ignored __pycache__ directories) even where the environment says not to:
        # each of the suite's dozen Python processes would otherwise compile the project,
        # and pytest rewrite every test module, again (3-4 s of CPU per process).
        env = {k: v for k, v in os.environ.items()
               if (not k.startswith("NHT_") or k.startswith("NHT_TEST_")) and k != "PYTHONDONTWRITEBYTECODE"}
        env.update(NHT_TEST_BACKEND=backend, NHT_TEST_POSTGRES_URL=POSTGRES_URL, NHT_TEST_REDIS_URL=REDIS_URL)
        env.update(extra_env)
        self.backend, self.report, self.output = backend, report, output
        self.sink = output.open("w") if output else None
        self.process = subprocess.Popen(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={report}",
             f"--basetemp={report.with_suffix('.tmp')}", *args],
            cwd=ROOT, env=env, stdout=self.sink, stderr=subprocess.STDOUT if self.sink else None,
        )

    def wait(self) -> tuple[int, dict, float, float]:
        # wait4: the CPU the part used, its workers' and browsers' included (what the
        # parts, running at once, share: the machine's cores).
        _, status, usage = os.wait4(self.process.pid, 0)
        code = self.process.returncode = os.waitstatus_to_exitcode(status)
        cpu = usage.ru_utime + usage.ru_stime
        seconds = 0.0
        if self.sink:
            self.sink.close()
            sys.stdout.write(self.output.read_text())
            sys.stdout.flush()
        counts = {"passed": 0, "failed": 0, "skipped": 0}
        if self.report.exists():
            suite = ET.parse(self.report).getroot().find("testsuite")
            total, failed = int(suite.get("tests")), int(suite.get("failures")) + int(suite.get("errors"))
            skipped = int(suite.get("skipped"))
            seconds = float(suite.get("time", 0))  # pytest's own: parts that run at once end apart
            counts.update(passed=total - failed - skipped, failed=failed, skipped=skipped)
        return code, counts, seconds, cpu


def fuzzing_env(backend: str, backends: list[str]) -> dict[str, str]:
    """The fuzzer's cases are deterministic, the same on both backends, and exercise the
    same code. While PostgreSQL (the production shape) runs them in full, SQLite runs a
    third as many per operation (and every schema-boundary case); alone, in full."""
    return {"NHT_TEST_FUZZ_EXAMPLES": "4"} if backend == "sqlite" and "postgresql" in backends else {}


def national_env(backend: str) -> dict[str, str]:
    """The national crypto suite's run, beside the international one: its own PostgreSQL
    databases (``<base>_national``, ``..._gw0`` and so on) and Redis dbs (below the
    international run's workers and its scale cluster's), so the two never meet."""
    env = {"NHT_TEST_CRYPTO_SUITE": "national"}
    if backend == "postgresql":
        redis_base, _, redis_db = REDIS_URL.rpartition("/")
        env.update(NHT_TEST_POSTGRES_URL=f"{POSTGRES_URL}_national",
                   NHT_TEST_REDIS_URL=f"{redis_base}/{int(redis_db) - 5}")
    return env


def parts(backend: str, backends: list[str]) -> tuple[str, ...]:
    """The parts of the whole suite on ``backend``, in the order their results are shown.
    The national crypto suite runs on one backend: PostgreSQL + Redis when they answer
    (the production shape, and the one that holds SM4 tokens and SM2 signatures to its
    column types), else SQLite. Which crypto suite signs and encrypts is independent of
    which database stores the result, and on both backends the same crypto code ran twice
    for a sixth of the whole suite's CPU."""
    national_on = "postgresql" if "postgresql" in backends else "sqlite"
    return ("suite", "fuzzing", "national") if backend == national_on else ("suite", "fuzzing")


def whole_suite(backends: list[str], report_dir: Path) -> dict[str, list[tuple[str, tuple[int, dict, float, float]]]]:
    """Every backend's spread phase and its fuzzing, and the national-suite run, at once.
    Run one after another they left a core idle a third of the time (a worker's last
    file, a test waiting on a server or a commit), so the suite took the sum of their
    times rather than their CPU's. The national run is the spread phase again under
    NHT_TEST_CRYPTO_SUITE=national (issue 25: the whole suite passes under either suite);
    the fuzzer's cases exercise input validation, which no crypto suite changes, so they
    run once, under the default suite."""
    def part(backend: str, name: str) -> Run:
        report, output = report_dir / f"{backend}-{name}.xml", report_dir / f"{backend}-{name}.out"
        if name == "fuzzing":
            return Run(backend, [SERIAL_ONLY], report, output, **fuzzing_env(backend, backends))
        return Run(backend, spread_phase(), report, output, **(national_env(backend) if name == "national" else {}))

    runs = {backend: [(name, part(backend, name)) for name in parts(backend, backends)] for backend in backends}
    national_on = next(backend for backend, named in runs.items() if "national" in dict(named))
    print(f"\n=== on {', '.join(backends)}, all at once: the suite, its fuzzing ({SERIAL_ONLY}); and on"
          f" {national_on}, the suite under the national crypto suite; each part's output in turn,"
          " once it has ended ===", flush=True)
    results: dict[str, list[tuple[str, tuple[int, dict, float, float]]]] = {}
    for backend, named in runs.items():
        results[backend] = []
        for name, run in named:
            print(f"\n--- {name} on {backend} ---", flush=True)
            results[backend].append((name, run.wait()))
    return results


def chosen_tests(backends: list[str], pytest_args: list[str], report_dir: Path) -> dict[str, list]:
    """Chosen tests (arguments given): as asked, in one process per backend."""
    results = {}
    for backend in backends:
        print(f"\n=== test suite on {backend} ===", flush=True)
        results[backend] = [("chosen", Run(backend, pytest_args, report_dir / f"{backend}-0.xml").wait())]
    return results


def crypto_suite() -> str:
    suite = os.environ.get("NHT_TEST_CRYPTO_SUITE") or "international"
    if os.environ.get("NHT_CRYPTO_SUITE", suite) != suite:
        print(f"note: NHT_CRYPTO_SUITE={os.environ['NHT_CRYPTO_SUITE']} is not passed to the tests;"
              f" they run the {suite} suite (set NHT_TEST_CRYPTO_SUITE to choose)", flush=True)
    return suite


def main(pytest_args: list[str]) -> int:
    started = time.monotonic()
    suite = crypto_suite()
    why_not = services_answer()
    backends = ["sqlite"] + (["postgresql"] if why_not is None else [])
    with tempfile.TemporaryDirectory(dir=scratch_root()) as tmp:
        if pytest_args:
            results = chosen_tests(backends, pytest_args, Path(tmp))
        else:
            results = whole_suite(backends, Path(tmp))
    print("\n=== backends ===" if not pytest_args else f"\n=== backends (crypto suite: {suite}) ===")
    totals = {"passed": 0, "failed": 0, "skipped": 0}
    for backend, runs in results.items():
        code = max(code for _, (code, *_) in runs)
        counts = {k: sum(c[k] for _, (_, c, *_) in runs) for k in totals}
        took = ", ".join(f"{part} {seconds / 60:.1f} ({cpu / 60:.1f} of CPU)" for part, (_, _, seconds, cpu) in runs)
        state = "passed" if code == 0 else f"FAILED (pytest exit {code})"
        name = "postgresql+redis" if backend == "postgresql" else backend
        print(f"{name}: {state}: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped"
              f" ({took} min)")
        totals = {k: totals[k] + counts[k] for k in totals}
    if why_not:
        print(f"postgresql+redis: NOT RUN: {why_not}")
    print(f"total: {totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped"
          f" in {(time.monotonic() - started) / 60:.1f} min of wall time")
    # pytest's exit 5 (nothing collected) is a failure here too: a suite must test something.
    return 0 if all(code == 0 for runs in results.values() for _, (code, *_) in runs) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
