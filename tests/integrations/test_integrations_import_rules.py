"""integrations/ (sandbox included) imports neither Flask nor nanhaitong."""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

INTEGRATIONS = Path(__file__).resolve().parents[2] / "integrations"
FORBIDDEN = ("flask", "nanhaitong")


def forbidden_imports(path: Path) -> list[str]:
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names = [node.module]
        else:
            continue
        found += [f"{path.name}:{node.lineno} imports {name}"
                  for name in names if name.split(".")[0] in FORBIDDEN]
    return found


def modules(under: Path, *, excluding: Path | None = None) -> list[Path]:
    return [p for p in sorted(under.rglob("*.py")) if excluding is None or excluding not in p.parents]


@pytest.mark.parametrize(
    "files",
    [
        pytest.param(modules(INTEGRATIONS, excluding=INTEGRATIONS / "sandbox"), id="clients"),
        pytest.param(modules(INTEGRATIONS / "sandbox"), id="sandbox"),
    ],
)
def test_no_flask_or_nanhaitong_imports(files):
    assert files, "no modules found: has integrations/ moved?"
    assert [hit for path in files for hit in forbidden_imports(path)] == []


def test_the_checker_catches_forbidden_imports(tmp_path):
    bad = tmp_path / "bad.py"
    bad.write_text("import flask.json\nfrom nanhaitong.db import Base\nfrom . import flask\n")

    assert len(forbidden_imports(bad)) == 2
