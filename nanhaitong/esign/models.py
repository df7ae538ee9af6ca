"""The platform CA's keys, signing certificates, seals, signing requests and the CRL."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..ids import new_id
from ..security.fields import EncryptedText
from ..timeutil import utcnow

UtcDateTime = DateTime(timezone=True)


class EsignAuthority(Base):
    """One of the platform's own keys: ``root``, ``issuing`` (signs users' certificates and
    the CRL) or ``tsa`` (the RFC 3161 timestamp authority). The name is the primary key, so
    two instances creating them at once cannot both win; the loser re-reads."""

    __tablename__ = "esign_authorities"

    name: Mapped[str] = mapped_column(String(16), primary_key=True)
    certificate_pem: Mapped[str] = mapped_column(Text)
    private_key: Mapped[str] = mapped_column(EncryptedText("esign_authorities.private_key"))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class EsignCrl(Base):
    """The issuing CA's current CRL (one row), re-signed on every revocation."""

    __tablename__ = "esign_crls"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    number: Mapped[int] = mapped_column(Integer)
    der: Mapped[bytes] = mapped_column(LargeBinary)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SigningCertificate(Base):
    """A certificate the platform issued to a citizen (personal) or an enterprise (seal).
    The private key never leaves: it is encrypted here and used only by the signing service."""

    __tablename__ = "esign_certificates"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(12))  # personal | seal
    owner_kind: Mapped[str] = mapped_column(String(12))  # citizen | enterprise
    owner_id: Mapped[str] = mapped_column(String(26), index=True)
    serial: Mapped[str] = mapped_column(String(40), unique=True)  # hex
    subject: Mapped[str] = mapped_column(EncryptedText("esign_certificates.subject"))  # names a person
    certificate_pem: Mapped[str] = mapped_column(EncryptedText("esign_certificates.certificate_pem"))
    private_key: Mapped[str] = mapped_column(EncryptedText("esign_certificates.private_key"))
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | revoked
    not_before: Mapped[datetime] = mapped_column(UtcDateTime)
    not_after: Mapped[datetime] = mapped_column(UtcDateTime)
    requested_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revocation_reason: Mapped[str | None] = mapped_column(String(40))


class Seal(Base):
    """An enterprise's seal image (PNG), bound to its seal certificate."""

    __tablename__ = "esign_seals"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    enterprise_id: Mapped[str] = mapped_column(String(26), index=True)
    certificate_id: Mapped[str] = mapped_column(ForeignKey("esign_certificates.id"), index=True)
    name: Mapped[str] = mapped_column(String(60))
    image_png: Mapped[bytes] = mapped_column(LargeBinary)
    status: Mapped[str] = mapped_column(String(10), default="active")  # active | retired
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class SigningRequest(Base):
    """A PDF to sign with one certificate, confirmed by an SMS code to the signer. The
    documents are encrypted at rest (base64 inside): they may hold personal data."""

    __tablename__ = "esign_signing_requests"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    owner_kind: Mapped[str] = mapped_column(String(12))  # whose certificate: citizen | enterprise
    owner_id: Mapped[str] = mapped_column(String(26), index=True)
    signer_kind: Mapped[str] = mapped_column(String(12))  # personal | seal
    certificate_id: Mapped[str] = mapped_column(ForeignKey("esign_certificates.id"), index=True)
    seal_id: Mapped[str | None] = mapped_column(ForeignKey("esign_seals.id"))
    previous_request_id: Mapped[str | None] = mapped_column(String(26))
    requested_by: Mapped[str] = mapped_column(String(40))  # citizen:<id> of the signer
    file_name: Mapped[str] = mapped_column(String(200))
    document_sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(EncryptedText("esign_signing_requests.document"))
    stamp: Mapped[str | None] = mapped_column(Text)  # JSON {page, x, y, width, height}
    reason: Mapped[str | None] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(24), default="pending_confirmation")  # | signed | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    signed_document: Mapped[str | None] = mapped_column(EncryptedText("esign_signing_requests.signed_document"))
    signed_sha256: Mapped[str | None] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    signed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
