"""Accounts, one-time codes, sessions, refresh tokens and token-signing keys."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint, text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..ids import new_id
from ..security.fields import EncryptedText
from ..timeutil import utcnow

UtcDateTime = DateTime(timezone=True)


class User(Base):
    """A citizen account. Personal data is encrypted; *_index columns are blind indexes."""

    __tablename__ = "users"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    phone: Mapped[str] = mapped_column(EncryptedText("users.phone"))
    phone_index: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str | None] = mapped_column(Text)
    assurance_level: Mapped[int] = mapped_column(Integer, default=1)
    real_name: Mapped[str | None] = mapped_column(EncryptedText("users.real_name"))
    id_number: Mapped[str | None] = mapped_column(EncryptedText("users.id_number"))
    id_number_index: Mapped[str | None] = mapped_column(String(64), unique=True)
    real_name_verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    face_verified_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class StaffAccount(Base):
    """An operator. Separate from citizens: own table, own token audience."""

    __tablename__ = "staff_accounts"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    phone: Mapped[str] = mapped_column(EncryptedText("staff_accounts.phone"))
    phone_index: Mapped[str] = mapped_column(String(64), unique=True)
    password_hash: Mapped[str] = mapped_column(Text)
    role: Mapped[str] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class OneTimeCode(Base):
    """An SMS code: stored as a keyed hash, bound to phone and purpose, single use."""

    __tablename__ = "one_time_codes"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    phone_index: Mapped[str] = mapped_column(String(64), index=True)
    purpose: Mapped[str] = mapped_column(String(20))
    code_hash: Mapped[str] = mapped_column(String(64))
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    consumed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class AuthSession(Base):
    """A signed-in device. Revoking it ends its refresh tokens and access tokens at once.

    An enterprise-context session (act-as) is the child of the session that asked for it
    and ends with it.
    """

    __tablename__ = "auth_sessions"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    account_kind: Mapped[str] = mapped_column(String(10))  # citizen | staff
    account_id: Mapped[str] = mapped_column(String(26), index=True)
    audience: Mapped[str] = mapped_column(String(20))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("auth_sessions.id"), index=True)
    enterprise_id: Mapped[str | None] = mapped_column(String(26), index=True)
    grant_id: Mapped[str | None] = mapped_column(String(26))  # acting under this grant
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_reason: Mapped[str | None] = mapped_column(String(40))
    user_agent: Mapped[str | None] = mapped_column(String(200))


class RefreshToken(Base):
    """One link of a session's refresh-token family; the token itself is stored hashed."""

    __tablename__ = "refresh_tokens"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    session_id: Mapped[str] = mapped_column(ForeignKey("auth_sessions.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class SigningKey(Base):
    """An access-token signing key, shared by every API instance through the database."""

    __tablename__ = "signing_keys"

    kid: Mapped[str] = mapped_column(String(64), primary_key=True)
    algorithm: Mapped[str] = mapped_column(String(10))
    private_key: Mapped[str] = mapped_column(EncryptedText("signing_keys.private_key"))
    public_jwk: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    retired_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class Enterprise(Base):
    """An enterprise verified against the registry (Yueshangtong). The USCC is public data."""

    __tablename__ = "enterprises"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    uscc: Mapped[str] = mapped_column(String(18), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    industry_code: Mapped[str | None] = mapped_column(String(10))
    town: Mapped[str | None] = mapped_column(String(40))
    size: Mapped[str | None] = mapped_column(String(10))
    registered_on: Mapped[str | None] = mapped_column(String(10))
    verified_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class EnterpriseMember(Base):
    __tablename__ = "enterprise_members"
    __table_args__ = (
        UniqueConstraint("enterprise_id", "user_id"),
        # Exactly one legal representative: at most one by this index, at least one by the service.
        Index("uq_enterprise_members_one_legal_rep", "enterprise_id", unique=True,
              sqlite_where=text("role = 'legal_representative'"),
              postgresql_where=text("role = 'legal_representative'")),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    enterprise_id: Mapped[str] = mapped_column(ForeignKey("enterprises.id"), index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    role: Mapped[str] = mapped_column(String(24))
    added_by: Mapped[str | None] = mapped_column(String(26))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
