"""The small kernel every domain shares and that imports none of them.

Who is acting (``Principal``, what the authenticators hand to views as ``g.principal``),
and questions about parties (citizens, enterprises, partners) that a domain must ask
without importing the domain that keeps them: identity answers them, registering its
answers here at start-up, so authorizations (which identity uses) never imports identity.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

CITIZEN_AUDIENCES = ("app", "miniprogram")
STAFF_AUDIENCE = "staff"


@dataclass(frozen=True)
class Principal:
    kind: str  # citizen | staff
    account_id: str
    session_id: str
    audience: str
    assurance_level: int
    enterprise_id: str | None = None
    role: str | None = None  # enterprise member role (None when acting only by grant), or staff role
    grant_id: str | None = None  # acting under this grant (delegation or business authorization)
    for_citizen: str | None = None  # the citizen a delegate acts for

    @property
    def subject(self) -> tuple[str, str]:
        """Whose data this caller works on: (kind, id)."""
        if self.enterprise_id:
            return "enterprise", self.enterprise_id
        if self.for_citizen:
            return "citizen", self.for_citizen
        return self.kind, self.account_id

    @property
    def audit_name(self) -> str:
        return f"{self.kind}:{self.account_id}"

    @property
    def on_behalf_of(self) -> str | None:
        kind, ident = self.subject
        return None if (kind, ident) == (self.kind, self.account_id) else f"{kind}:{ident}"


# -- parties -----------------------------------------------------------------------------

_answers: dict[str, Callable] = {}


def provide(**answers: Callable) -> None:
    """Register the functions that answer questions about parties (at start-up)."""
    _answers.update(answers)


def member_role(enterprise_id: str, user_id: str) -> str | None:
    """The citizen's role in the enterprise, or None when they are not a member."""
    return _answers["member_role"](enterprise_id, user_id)


def find_citizen(*, phone: str | None = None, user_id: str | None = None):
    """A reference (``id``, ``assurance_level``) to a registered citizen, or None."""
    return _answers["find_citizen"](phone=phone, user_id=user_id)


def parties(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """Masked, human labels for (kind, id) pairs, keyed by pair."""
    return _answers["parties"](pairs)
