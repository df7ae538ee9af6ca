"""What identity objects look like to their owner: personal data masked, times in UTC with Z."""

from __future__ import annotations

from ..security.masking import mask_id_number, mask_name, mask_phone
from ..timeutil import isoformat
from .models import AuthSession, Enterprise, EnterpriseMember, User


def me_view(profile: dict) -> dict:
    user = profile["user"]
    return {
        "id": user.id,
        "phone": mask_phone(user.phone),
        "assurance_level": user.assurance_level,
        "real_name": mask_name(user.real_name) if user.real_name else None,
        "id_number": mask_id_number(user.id_number) if user.id_number else None,
        "has_password": user.password_hash is not None,
        "created_at": isoformat(user.created_at),
        "enterprises": profile["enterprises"],
        "acting_for": profile["acting_for"],
    }


def session_view(session: AuthSession, current: bool) -> dict:
    return {
        "id": session.id,
        "client": session.audience,
        "enterprise_id": session.enterprise_id,
        "created_at": isoformat(session.created_at),
        "last_seen_at": isoformat(session.last_seen_at),
        "expires_at": isoformat(session.expires_at),
        "user_agent": session.user_agent,
        "current": current,
    }


def enterprise_view(enterprise: Enterprise, role: str) -> dict:
    """An enterprise as its member sees it (registry data, public) with the member's role."""
    return {
        "id": enterprise.id,
        "uscc": enterprise.uscc,
        "name": enterprise.name,
        "industry_code": enterprise.industry_code,
        "town": enterprise.town,
        "size": enterprise.size,
        "registered_on": enterprise.registered_on,
        "verified_at": isoformat(enterprise.verified_at),
        "role": role,
    }


def member_view(member: EnterpriseMember, user: User) -> dict:
    """A member as the enterprise's other members see them: phone and name masked."""
    return {
        "user_id": user.id,
        "role": member.role,
        "phone": mask_phone(user.phone),
        "real_name": mask_name(user.real_name) if user.real_name else None,
        "added_at": isoformat(member.created_at),
    }
