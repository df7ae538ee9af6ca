"""The tests keep their own kit: a helper that more than one test module uses lives in
tests/support/, and no test module imports from another ``test_*.py`` module (a test
module's top runs again wherever it is imported, and its helpers are found by accident).
Nor does a test reach into another folder's conftest: what two folders share is kit.

Read from the imports with ``ast`` (module level and inside functions); each failure
names the file, the line and the import.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
TESTS = ROOT / "tests"
SUPPORT = "tests.support"


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path, root: Path) -> list[tuple[int, str, str]]:
    """(line, module reached, how it reads) for every import in ``path``."""
    package = module_name(path, root).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [(node.lineno, alias.name, f"import {alias.name}") for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            written = "." * node.level + (node.module or "")
            for alias in node.names:
                # ``from tests.identity import test_enterprises`` reaches the module itself.
                reached = f"{module}.{alias.name}" if alias.name.startswith("test_") else module
                found.append((node.lineno, reached, f"from {written} import {alias.name}"))
    return found


def python_files(root: Path) -> list[Path]:
    return sorted(p for p in (root / "tests").rglob("*.py") if "__pycache__" not in p.parts)


def imports_of_test_modules(root: Path) -> list[str]:
    """Imports from a test module (``tests.x.test_y`` or ``.test_y``)."""
    return [f"{path.relative_to(root)}:{line}: {text}"
            for path in python_files(root) for line, module, text in imports_of(path, root)
            if module.startswith("tests.") and module.rsplit(".", 1)[-1].startswith("test_")]


def foreign_conftest_imports(root: Path) -> list[str]:
    """Imports of a conftest other than the importer's own folder's or the top one (tests/conftest.py)."""
    bad = []
    for path in python_files(root):
        own = module_name(path, root).rsplit(".", 1)[0] + ".conftest"
        for line, module, text in imports_of(path, root):
            if module.endswith(".conftest") and module.startswith("tests.") and module not in (own, "tests.conftest"):
                bad.append(f"{path.relative_to(root)}:{line}: {text}")
    return bad


def helper_definitions_outside_the_kit(root: Path) -> list[str]:
    """The error-shape assertion is defined once, in tests/support/errors.py."""
    return [f"{path.relative_to(root)}:{node.lineno}: def {node.name}"
            for path in python_files(root) if "support" not in path.relative_to(root / "tests").parts
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8")))
            if isinstance(node, ast.FunctionDef) and node.name.startswith("assert_error")]


RULES = {
    "no test module imports another test module": imports_of_test_modules,
    "no test imports another folder's conftest": foreign_conftest_imports,
    "assert_error lives in the kit only": helper_definitions_outside_the_kit,
}


@pytest.mark.parametrize("rule", list(RULES))
def test_the_tests_keep_the_rule(rule):
    assert RULES[rule](ROOT) == []


def test_the_kit_is_a_package_of_its_own():
    assert (TESTS / "support" / "__init__.py").is_file()
    assert not [p.name for p in (TESTS / "support").glob("test_*.py")]


# rule: [(file, lines appended, which appended line is the violation, how the hit reads)]
PLANTED = {
    "no test module imports another test module": [
        ("tests/messages/test_inbox.py", "from tests.identity.test_enterprises import register\n", 1,
         "from tests.identity.test_enterprises import register"),
        ("tests/esign/test_pki.py", "def helper():\n    from .test_signing import pyhanko_statuses\n", 2,
         "from .test_signing import pyhanko_statuses"),
        ("tests/payments/conftest.py", "from tests.identity import test_staff_cli\n", 1,
         "from tests.identity import test_staff_cli"),
        ("tests/licences/test_wallet.py", "import tests.licences.test_reveal\n", 1, "import tests.licences.test_reveal"),
    ],
    "no test imports another folder's conftest": [
        ("tests/messages/test_inbox.py", "from tests.licences.conftest import sync\n", 1,
         "from tests.licences.conftest import sync"),
        ("tests/esign/test_pki.py", "from ..payments.conftest import CARD\n", 1, "from ..payments.conftest import CARD"),
    ],
    "assert_error lives in the kit only": [
        ("tests/api/test_error_contract.py", "def assert_error(response, status, code):\n    pass\n", 1,
         "def assert_error"),
    ],
}


@pytest.mark.parametrize("rule", list(PLANTED))
def test_a_planted_violation_is_named(rule, tmp_path):
    """Each rule fails on violations planted in a copy of tests/, naming file, line and import."""
    shutil.copytree(TESTS, tmp_path / "tests", ignore=shutil.ignore_patterns("__pycache__"))
    expected = []
    for relative, code, at, reads in PLANTED[rule]:
        target = tmp_path / relative
        before = target.read_text(encoding="utf-8")
        target.write_text(before + code, encoding="utf-8")
        expected.append(f"{relative}:{before.count(chr(10)) + at}: {reads}")
    assert sorted(RULES[rule](tmp_path)) == sorted(expected)
