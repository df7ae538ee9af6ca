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
    # RFC 5280 invalidityDate: since when the key is known or suspected to be compromised.
    invalidity_date: Mapped[datetime | None] = mapped_column(UtcDateTime)
    replaces_id: Mapped[str | None] = mapped_column(String(26))  # the certificate this one renewed

    @property
    def common_name(self) -> str:
        """The subject's CN as the certificate itself says it (a person's name, when personal)."""
        from . import pki  # the certificate's reader; pki knows nothing of tables

        return pki.load_cert(self.certificate_pem).subject.get_attributes_for_oid(pki.NameOID.COMMON_NAME)[0].value


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
    envelope_id: Mapped[str | None] = mapped_column(String(26), index=True)  # a step of a multi-party request
    # When the newest document timestamp's TSA certificate ends: the archive job adds a new
    # document timestamp before then (PAdES B-LTA).
    archive_until: Mapped[datetime | None] = mapped_column(UtcDateTime, index=True)


class DetachedSignatureRequest(Base):
    """A detached CMS signature over a SHA-256 digest, confirmed by an SMS code like a PDF."""

    __tablename__ = "esign_detached_requests"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    owner_kind: Mapped[str] = mapped_column(String(12))
    owner_id: Mapped[str] = mapped_column(String(26), index=True)
    signer_kind: Mapped[str] = mapped_column(String(12))  # personal | seal
    certificate_id: Mapped[str] = mapped_column(ForeignKey("esign_certificates.id"), index=True)
    requested_by: Mapped[str] = mapped_column(String(40))
    title: Mapped[str] = mapped_column(String(200))
    sha256: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(24), default="pending_confirmation")  # | signed | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    signature_der: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    signed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Envelope(Base):
    """A document several parties sign, in order or in parallel (a multi-party signing request).
    The current document carries every signature so far, each an incremental update."""

    __tablename__ = "esign_envelopes"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    title: Mapped[str] = mapped_column(String(200))
    file_name: Mapped[str] = mapped_column(String(200))
    routing: Mapped[str] = mapped_column(String(12))  # sequential | parallel
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)
    # open | completed | declined | expired | cancelled
    creator_kind: Mapped[str] = mapped_column(String(12))  # citizen | partner
    creator_id: Mapped[str] = mapped_column(String(64), index=True)
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    document_sha256: Mapped[str] = mapped_column(String(64))
    document: Mapped[str] = mapped_column(EncryptedText("esign_envelopes.document"))  # current, base64
    final_sha256: Mapped[str | None] = mapped_column(String(64))
    message: Mapped[str | None] = mapped_column(String(500))
    declined_reason: Mapped[str | None] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    version: Mapped[int] = mapped_column(Integer, default=0)  # bumped by every signature: no two at once


class EnvelopeSigner(Base):
    """One party of an envelope: a citizen signing for themselves, or an enterprise's seal
    applied by one of its members (an authorised member, or the legal representative)."""

    __tablename__ = "esign_envelope_signers"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    envelope_id: Mapped[str] = mapped_column(ForeignKey("esign_envelopes.id"), index=True)
    position: Mapped[int] = mapped_column(Integer)
    role: Mapped[str] = mapped_column(String(24))  # citizen | enterprise_seal | legal_representative
    user_id: Mapped[str] = mapped_column(String(26), index=True)  # who signs (a citizen account)
    enterprise_id: Mapped[str | None] = mapped_column(String(26))
    status: Mapped[str] = mapped_column(String(12), default="waiting")  # waiting | invited | signed | declined
    stamp: Mapped[str | None] = mapped_column(Text)  # JSON {page, x, y, width, height}
    signing_request_id: Mapped[str | None] = mapped_column(String(26))
    invited_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    signed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    declined_reason: Mapped[str | None] = mapped_column(String(500))
