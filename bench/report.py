"""Draw bench/results/*.json as one PNG, per endpoint and backend, with the goals of issue 26:
server CPU per request and peak req/s, each as a ratio to the floor's (measured just before
the endpoint), and p99 at half the peak rate; ✓/✗ over each bar where a goal applies.
`python -m bench.report`."""

from __future__ import annotations

import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
# (title, value of a row, the goal it is judged by in row["goals"], the goal's line, log scale)
PANELS = (
    ("server CPU per request ÷ the floor's (reads: at most 1.5, dashed; the marks of the floor and of "
     "callback/verification/order create judge their own goals: ≤ 1.6× the ceiling's CPU, ≤ 3/3/8 ms)",
     lambda row: row.get("floor_cpu_ratio"), ("cpu_vs_floor", "server_cpu_ms", "floor_cpu_vs_ceiling"),
     lambda goals: goals["read_cpu_vs_floor"], True),
    ("peak req/s ÷ the floor's (reads: at least 0.65, dashed)",
     lambda row: row.get("floor_rps_ratio"), ("rps_vs_floor",), lambda goals: goals["read_rps_vs_floor"], True),
    ("p99 ms at half the peak rate (goal: under 50, dashed)",
     lambda row: row["half_peak"]["p99_ms"], ("p99_at_half_peak",), lambda goals: goals["p99_ms_at_half_peak"], True),
)


def _mark(row: dict, goal_names: tuple[str, ...]) -> str:
    met = [row.get("goals", {})[name] for name in goal_names if name in row.get("goals", {})]
    return "" if not met else ("✓" if all(met) else "✗")


def main() -> int:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    # One run per backend, in this run's shape; growth.json holds two runs of its own
    # and is reported in growth.md.
    runs = [run for p in sorted(RESULTS.glob("*.json"))
            if "rows" in (run := json.loads(p.read_text())) and "read_cpu_vs_floor" in run.get("goals", {})]
    if not runs:
        print("no results in bench/results: run `python -m bench.run` first", file=sys.stderr)
        return 1
    fig, axes = plt.subplots(len(PANELS), 1, figsize=(15, 14))
    width = 0.8 / len(runs)
    names = [row["scenario"] for row in runs[0]["rows"]]
    for ax, (title, value, goal_names, goal_line, log) in zip(axes, PANELS):
        for n, run in enumerate(runs):
            rows = {row["scenario"]: row for row in run["rows"]}
            xs = [i + n * width for i in range(len(names))]
            heights = [(value(rows[s]) or 0) if s in rows else 0 for s in names]
            bars = ax.bar(xs, heights, width, label=run["backend"])
            for bar, name in zip(bars, names):
                mark = _mark(rows[name], goal_names) if name in rows else ""
                if mark:
                    ax.annotate(mark, (bar.get_x() + bar.get_width() / 2, max(bar.get_height(), 1e-3)),
                                ha="center", va="bottom", fontsize=9, color="green" if mark == "✓" else "red")
        ax.axhline(goal_line(runs[0]["goals"]), color="red", linestyle="--", linewidth=1)
        if log:
            ax.set_yscale("log")  # password hashing is 100× the rest: a linear axis hides them
        ax.set_title(title + ", log scale", fontsize=10)
        ax.set_xticks([i + width * (len(runs) - 1) / 2 for i in range(len(names))])
        ax.set_xticklabels(names, rotation=25, ha="right", fontsize=8)
        ax.legend(fontsize=8)
    fig.tight_layout()
    out = RESULTS / "benchmark.png"
    fig.savefig(out, dpi=100)
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
