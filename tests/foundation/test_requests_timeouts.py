"""`requests` has no default timeout: every call in the code and the tests names one."""

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
VERBS = {"get", "post", "put", "patch", "delete", "head", "options", "request"}


def _calls_without_timeout():
    for folder in ("nanhaitong", "integrations", "tests", "schemas"):
        for path in (ROOT / folder).rglob("*.py"):
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)
                        and node.func.attr in VERBS and isinstance(node.func.value, ast.Name)
                        and node.func.value.id == "requests"
                        and not any(kw.arg == "timeout" for kw in node.keywords)):
                    yield f"{path.relative_to(ROOT)}:{node.lineno}"


def test_every_requests_call_names_a_timeout():
    assert list(_calls_without_timeout()) == []
