"""What other domains may ask identity: who someone is, and how to show them to others.

Other domains call these functions and never read identity's tables.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select

from .. import db
from ..security.masking import mask_name, mask_phone
from .codes import phone_index
from .models import Enterprise, EnterpriseMember, StaffAccount, User


@dataclass(frozen=True)
class CitizenRef:
    id: str
    assurance_level: int


def find_citizen(*, phone: str | None = None, user_id: str | None = None) -> CitizenRef | None:
    if phone is not None:
        user = db.session().execute(select(User).where(User.phone_index == phone_index(phone))).scalar_one_or_none()
    else:
        user = db.session().get(User, user_id) if user_id else None
    return CitizenRef(user.id, user.assurance_level) if user else None


def party(kind: str, ident: str) -> dict:
    """A masked, human label for a citizen, enterprise, staff member or partner."""
    display = "-"
    if kind == "citizen":
        user = db.session().get(User, ident)
        if user:
            display = mask_name(user.real_name) if user.real_name else mask_phone(user.phone)
    elif kind == "enterprise":
        enterprise = db.session().get(Enterprise, ident)
        display = enterprise.name if enterprise else "-"
    elif kind == "staff":
        staff = db.session().get(StaffAccount, ident)
        display = f"工作人员 ({staff.role})" if staff else "-"
    return {"kind": kind, "id": ident, "display": display}


def member_role(enterprise_id: str, user_id: str) -> str | None:
    """The citizen's role in the enterprise, or None when they are not a member."""
    return db.session().execute(
        select(EnterpriseMember.role).where(EnterpriseMember.enterprise_id == enterprise_id,
                                            EnterpriseMember.user_id == user_id)
    ).scalar_one_or_none()
