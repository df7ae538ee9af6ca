"""Small modules and short functions (DESIGN.md; issue 19): a module of the application
stays under ~400 lines and a function under ~60, so each can be read in one sitting.
The limits carry a little slack (the "~"); a module that outgrows them is split by concern,
as gov_services, the licence-library client and the OAuth server were."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TREES = ("nanhaitong", "integrations", "schemas")
MAX_MODULE_LINES = 420
MAX_FUNCTION_LINES = 64


def _modules():
    for tree in TREES:
        for path in sorted((ROOT / tree).rglob("*.py")):
            if "migrations" not in path.parts:
                yield path


def long_functions(source: str, limit: int = MAX_FUNCTION_LINES) -> list[tuple[str, int]]:
    return [(node.name, node.end_lineno - node.lineno + 1) for node in ast.walk(ast.parse(source))
            if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef)) and node.end_lineno - node.lineno + 1 > limit]


def test_every_module_is_under_the_limit():
    too_long = {str(path.relative_to(ROOT)): lines for path in _modules()
                if (lines := len(path.read_text(encoding="utf-8").splitlines())) > MAX_MODULE_LINES}
    assert too_long == {}, f"modules over {MAX_MODULE_LINES} lines (split them by concern): {too_long}"


def test_every_function_is_under_the_limit():
    too_long = {f"{path.relative_to(ROOT)}:{name}": lines for path in _modules()
                for name, lines in long_functions(path.read_text(encoding="utf-8"))}
    assert too_long == {}, f"functions over {MAX_FUNCTION_LINES} lines: {too_long}"


def test_the_function_check_counts_a_planted_long_function():
    planted = "def short():\n    return 1\n\n\ndef long():\n" + "    x = 1\n" * MAX_FUNCTION_LINES
    assert long_functions(planted) == [("long", MAX_FUNCTION_LINES + 1)]
