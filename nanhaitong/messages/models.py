"""The inbox: messages to citizens and enterprises, their preferences, devices and pushes."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..ids import new_id
from ..security.fields import EncryptedText
from ..timeutil import utcnow

UtcDateTime = DateTime(timezone=True)


class Message(Base):
    """One message in one inbox. Title and body may name people and amounts: encrypted.
    ``dedupe_key`` makes a sender's message exactly-once per recipient."""

    __tablename__ = "messages"
    __table_args__ = (
        UniqueConstraint("recipient_kind", "recipient_id", "dedupe_key"),
        # The inbox page: unread first, newest first, for one recipient.
        Index("ix_messages_inbox", "recipient_kind", "recipient_id", "read_at", "id"),
    )

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    recipient_kind: Mapped[str] = mapped_column(String(12))  # citizen | enterprise
    recipient_id: Mapped[str] = mapped_column(String(26))
    topic: Mapped[str] = mapped_column(String(30))
    title: Mapped[str] = mapped_column(EncryptedText("messages.title"))
    body: Mapped[str] = mapped_column(EncryptedText("messages.body"))
    data: Mapped[str] = mapped_column(EncryptedText("messages.data"))  # JSON object
    dedupe_key: Mapped[str | None] = mapped_column(String(160))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    read_at: Mapped[datetime | None] = mapped_column(UtcDateTime)


class MessagePreference(Base):
    """What a citizen or an enterprise wants pushed, and when not to be disturbed."""

    __tablename__ = "message_preferences"
    __table_args__ = (UniqueConstraint("owner_kind", "owner_id"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    owner_kind: Mapped[str] = mapped_column(String(12))
    owner_id: Mapped[str] = mapped_column(String(26))
    topics: Mapped[str] = mapped_column(Text)  # JSON list of subscribed topics
    quiet_start: Mapped[str | None] = mapped_column(String(5))  # "HH:MM", China time
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, onupdate=utcnow)


class Device(Base):
    """A phone (or mini-program) registered for push. The token identifies a device:
    encrypted, and found again through its blind index."""

    __tablename__ = "devices"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    user_id: Mapped[str] = mapped_column(String(26), index=True)
    platform: Mapped[str] = mapped_column(String(12))
    token: Mapped[str] = mapped_column(EncryptedText("devices.token"))
    token_index: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    last_seen_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class PushDelivery(Base):
    """A push of one message to one device: pending until the provider accepts it."""

    __tablename__ = "push_deliveries"
    __table_args__ = (UniqueConstraint("message_id", "device_id"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    message_id: Mapped[str] = mapped_column(ForeignKey("messages.id"), index=True)
    # No foreign key: the record of a push outlives an uninstalled device.
    device_id: Mapped[str] = mapped_column(String(26), index=True)
    status: Mapped[str] = mapped_column(String(12), default="pending", index=True)  # pending | sent | dropped
    not_before: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)  # quiet hours push later
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(String(200))
    provider_id: Mapped[str | None] = mapped_column(String(64))
    sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
