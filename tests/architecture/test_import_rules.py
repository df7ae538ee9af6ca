"""DESIGN.md's import rules, read from the code's imports (module level and inside functions).

- integrations/* import neither Flask nor nanhaitong;
- schemas/* import neither the app, the integrations nor Flask (flask_smorest's fields aside);
- routes are HTTP only: no integrations, no tables (models), no other domain (the staff
  console's pages, a client of every domain, call their faces);
- a domain reaches another only through its public face: what the package exports (its
  ``__all__``, which may name modules it opens to others) or its ``service`` module, never
  another module; the staff console, a client of every domain, goes through the same faces;
- no module imports another module's private (underscored) name;
- the kernel imports no domain, and no two domains import each other, directly or round a cycle.

Each failure names the file, the line and the import.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
APP = ROOT / "nanhaitong"
# The districts' domains; audit, security, jobs, health and the modules at the top of the
# package are shared infrastructure that every domain may use.
DOMAINS = ("identity", "licences", "authorizations", "esign", "gov_services", "payments", "partners",
           "policy_push", "messages", "one_stop", "privacy")
CLIENTS = ("console",)  # not a domain: pages over every domain's face
FACE_MODULES = ("service",)
KERNEL = "nanhaitong.kernel"


@dataclass(frozen=True)
class Import:
    path: Path
    line: int
    module: str  # absolute dotted module imported from (or imported)
    name: str | None  # the name taken from it, for ``from m import name``

    def __str__(self) -> str:
        what = f"from {self.module} import {self.name}" if self.name else f"import {self.module}"
        return f"{self.path.relative_to(ROOT)}:{self.line}: {what}"


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: Path) -> list[Import]:
    package = module_name(path).split(".")
    if path.name != "__init__.py":
        package = package[:-1]
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
        if isinstance(node, ast.Import):
            found += [Import(path, node.lineno, alias.name, None) for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = package[:len(package) - node.level + 1] if node.level else []
            module = ".".join([*base, *([node.module] if node.module else [])])
            found += [Import(path, node.lineno, module, alias.name) for alias in node.names]
    return found


def targets(imp: Import) -> str:
    """The module an import reaches: ``from a import b`` reaches a.b when b is a module."""
    if imp.name and (ROOT / Path(*imp.module.split("."), imp.name)).with_suffix(".py").exists():
        return f"{imp.module}.{imp.name}"
    if imp.name and (ROOT / Path(*imp.module.split("."), imp.name, "__init__.py")).exists():
        return f"{imp.module}.{imp.name}"
    return imp.module


def domain_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "nanhaitong" and parts[1] in DOMAINS else None


def declared_face(domain: str) -> set[str]:
    """The names a domain's ``__init__.py`` lists in ``__all__``."""
    init = ROOT / "nanhaitong" / domain / "__init__.py"
    for node in ast.parse(init.read_text(encoding="utf-8")).body if init.exists() else ():
        if isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "__all__" for t in node.targets):
            return {ast.literal_eval(item) for item in node.value.elts}
    return set()


def client_of(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[0] == "nanhaitong" and parts[1] in (*DOMAINS, *CLIENTS) else None


def files(under: Path) -> list[Path]:
    return sorted(p for p in under.rglob("*.py") if "migrations" not in p.parts)


# -- the rules ----------------------------------------------------------------------------------

def integration_violations(paths) -> list[str]:
    return [str(i) for p in paths for i in imports_of(p) if i.module.split(".")[0] in ("flask", "nanhaitong")]


def schema_violations(paths) -> list[str]:
    return [str(i) for p in paths for i in imports_of(p)
            if i.module.split(".")[0] in ("flask", "nanhaitong", "integrations")]


def route_violations(paths) -> list[str]:
    bad = []
    for path in paths:
        own = domain_of(module_name(path))
        for imp in imports_of(path):
            reached = targets(imp)
            other = domain_of(reached)
            console = client_of(module_name(path)) in CLIENTS  # its pages call every domain's face
            if (reached.split(".")[0] == "integrations" or reached.endswith(".models")
                    or (other is not None and other != own and not console)):
                bad.append(str(imp))
    return bad


def face_violations(paths) -> list[str]:
    """Another domain reached past its face: a private module, or a table."""
    bad = []
    for path in paths:
        own = client_of(module_name(path))
        for imp in imports_of(path) if own else ():  # the app factory and models.py assemble domains
            reached = targets(imp)
            other = domain_of(reached)
            if other is None or other == own:
                continue
            inner = reached.split(".")[2:]
            if inner and inner[0] not in FACE_MODULES and not (len(inner) == 1 and inner[0] in declared_face(other)):
                bad.append(str(imp))
    return bad


def private_name_violations(paths) -> list[str]:
    return [str(i) for p in paths for i in imports_of(p)
            if i.name and i.name.startswith("_") and not i.name.startswith("__") and targets(i) == i.module
            and i.module != module_name(p)]


def kernel_violations(paths) -> list[str]:
    return [str(i) for p in paths if module_name(p) == KERNEL for i in imports_of(p) if domain_of(targets(i))]


def domain_cycles(paths) -> list[str]:
    edges: dict[str, set[str]] = {}
    for path in paths:
        own = domain_of(module_name(path))
        for imp in imports_of(path) if own else ():
            other = domain_of(targets(imp))
            if other and other != own:
                edges.setdefault(own, set()).add(other)
    cycles, state = [], {}

    def visit(node: str, trail: list[str]) -> None:
        state[node] = "open"
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join([*trail[trail.index(nxt):], nxt]))
            elif nxt not in state:
                visit(nxt, [*trail, nxt])
        state[node] = "done"

    for start in sorted(edges):
        if start not in state:
            visit(start, [start])
    return cycles


RULES = {
    "integrations import no Flask or nanhaitong": (integration_violations, lambda: files(ROOT / "integrations")),
    "schemas import no app, integration or Flask": (schema_violations, lambda: files(ROOT / "schemas")),
    "routes are HTTP only": (route_violations, lambda: [p for p in files(APP) if p.name.endswith("routes.py")]),
    "domains meet through their faces": (face_violations, lambda: files(APP)),
    "no private name crosses a module": (private_name_violations,
                                         lambda: files(APP) + files(ROOT / "integrations") + files(ROOT / "schemas")),
    "the kernel imports no domain": (kernel_violations, lambda: files(APP)),
    "no cycle between domains": (domain_cycles, lambda: files(APP)),
}


@pytest.mark.parametrize("rule", list(RULES))
def test_the_code_keeps_the_rule(rule):
    check, paths = RULES[rule]
    assert check(paths()) == []


PLANTED = {
    "integrations import no Flask or nanhaitong": ("integrations/planted.py", "from nanhaitong.db import Base\n"),
    "schemas import no app, integration or Flask": ("schemas/planted.py", "from integrations.errors import X\n"),
    "routes are HTTP only": ("nanhaitong/licences/routes.py", "from ..payments import service\n"),
    "domains meet through their faces": ("nanhaitong/licences/service.py", "from ..identity import codes\n"),
    "no private name crosses a module": ("nanhaitong/licences/service.py", "from ..db import _needs_transaction\n"),
    "the kernel imports no domain": ("nanhaitong/kernel.py", "from .identity import service\n"),
    "no cycle between domains": ("nanhaitong/identity/service.py", "from ..licences import service\n"),
}


@pytest.mark.parametrize("rule", list(PLANTED))
def test_a_planted_violation_is_named(rule, tmp_path, monkeypatch):
    """Each rule fails on a violation planted in a copy of the tree, and names its line."""
    import shutil

    for top in ("nanhaitong", "integrations", "schemas"):
        shutil.copytree(ROOT / top, tmp_path / top, ignore=shutil.ignore_patterns("__pycache__", "migrations"))
    relative, line = PLANTED[rule]
    target = tmp_path / relative
    target.write_text((target.read_text() if target.exists() else "") + line)
    if rule == "no cycle between domains":  # licences -> identity exists; close the circle
        (tmp_path / "nanhaitong/licences/service.py").write_text(
            (tmp_path / "nanhaitong/licences/service.py").read_text() + "from ..identity import service as _i\n")
    monkeypatch.setattr(__import__(__name__, fromlist=["ROOT"]), "ROOT", tmp_path)
    monkeypatch.setattr(__import__(__name__, fromlist=["APP"]), "APP", tmp_path / "nanhaitong")
    check, paths = RULES[rule]
    found = check(paths())
    assert found, f"{rule}: the planted import was not found"
    if rule != "no cycle between domains":
        assert any(relative in hit for hit in found), found
