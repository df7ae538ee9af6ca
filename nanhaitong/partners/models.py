"""Partner platforms: the registry, OAuth codes and tokens, replay guards, webhook outbox."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..ids import new_id
from ..security.fields import EncryptedText
from ..timeutil import utcnow

UtcDateTime = DateTime(timezone=True)


class Partner(Base):
    """A registered partner platform.

    ``client_secret_hash`` is the SHA-256 of a 256-bit random secret (only checked, never
    shown again); the HMAC secrets for signed requests and webhooks must be recovered to
    compute signatures, so they are encrypted.
    """

    __tablename__ = "partners"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(100))
    purpose: Mapped[str] = mapped_column(String(300))
    sector: Mapped[str] = mapped_column(String(100))  # pairwise subject sector
    client_id: Mapped[str] = mapped_column(String(48), unique=True)
    client_secret_hash: Mapped[str] = mapped_column(String(64))
    app_id: Mapped[str] = mapped_column(String(48), unique=True)
    hmac_secret: Mapped[str] = mapped_column(EncryptedText("partners.hmac_secret"))
    webhook_secret: Mapped[str] = mapped_column(EncryptedText("partners.webhook_secret"))
    redirect_uris: Mapped[str] = mapped_column(Text)  # JSON list
    scopes: Mapped[str] = mapped_column(Text)  # JSON list: what it may ask for
    optional_scopes: Mapped[str] = mapped_column(Text, default="[]")  # JSON list: the user may untick these
    auth_method: Mapped[str] = mapped_column(String(30), default="client_secret_basic")
    # OIDC registration's id_token_signed_response_alg: ES256 (NULL) or SM2SM3 (issue 25).
    id_token_alg: Mapped[str | None] = mapped_column(String(10))
    jwks: Mapped[str | None] = mapped_column(Text)  # JSON JWK set (private_key_jwt)
    jwks_uri: Mapped[str | None] = mapped_column(String(500))
    webhook_url: Mapped[str | None] = mapped_column(String(500))
    rate_limit: Mapped[str] = mapped_column(String(40), default="120 per minute")
    daily_quota: Mapped[int] = mapped_column(Integer, default=10000)
    status: Mapped[str] = mapped_column(String(12), default="active")  # active | suspended
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    credentials_rotated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    suspended_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OAuthCode(Base):
    """An authorization code (stored as its SHA-256), single use, bound to PKCE and the consent grant."""

    __tablename__ = "oauth_codes"

    code_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(26))
    grant_id: Mapped[str] = mapped_column(String(26))
    redirect_uri: Mapped[str] = mapped_column(String(500))
    scope: Mapped[str] = mapped_column(Text)
    nonce: Mapped[str | None] = mapped_column(String(255))
    code_challenge: Mapped[str] = mapped_column(String(128))
    code_challenge_method: Mapped[str] = mapped_column(String(10))
    auth_time: Mapped[int] = mapped_column(Integer)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class OAuthToken(Base):
    """An access token issued to a partner (the JWT itself is not stored: its ``jti`` is)."""

    __tablename__ = "oauth_tokens"

    jti: Mapped[str] = mapped_column(String(26), primary_key=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    user_id: Mapped[str | None] = mapped_column(String(26))
    grant_id: Mapped[str | None] = mapped_column(String(26), index=True)
    scope: Mapped[str] = mapped_column(Text)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class PartnerRefreshToken(Base):
    """A partner's refresh token (stored as its SHA-256), issued when the user consented to
    ``offline_access``. Single use: each refresh rotates it within its family; presenting a
    used one revokes the whole family. Dies with the consent grant behind it."""

    __tablename__ = "partner_refresh_tokens"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    family_id: Mapped[str] = mapped_column(String(26), index=True)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    user_id: Mapped[str] = mapped_column(String(26))
    grant_id: Mapped[str] = mapped_column(String(26), index=True)
    scope: Mapped[str] = mapped_column(Text)
    auth_time: Mapped[int] = mapped_column(Integer)
    issued_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime)
    used_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class ReplayGuard(Base):
    """A value seen once within a window: client-assertion ``jti`` or a signed-request nonce
    (used when Redis is not configured; with Redis, SET NX EX does the same across instances)."""

    __tablename__ = "partner_replay_guard"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)  # SHA-256 of kind + partner + value
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class WebhookSubscription(Base):
    __tablename__ = "webhook_subscriptions"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    url: Mapped[str] = mapped_column(String(500))
    events: Mapped[str] = mapped_column(Text)  # JSON list
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class WebhookDelivery(Base):
    """Outbox row: written in the event's transaction, sent by a job, retried with backoff."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_due", "status", "next_attempt_at"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    partner_id: Mapped[str] = mapped_column(ForeignKey("partners.id"), index=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("webhook_subscriptions.id"))
    event: Mapped[str] = mapped_column(String(60))
    payload: Mapped[str] = mapped_column(Text)  # JSON; pairwise subjects only, no personal data
    status: Mapped[str] = mapped_column(String(12), default="pending")  # pending | delivered | failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    delivered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class WebhookAttempt(Base):
    __tablename__ = "webhook_attempts"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    delivery_id: Mapped[str] = mapped_column(ForeignKey("webhook_deliveries.id"), index=True)
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(String(300))
    duration_ms: Mapped[int] = mapped_column(Integer, default=0)
    replay: Mapped[bool] = mapped_column(default=False)
