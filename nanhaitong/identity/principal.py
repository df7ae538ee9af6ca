"""Who is calling: what the authenticators hand to views as ``g.principal``."""

from __future__ import annotations

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
