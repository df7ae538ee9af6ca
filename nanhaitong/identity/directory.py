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


def parties(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """Masked, human labels for citizens, enterprises, staff members or partners, keyed by
    (kind, id): one query per kind, however many are asked."""
    labels = {pair: {"kind": pair[0], "id": pair[1], "display": "-"} for pair in pairs}
    for kind, model in (("citizen", User), ("enterprise", Enterprise), ("staff", StaffAccount)):
        ids = {ident for k, ident in labels if k == kind}
        if not ids:
            continue
        for row in db.session().execute(select(model).where(model.id.in_(ids))).scalars():
            labels[(kind, row.id)]["display"] = _display(kind, row)
    return labels


def _display(kind: str, row) -> str:
    if kind == "citizen":
        return mask_name(row.real_name) if row.real_name else mask_phone(row.phone)
    if kind == "enterprise":
        return row.name
    return f"工作人员 ({row.role})"


def party(kind: str, ident: str) -> dict:
    """A masked, human label for a citizen, enterprise, staff member or partner."""
    return parties([(kind, ident)])[(kind, ident)]


def member_role(enterprise_id: str, user_id: str) -> str | None:
    """The citizen's role in the enterprise, or None when they are not a member."""
    return db.session().execute(
        select(EnterpriseMember.role).where(EnterpriseMember.enterprise_id == enterprise_id,
                                            EnterpriseMember.user_id == user_id)
    ).scalar_one_or_none()


def registry_identifier(kind: str, ident: str) -> str | None:
    """The number upstream registries know a holder by: a verified citizen's resident ID
    number, an enterprise's USCC; None when there is none (not real-name verified)."""
    if kind == "citizen":
        user = db.session().get(User, ident)
        return user.id_number if user else None
    enterprise = db.session().get(Enterprise, ident)
    return enterprise.uscc if enterprise else None


def phone_of(user_id: str) -> str:
    return db.session().get(User, user_id).phone


def contact_phone(kind: str, ident: str) -> str | None:
    """Whom to text about a holder's affairs: the citizen, or the enterprise's legal representative."""
    if kind == "citizen":
        user = db.session().get(User, ident)
        return user.phone if user else None
    legal_rep = db.session().execute(
        select(User).join(EnterpriseMember, EnterpriseMember.user_id == User.id)
        .where(EnterpriseMember.enterprise_id == ident, EnterpriseMember.role == "legal_representative")
    ).scalar_one_or_none()
    return legal_rep.phone if legal_rep else None


def member_ids(enterprise_id: str) -> list[str]:
    """The user ids of the enterprise's members."""
    return list(db.session().execute(
        select(EnterpriseMember.user_id).where(EnterpriseMember.enterprise_id == enterprise_id)
    ).scalars())
