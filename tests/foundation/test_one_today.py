""""Today" has one meaning: China's date, from integrations.china_time (re-exported by
nanhaitong.timeutil). The machine's local date and a naive clock differ from it for a
third of every day (16:00-24:00 UTC), which once failed the suite every evening."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TREES = ("nanhaitong", "integrations", "tests", "bench")
# datetime.now() / .today() without a zone, date.today(), datetime.utcnow() (naive UTC)
NAIVE = {("date", "today"), ("datetime", "today"), ("datetime", "utcnow"), ("datetime", "utcfromtimestamp")}


def naive_clock_calls(source: str) -> list[int]:
    lines = []
    for node in ast.walk(ast.parse(source)):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        owner = node.func.value
        owner_name = owner.attr if isinstance(owner, ast.Attribute) else getattr(owner, "id", None)
        call = (owner_name, node.func.attr)
        if call in NAIVE or (call == ("datetime", "now") and not node.args and not node.keywords):
            lines.append(node.lineno)
    return lines


def test_no_naive_today_or_now_anywhere():
    offenders = [f"{path.relative_to(ROOT)}:{line}"
                 for tree in TREES for path in sorted((ROOT / tree).rglob("*.py"))
                 for line in naive_clock_calls(path.read_text(encoding="utf-8"))]
    assert offenders == [], "use timeutil.china_today()/china_now() or utcnow(): " + ", ".join(offenders)


def test_the_check_finds_each_naive_form():
    planted = "import datetime as dt\nfrom datetime import date, datetime\n" \
              "a = date.today()\nb = datetime.now()\nc = dt.datetime.today()\nd = datetime.utcnow()\n" \
              "ok = datetime.now(tz)\n"
    assert naive_clock_calls(planted) == [3, 4, 5, 6]
