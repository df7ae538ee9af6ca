"""Licences held in the wallet, and the presentations made of them."""

from __future__ import annotations

import json
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from integrations.licence_library import licence_type

from ..db import Base
from ..ids import new_id
from ..security.fields import EncryptedText
from ..security.masking import mask_middle
from ..timeutil import china_today, utcnow

UtcDateTime = DateTime(timezone=True)


class Licence(Base):
    """One licence as the library signed it. Holder name, number and fields are personal
    data (encrypted); ``digest`` is the SHA-256 of the signed bytes, to see what changed."""

    __tablename__ = "licences"
    __table_args__ = (UniqueConstraint("holder_kind", "holder_id", "code"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    holder_kind: Mapped[str] = mapped_column(String(12))
    holder_id: Mapped[str] = mapped_column(String(26), index=True)
    code: Mapped[str] = mapped_column(String(80))
    type_code: Mapped[str] = mapped_column(String(40))
    issuer_code: Mapped[str] = mapped_column(String(20))
    issuer_name: Mapped[str] = mapped_column(String(100))
    number: Mapped[str] = mapped_column(EncryptedText("licences.number"))
    holder_name: Mapped[str] = mapped_column(EncryptedText("licences.holder_name"))
    fields: Mapped[str] = mapped_column(EncryptedText("licences.fields"))  # JSON object
    valid_from: Mapped[str | None] = mapped_column(String(10))
    valid_until: Mapped[str | None] = mapped_column(String(10))
    status: Mapped[str] = mapped_column(String(12))  # valid | revoked | expired | withdrawn
    digest: Mapped[str] = mapped_column(String(64))
    fetched_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expiry_notified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)

    revealed = False  # set by reveal(): its holder, after a step-up code, sees it whole

    @property
    def type_name(self) -> str:
        return licence_type(self.type_code).name

    @property
    def effective_status(self) -> str:
        """A valid licence past its last day is expired, whatever the library last said."""
        if self.status == "valid" and self.valid_until and self.valid_until < china_today().isoformat():
            return "expired"
        return self.status

    @property
    def shown_fields(self) -> dict:
        """The fields, the type's sensitive ones masked unless revealed."""
        fields = json.loads(self.fields)
        if self.revealed:
            return fields
        sensitive = licence_type(self.type_code).sensitive_fields
        return {name: (mask_middle(str(value), 1, 1) if name in sensitive else value) for name, value in fields.items()}


class Presentation(Base):
    """A short-lived disclosure of chosen fields, shown as a signed token and its QR code."""

    __tablename__ = "licence_presentations"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    licence_id: Mapped[str] = mapped_column(ForeignKey("licences.id"), index=True)
    disclosed: Mapped[str] = mapped_column(Text)  # JSON list of field names
    token: Mapped[str] = mapped_column(EncryptedText("licence_presentations.token"))  # discloses personal data
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
