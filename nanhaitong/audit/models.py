from sqlalchemy import BigInteger, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base


class AuditEvent(Base):
    __tablename__ = "audit_events"

    seq: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True, autoincrement=False)
    id: Mapped[str] = mapped_column(String(26), unique=True)
    occurred_at: Mapped[str] = mapped_column(String(32))  # UTC ISO 8601 with Z, hashed as is
    actor: Mapped[str] = mapped_column(String(80))
    on_behalf_of: Mapped[str | None] = mapped_column(String(80))
    action: Mapped[str] = mapped_column(String(80), index=True)
    object_type: Mapped[str | None] = mapped_column(String(40))
    object_id: Mapped[str | None] = mapped_column(String(80))
    source_ip: Mapped[str | None] = mapped_column(String(64))
    request_id: Mapped[str | None] = mapped_column(String(128))
    result: Mapped[str] = mapped_column(String(16))
    details: Mapped[str] = mapped_column(Text)  # canonical JSON
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # The link's MAC (issue 25): NULL is HMAC-SHA256, else "HMAC-SM3". Not itself hashed:
    # a forged name only makes the link fail to verify.
    hash_alg: Mapped[str | None] = mapped_column(String(16))


class AuditChainHead(Base):
    """The chain's last link; a deleted tail no longer matches it."""

    __tablename__ = "audit_chain_head"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger)
    hash: Mapped[str] = mapped_column(String(64))
