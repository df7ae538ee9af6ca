"""Terms and privacy-policy versions, agreements to them, optional consents, account
deletion requests and data-export requests (PIPL; GB/T 35273-2020)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..ids import new_id
from ..security.fields import EncryptedText
from ..timeutil import utcnow

UtcDateTime = DateTime(timezone=True)


class LegalDocument(Base):
    """One published version of the terms of service or the privacy policy (Chinese text).
    A published version never changes; the next one supersedes it."""

    __tablename__ = "legal_documents"
    __table_args__ = (UniqueConstraint("kind", "version"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(20))  # terms | privacy_policy
    version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    body: Mapped[str] = mapped_column(Text)
    summary_of_changes: Mapped[str | None] = mapped_column(Text)
    requires_agreement: Mapped[bool] = mapped_column(Boolean, default=True)
    published_by: Mapped[str] = mapped_column(String(40))
    published_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Agreement(Base):
    """A person agreed to one version of one document: when, through which channel
    (app | miniprogram) and client, at sign-up or on an update."""

    __tablename__ = "legal_agreements"
    __table_args__ = (UniqueConstraint("user_id", "kind", "version"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(26), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    version: Mapped[int] = mapped_column(Integer)
    context: Mapped[str] = mapped_column(String(12))  # sign_up | update
    channel: Mapped[str] = mapped_column(String(20))  # app | miniprogram
    client: Mapped[str | None] = mapped_column(String(200))  # the User-Agent that agreed
    agreed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OptionalConsent(Base):
    """An optional consent (marketing pushes): given or withdrawn, with when."""

    __tablename__ = "optional_consents"
    __table_args__ = (UniqueConstraint("user_id", "name"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(26), index=True)
    name: Mapped[str] = mapped_column(String(30))
    granted: Mapped[bool] = mapped_column(Boolean, default=False)
    changed_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class DeletionRequest(Base):
    """A request to delete an account (注销): cooling off until ``effective_at``, then
    carried out by a job. ``user_id`` is all that remains of the person afterwards: a
    random id that nothing links to a phone, name or ID number any more."""

    __tablename__ = "account_deletions"
    # One pending request per person, however many arrive at once.
    __table_args__ = (Index("uq_account_deletions_one_pending", "user_id", unique=True,
                            sqlite_where=text("status = 'cooling_off'"),
                            postgresql_where=text("status = 'cooling_off'")),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(26), index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)  # cooling_off | cancelled | running | completed
    requested_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    effective_at: Mapped[datetime] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    summary: Mapped[str] = mapped_column(Text, default="{}")  # JSON: what each domain erased or kept


class DataExport(Base):
    """A copy of one person's data, built by a job. The ZIP is encrypted at rest and
    deleted when the link expires."""

    __tablename__ = "data_exports"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(26), index=True)
    status: Mapped[str] = mapped_column(String(12), index=True)  # queued | building | ready | failed | expired
    progress: Mapped[int] = mapped_column(Integer, default=0)  # percent
    archive: Mapped[str | None] = mapped_column(EncryptedText("data_exports.archive"))  # base64 ZIP
    archive_sha256: Mapped[str | None] = mapped_column(String(64))
    size_bytes: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    ready_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)  # SMS code given: downloads open
    downloaded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
