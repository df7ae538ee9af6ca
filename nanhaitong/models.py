"""Imports every domain's models so Base.metadata is complete (Alembic autogenerate)."""

from .audit.models import AuditChainHead, AuditEvent  # noqa: F401
