"""Policy documents (企业政策解读), their versions, and the fan-out of each published version."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, func, literal_column
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..ids import new_id
from ..timeutil import utcnow

UtcDateTime = DateTime(timezone=True)


class Policy(Base):
    """A policy document. What the public sees is its ``current_version`` while published."""

    __tablename__ = "policies"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    status: Mapped[str] = mapped_column(String(12), default="draft", index=True)  # draft | published | withdrawn
    current_version: Mapped[int | None] = mapped_column(Integer)  # the version last published
    latest_version: Mapped[int] = mapped_column(Integer, default=1)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # of the current version
    withdrawn_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PolicyVersion(Base):
    """One version of a policy. A draft may change; a published version never does
    (amending makes the next version)."""

    __tablename__ = "policy_versions"
    __table_args__ = (
        UniqueConstraint("policy_id", "version"),
        # PostgreSQL: full-text index over the precomputed CJK bigram tokens.
        Index("ix_policy_versions_search", func.to_tsvector(literal_column("'simple'"), literal_column("search_text")),
              postgresql_using="gin").ddl_if(dialect="postgresql"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    policy_id: Mapped[str] = mapped_column(ForeignKey("policies.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    state: Mapped[str] = mapped_column(String(12), default="draft")  # draft | published | superseded
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(20))  # subsidy | tax_relief | talent | finance | other
    issuer: Mapped[str] = mapped_column(String(100))  # the issuing department
    summary: Mapped[str] = mapped_column(Text)  # plain-language interpretation
    eligibility: Mapped[str] = mapped_column(Text)  # who qualifies, in words
    max_amount_fen: Mapped[int | None] = mapped_column(Integer)
    amount_note: Mapped[str | None] = mapped_column(Text)
    apply_from: Mapped[str | None] = mapped_column(String(10))  # ISO dates, China time
    apply_until: Mapped[str | None] = mapped_column(String(10))
    how_to_apply: Mapped[str] = mapped_column(Text)
    service_codes: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of gov-service codes
    body: Mapped[str] = mapped_column(Text)  # the document itself
    rules: Mapped[str] = mapped_column(Text, default="{}")  # JSON targeting rules (rules.py)
    search_text: Mapped[str] = mapped_column(Text, default="")  # rules.document_tokens(...)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    published_by: Mapped[str | None] = mapped_column(String(40))
    published_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PolicyFanOut(Base):
    """One run of matching a published version against every enterprise and sending it.
    The inbox's dedupe key makes a second run of the same version send nothing new."""

    __tablename__ = "policy_fanouts"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    policy_id: Mapped[str] = mapped_column(ForeignKey("policies.id"), index=True)
    version: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="queued")  # queued | running | done | failed
    total: Mapped[int] = mapped_column(Integer, default=0)  # enterprises considered
    matched: Mapped[int] = mapped_column(Integer, default=0)
    processed: Mapped[int] = mapped_column(Integer, default=0)  # matched enterprises handled so far
    delivered: Mapped[int] = mapped_column(Integer, default=0)  # new enterprise inbox messages
    member_copies: Mapped[int] = mapped_column(Integer, default=0)  # new copies to following members
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    started_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    finished_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
