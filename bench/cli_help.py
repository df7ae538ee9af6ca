"""How long `flask --help` and each `flask <group> --help` take to answer (goal: under 1.5 s).

    python -m bench.cli_help [--runs 5]

Wall time of the real command line (a fresh interpreter each run), median of the runs.
tests/console/test_operator_tools.py checks the cause (no heavy import for a help text);
the seconds depend on the machine, so they are measured here, not asserted in a test.
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from pathlib import Path

from nanhaitong.cli_lazy import COMMAND_GROUPS

ROOT = Path(__file__).resolve().parent.parent
GOAL_SECONDS = 1.5


def seconds(args: list[str], runs: int) -> float:
    taken = []
    for _ in range(runs):
        started = time.perf_counter()
        subprocess.run([sys.executable, "-m", "flask", "--app", "wsgi", *args], cwd=ROOT, check=True,
                       stdout=subprocess.DEVNULL)
        taken.append(time.perf_counter() - started)
    return statistics.median(taken)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    runs = parser.parse_args().runs
    slow = 0
    for args in (["--help"], *([name, "--help"] for name in COMMAND_GROUPS)):
        taken = seconds(args, runs)
        slow += taken >= GOAL_SECONDS
        print(f"flask {' '.join(args):28} {taken:5.2f} s {'ok' if taken < GOAL_SECONDS else 'SLOW'}")
    return 1 if slow else 0


if __name__ == "__main__":
    sys.exit(main())
