"""The provincial services catalogue, applications and their status history."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..ids import new_id
from ..security.fields import EncryptedText
from ..timeutil import utcnow

UtcDateTime = DateTime(timezone=True)


class GovServiceItem(Base):
    """One high-frequency service: its guide and the schema of its form or parameters."""

    __tablename__ = "gov_service_items"

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    provider: Mapped[str] = mapped_column(String(24))  # yueshengshi | yueshangtong
    audience: Mapped[str] = mapped_column(String(12))  # citizen | enterprise
    kind: Mapped[str] = mapped_column(String(12))  # query | application
    category: Mapped[str] = mapped_column(String(40), index=True)
    name: Mapped[str] = mapped_column(String(100))
    department: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    eligibility: Mapped[str] = mapped_column(Text)
    materials: Mapped[str] = mapped_column(Text)  # JSON list of {name, note?, licence_type?}
    fee_fen: Mapped[int] = mapped_column(Integer, default=0)
    fee_note: Mapped[str | None] = mapped_column(String(200))
    legal_time_limit_days: Mapped[int | None] = mapped_column(Integer)
    promised_time_limit_days: Mapped[int | None] = mapped_column(Integer)
    form_schema: Mapped[str] = mapped_column(Text)  # JSON object (a JSON-Schema subset)
    attachable_licence_types: Mapped[str] = mapped_column(Text, default="[]")  # JSON list
    cacheable: Mapped[bool] = mapped_column(Boolean, default=False)
    cache_ttl_seconds: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | retired
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class GovApplication(Base):
    """An application to a provincial service, as we delivered it and as the upstream moved it on."""

    __tablename__ = "gov_applications"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    service_code: Mapped[str] = mapped_column(ForeignKey("gov_service_items.code"), index=True)
    provider: Mapped[str] = mapped_column(String(24))
    subject_kind: Mapped[str] = mapped_column(String(12))
    subject_id: Mapped[str] = mapped_column(String(26), index=True)
    applicant_id: Mapped[str] = mapped_column(String(26))  # the citizen who acted
    grant_id: Mapped[str | None] = mapped_column(String(26))
    form: Mapped[str] = mapped_column(EncryptedText("gov_applications.form"))  # JSON object
    attachments: Mapped[str] = mapped_column(EncryptedText("gov_applications.attachments"))  # JSON list
    status: Mapped[str] = mapped_column(String(24), index=True)  # queued | submitted | accepted | ...
    upstream_reference: Mapped[str | None] = mapped_column(String(40), unique=True)
    upstream_version: Mapped[int] = mapped_column(Integer, default=0)
    delivery_attempts: Mapped[int] = mapped_column(Integer, default=0)
    last_error: Mapped[str | None] = mapped_column(String(80))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    submitted_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    last_polled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class GovApplicationEvent(Base):
    """One change of an application's status (its history), whence it came."""

    __tablename__ = "gov_application_events"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    application_id: Mapped[str] = mapped_column(ForeignKey("gov_applications.id"), index=True)
    status: Mapped[str] = mapped_column(String(24))
    previous_status: Mapped[str | None] = mapped_column(String(24))
    source: Mapped[str] = mapped_column(String(16))  # created | delivery | callback | poll
    note: Mapped[str | None] = mapped_column(EncryptedText("gov_application_events.note"))
    upstream_version: Mapped[int | None] = mapped_column(Integer)
    occurred_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    recorded_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
