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
    role: str | None = None  # enterprise member role, or staff role

    @property
    def audit_name(self) -> str:
        return f"{self.kind}:{self.account_id}"

    @property
    def on_behalf_of(self) -> str | None:
        return f"enterprise:{self.enterprise_id}" if self.enterprise_id else None
