"""Draw bench/results/*.json as one PNG: throughput as a ratio to the ceiling, and p99 at
half the peak rate, per endpoint and backend. `python -m bench.report`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def main() -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # One run per backend; growth.json holds two runs of its own and is reported in growth.md.
    runs = [run for p in sorted(RESULTS.glob("*.json")) if "rows" in (run := json.loads(p.read_text()))]
    if not runs:
        print("no results in bench/results: run `python -m bench.run` first", file=sys.stderr)
        return 1
    fig, (ratio_ax, p99_ax) = plt.subplots(1, 2, figsize=(14, 6))
    width = 0.8 / len(runs)
    names = [row["scenario"] for row in runs[0]["rows"]]
    for n, run in enumerate(runs):
        rows = {row["scenario"]: row for row in run["rows"]}
        xs = [i + n * width for i in range(len(names))]
        ratio_ax.bar(xs, [rows[s]["ratio"] if s in rows else 0 for s in names], width, label=run["backend"])
        p99_ax.bar(xs, [rows[s]["half_peak"]["p99_ms"] if s in rows else 0 for s in names], width,
                   label=run["backend"])
    for ax in (ratio_ax, p99_ax):
        ax.set_xticks([i + width * (len(runs) - 1) / 2 for i in range(len(names))])
        ax.set_xticklabels(names, rotation=35, ha="right", fontsize=8)
        ax.legend()
    ratio_ax.axhline(runs[0]["goals"]["authenticated_read_ratio"], color="red", linestyle="--", linewidth=1)
    ratio_ax.set_title("peak req/s as a ratio to the bare-Flask ceiling (goal for authenticated reads: dashed)")
    p99_ax.axhline(runs[0]["goals"]["p99_ms_at_half_peak"], color="red", linestyle="--", linewidth=1)
    p99_ax.set_yscale("log")  # password hashing is 100× the rest: a linear axis hides them
    p99_ax.set_title("p99 latency (ms, log scale) at half the peak rate (goal: dashed)")
    fig.tight_layout()
    out = RESULTS / "benchmark.png"
    fig.savefig(out, dpi=110)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
