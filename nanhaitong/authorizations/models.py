"""Grants, their history, and each person's access log."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..ids import new_id
from ..timeutil import utcnow

UtcDateTime = DateTime(timezone=True)


class Grant(Base):
    """Grantor lets grantee act with ``scopes`` (JSON list) under ``constraints`` (JSON object).

    ``status`` is active or revoked as stored; an active grant past ``expires_at`` reads as
    expired (see service.effective_status), so expiry needs no job to take effect.
    """

    __tablename__ = "grants"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    grantor_kind: Mapped[str] = mapped_column(String(12))  # citizen | enterprise
    grantor_id: Mapped[str] = mapped_column(String(26), index=True)
    grantee_kind: Mapped[str] = mapped_column(String(12))  # citizen | partner
    grantee_id: Mapped[str] = mapped_column(String(40), index=True)
    scopes: Mapped[str] = mapped_column(Text)
    constraints: Mapped[str] = mapped_column(Text, default="{}")
    purpose: Mapped[str] = mapped_column(String(200))
    not_before: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    status: Mapped[str] = mapped_column(String(10), default="active")
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("grants.id"))
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_by: Mapped[str | None] = mapped_column(String(40))
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class GrantEvent(Base):
    """Every change of a grant, kept as history."""

    __tablename__ = "grant_events"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    grant_id: Mapped[str] = mapped_column(ForeignKey("grants.id"), index=True)
    event: Mapped[str] = mapped_column(String(20))  # created | revoked
    actor: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    details: Mapped[str] = mapped_column(Text, default="{}")


class AccessLogEntry(Base):
    """Someone else read or used a person's (or an enterprise's) data: shown to that owner."""

    __tablename__ = "access_log"
    # A page of one owner's entries, newest first by id (ULID): the index's last entries of that owner.
    __table_args__ = (Index("ix_access_log_owner", "owner_kind", "owner_id", "id"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    owner_kind: Mapped[str] = mapped_column(String(12))
    owner_id: Mapped[str] = mapped_column(String(26))
    accessor_kind: Mapped[str] = mapped_column(String(12))  # citizen | staff | partner | verifier
    accessor_id: Mapped[str] = mapped_column(String(40))
    acting_as: Mapped[str] = mapped_column(String(20))  # delegate | member | staff | partner | verifier
    action: Mapped[str] = mapped_column(String(40))
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(40))
    grant_id: Mapped[str | None] = mapped_column(String(26))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    reason: Mapped[str | None] = mapped_column(String(200))  # a staff member's stated reason
