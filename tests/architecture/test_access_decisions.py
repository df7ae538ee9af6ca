"""DESIGN.md: every permission question goes through one function in ``authorizations``;
no route or service decides access by comparing ids, roles or levels inline.

Read from the code: a permission refusal (``Forbidden``, 403) is made only inside
``nanhaitong/authorizations``. The few 403s made elsewhere are listed below by file and
error code, each with why it is no access decision (an authentication declaration checked
before the view runs, a fact about the world rather than the caller's standing); a new one
fails this test, naming its file and line, until it moves into ``authorize`` or is listed
here with its reason. A violation planted in a copy of the tree shows the test can fail.
"""

from __future__ import annotations

import ast
import shutil
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DECIDER = Path("nanhaitong/authorizations")
REFUSALS = ("Forbidden",)

# (file, error code) -> why this 403 is no access decision.
NOT_ACCESS_DECISIONS = {
    ("nanhaitong/identity/authn.py", "enterprise_context_required"):
        "the route's authentication declaration (login_required(enterprise=True)), before the view",
    ("nanhaitong/identity/authn.py", "assurance_level_required"):
        "the route's authentication declaration (login_required(level=...)), before the view",
    ("nanhaitong/identity/authn.py", "staff_role_required"):
        "the route's authentication declaration (login_required('staff', roles=...)), before the view",
    ("nanhaitong/partners/auth.py", "user_token_required"):
        "OAuth 2.0 bearer-token authentication of a partner call (RFC 6750), before the view",
    ("nanhaitong/partners/auth.py", "insufficient_scope"):
        "OAuth 2.0 bearer-token authentication of a partner call (RFC 6750 insufficient_scope), before the view",
    ("nanhaitong/esign/certificates.py", "assurance_level_required"):
        "a certificate names a verified person: there is no verified name to put in it",
    ("nanhaitong/licences/service.py", "assurance_level_required"):
        "the licence library finds licences by verified ID number: there is none to ask with",
    ("nanhaitong/gov_services/forwarding.py", "assurance_level_required"):
        "the provincial platform is sent a verified identity: there is none to send",
    ("nanhaitong/one_stop/appointments.py", "booking_blocked"):
        "a sanction after repeated no-shows, a state of the booker's record",
    ("nanhaitong/privacy/minors.py", "guardian_consent_required"):
        "a check registered on the decision itself (nht.authorization_checks): authorize runs it",
}


def refusals_outside_the_decider(root: Path) -> list[tuple[str, int, str | None]]:
    """(file, line, code) of every refusal built outside ``authorizations``."""
    found = []
    for path in sorted((root / "nanhaitong").rglob("*.py")):
        relative = path.relative_to(root)
        if DECIDER in relative.parents or "migrations" in relative.parts:
            continue
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"), filename=str(path))):
            if not isinstance(node, ast.Call):
                continue
            name = node.func.id if isinstance(node.func, ast.Name) else getattr(node.func, "attr", None)
            if name in REFUSALS:
                code = next((k.value.value for k in node.keywords
                             if k.arg == "code" and isinstance(k.value, ast.Constant)), None)
                found.append((relative.as_posix(), node.lineno, code))
    return found


def violations(root: Path) -> list[str]:
    return [f"{path}:{line}: Forbidden(code={code!r}) decides access outside authorizations.authorize"
            for path, line, code in refusals_outside_the_decider(root) if (path, code) not in NOT_ACCESS_DECISIONS]


def test_no_service_refuses_access_outside_the_one_decision():
    assert violations(ROOT) == []


def test_every_listed_exception_still_exists():
    """A listed 403 that moved into the decision (or went) leaves the list too."""
    present = {(path, code) for path, _line, code in refusals_outside_the_decider(ROOT)}
    assert sorted(set(NOT_ACCESS_DECISIONS) - present) == []


def test_a_planted_inline_refusal_is_named(tmp_path):
    shutil.copytree(ROOT / "nanhaitong", tmp_path / "nanhaitong",
                    ignore=shutil.ignore_patterns("__pycache__", "migrations", "translations"))
    target = tmp_path / "nanhaitong/licences/service.py"
    source = target.read_text(encoding="utf-8")
    target.write_text(source + (
        "\n\ndef _planted(principal, licence):\n"
        "    if licence.holder_id != principal.account_id:\n"
        "        raise Forbidden(\"Not yours.\", code=\"not_the_holder\")\n"), encoding="utf-8")
    line = source.count("\n") + 5
    assert violations(tmp_path) == [
        f"nanhaitong/licences/service.py:{line}: Forbidden(code='not_the_holder') decides access outside "
        "authorizations.authorize"]
    # A refusal inside authorizations is the decision's own.
    decider = tmp_path / "nanhaitong/authorizations/decide.py"
    decider.write_text(decider.read_text(encoding="utf-8") + "\nForbidden('x', code='y')\n", encoding="utf-8")
    assert len(violations(tmp_path)) == 1
