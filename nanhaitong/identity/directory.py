"""What other domains may ask identity: who someone is, and how to show them to others.

Other domains call these functions and never read identity's tables.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, select

from .. import db
from ..driver_reads import DriverRead
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


def _labels_of(table, *columns) -> DriverRead:
    return DriverRead(select(table.c.id, *(table.c[name] for name in columns)).where(
        table.c.id.in_(bindparam("ids", expanding=True))))


# Built once, and only the columns a label shows: loading whole User objects decrypted
# their ID numbers too, and the ORM objects cost more than the query (access log, grants).
_LABEL_QUERIES = {
    "citizen": _labels_of(User.__table__, "real_name", "phone"),
    "enterprise": _labels_of(Enterprise.__table__, "name"),
    "staff": _labels_of(StaffAccount.__table__, "role"),
}


def parties(pairs: list[tuple[str, str]]) -> dict[tuple[str, str], dict]:
    """Masked, human labels for citizens, enterprises, staff members or partners, keyed by
    (kind, id): one query per kind, however many are asked."""
    labels = {pair: {"kind": pair[0], "id": pair[1], "display": "-"} for pair in pairs}
    for kind, query in _LABEL_QUERIES.items():
        ids = sorted({ident for k, ident in labels if k == kind})
        if not ids:
            continue
        for row in query.rows({"ids": ids}):
            labels[(kind, row.id)]["display"] = _display(kind, row)
    for (kind, ident), label in labels.items():
        if kind in PARTY_LABELS:  # partners: a handful on any page
            label["display"] = PARTY_LABELS[kind](ident) or "-"
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


# Labels for party kinds identity does not own (e.g. "partner"), registered by their domain
# at start-up so identity never imports it: kind -> function(id) -> display name or None.
PARTY_LABELS: dict = {}


def register_party_label(kind: str, label: Callable[[str], str | None]) -> None:
    """Let ``parties`` show parties of a kind identity does not keep (a domain's start-up call)."""
    PARTY_LABELS[kind] = label


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


def certificate_subject(kind: str, ident: str) -> dict | None:
    """What a signing certificate names: a real-name-verified citizen's name, or an
    enterprise's name and unified social credit code; None when there is nothing verified."""
    if kind == "citizen":
        user = db.session().get(User, ident)
        if user is None or not user.real_name or user.assurance_level < 2:
            return None
        return {"name": user.real_name}
    enterprise = db.session().get(Enterprise, ident)
    return {"name": enterprise.name, "uscc": enterprise.uscc} if enterprise else None


def verified_identity(user_id: str) -> tuple[str, str] | None:
    """A real-name-verified citizen's (name, resident ID number), to forward to a provincial
    upstream on their behalf; None when they have not verified (personal data: never log)."""
    user = db.session().get(User, user_id)
    if user is None or not user.real_name or not user.id_number or user.assurance_level < 2:
        return None
    return user.real_name, user.id_number


def enterprise_registration(enterprise_id: str) -> tuple[str, str] | None:
    """An enterprise's (USCC, registered name), or None."""
    enterprise = db.session().get(Enterprise, enterprise_id)
    return (enterprise.uscc, enterprise.name) if enterprise else None


def consented_profile(user_id: str) -> dict | None:
    """What a consented partner may learn (profile:read): the verified name, the ID number
    masked, the assurance level. None for no such citizen."""
    from ..security.masking import mask_id_number

    user = db.session().get(User, user_id)
    if user is None:
        return None
    # One masking rule for ID numbers wherever they leave us (the citizen's own API too).
    return {"name": user.real_name, "id_number_masked": mask_id_number(user.id_number) if user.id_number else None,
            "phone_masked": mask_phone(user.phone), "assurance_level": user.assurance_level}
# -- for policy push: enterprise attributes, and enterprises selected set-wise ------------

ENTERPRISE_ATTRIBUTES = ("industry_code", "size", "town", "registered_on")


def enterprise_profile(enterprise_id: str) -> dict | None:
    """The registry attributes policies target (industry_code, size, town, registered_on)."""
    enterprise = db.session().get(Enterprise, enterprise_id)
    if enterprise is None:
        return None
    return {"id": enterprise.id, "name": enterprise.name,
            **{name: getattr(enterprise, name) for name in ENTERPRISE_ATTRIBUTES}}


def count_enterprises() -> int:
    from sqlalchemy import func

    return db.session().execute(select(func.count()).select_from(Enterprise)).scalar_one()


def enterprise_ids_where(*, industry_prefixes=(), sizes=(), towns=(), registered_on_or_before: str | None = None,
                         registered_after: str | None = None, id_in=None, after_id: str | None = None,
                         limit: int | None = None):
    """ONE query (a Select of enterprise ids, by id) for the enterprises meeting every
    criterion given: industry code starting with any prefix, size and town in the lists,
    registration date bounds (ISO dates), ``id_in`` (a Select of ids, e.g. licence
    holders). ``after_id``/``limit`` page through it by key. Prefixes must be plain
    codes (letters and digits): they go into LIKE patterns."""
    from sqlalchemy import or_

    query = select(Enterprise.id)
    if industry_prefixes:
        query = query.where(or_(*(Enterprise.industry_code.like(f"{prefix}%") for prefix in industry_prefixes)))
    if sizes:
        query = query.where(Enterprise.size.in_(list(sizes)))
    if towns:
        query = query.where(Enterprise.town.in_(list(towns)))
    if registered_on_or_before is not None:
        query = query.where(Enterprise.registered_on <= registered_on_or_before)
    if registered_after is not None:
        query = query.where(Enterprise.registered_on > registered_after)
    if id_in is not None:
        query = query.where(Enterprise.id.in_(id_in))
    if after_id is not None:
        query = query.where(Enterprise.id > after_id)
    query = query.order_by(Enterprise.id)
    return query.limit(limit) if limit is not None else query


def members_of(enterprise_ids) -> list[tuple[str, str]]:
    """(enterprise_id, user_id) of every member of the given enterprises, in one query."""
    if not enterprise_ids:
        return []
    ids = list(enterprise_ids)
    if db.session().get_bind().dialect.name == "postgresql":
        # A semi-join against unnest(one array parameter): thousands of IN parameters in a
        # prepared (generic) plan are searched linearly for every row.
        from sqlalchemy import String, bindparam, cast, func
        from sqlalchemy.dialects.postgresql import ARRAY

        among = EnterpriseMember.enterprise_id.in_(
            select(func.unnest(cast(bindparam("among", ids, type_=ARRAY(String)), ARRAY(String)))))
    else:
        among = EnterpriseMember.enterprise_id.in_(ids)
    return [tuple(row) for row in db.session().execute(
        select(EnterpriseMember.enterprise_id, EnterpriseMember.user_id).where(among))]
