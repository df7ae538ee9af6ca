"""Run the suite on SQLite, then on PostgreSQL + Redis when both answer; say which ran.

`make test` calls this. Settings: NHT_TEST_POSTGRES_URL (default
postgresql://postgres@127.0.0.1:5432/test) and NHT_TEST_REDIS_URL (default
redis://127.0.0.1:6379/15). Extra arguments go to pytest.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
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


def phases(pytest_args: list[str]) -> list[list[str]]:
    """The whole suite: everything else on one pytest-xdist worker per core (at most 4;
    whole files to a worker, so a module's fixtures start once; each worker has its own
    database), then the fuzzing. Chosen tests (arguments given): as asked, in one process."""
    if pytest_args:
        return [pytest_args]
    workers = min(4, os.cpu_count() or 1)
    spread = ["-n", str(workers), "--dist", "loadfile"] if workers > 1 else []
    return [[*spread, f"--ignore={SERIAL_ONLY}"], [SERIAL_ONLY]]


def run(backend: str, pytest_args: list[str], report_dir: Path) -> tuple[int, dict]:
    # A developer's own NHT_* settings must not leak into the tests.
    env = {k: v for k, v in os.environ.items() if not k.startswith("NHT_") or k.startswith("NHT_TEST_")}
    env.update(NHT_TEST_BACKEND=backend, NHT_TEST_POSTGRES_URL=POSTGRES_URL, NHT_TEST_REDIS_URL=REDIS_URL)
    print(f"\n=== test suite on {backend} ===", flush=True)
    codes, counts = [], {"passed": 0, "failed": 0, "skipped": 0}
    for n, args in enumerate(phases(pytest_args)):
        report = report_dir / f"{backend}-{n}.xml"
        codes.append(subprocess.call(
            [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", f"--junitxml={report}", *args],
            cwd=ROOT, env=env,
        ))
        if report.exists():
            suite = ET.parse(report).getroot().find("testsuite")
            total, failed = int(suite.get("tests")), int(suite.get("failures")) + int(suite.get("errors"))
            skipped = int(suite.get("skipped"))
            counts["passed"] += total - failed - skipped
            counts["failed"] += failed
            counts["skipped"] += skipped
    return max(codes), counts


def main(pytest_args: list[str]) -> int:
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        results["sqlite"] = run("sqlite", pytest_args, Path(tmp))
        why_not = services_answer()
        if why_not is None:
            results["postgresql+redis"] = run("postgresql", pytest_args, Path(tmp))
    print("\n=== backends ===")
    for backend, (code, counts) in results.items():
        state = "passed" if code == 0 else f"FAILED (pytest exit {code})"
        print(f"{backend}: {state}: {counts['passed']} passed, {counts['failed']} failed, {counts['skipped']} skipped")
    if why_not:
        print(f"postgresql+redis: NOT RUN: {why_not}")
    totals = {k: sum(c[k] for _, c in results.values()) for k in ("passed", "failed", "skipped")}
    print(f"total: {totals['passed']} passed, {totals['failed']} failed, {totals['skipped']} skipped")
    # pytest's exit 5 (nothing collected) is a failure here too: a suite must test something.
    return 0 if all(code == 0 for code, _ in results.values()) else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
