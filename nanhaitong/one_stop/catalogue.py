"""The matters catalogue (事项目录): the district's matters, the centres that handle each, and
Chinese search. Operators (staff role ``operator``) add, change and retire matters; the
public reads the active ones.

Search reuses policy push's Chinese tokens (single characters and overlapping pairs), kept
in ``search_text``: a query matches the matters holding every one of its tokens, most
occurrences first. LIKE over the tokens works the same on SQLite and PostgreSQL and reads
the whole catalogue (1,345 matters at district scale) in a few milliseconds.
"""

from __future__ import annotations

import json
from functools import lru_cache

from sqlalchemy import Boolean, Integer, bindparam, delete, func, or_, select
from sqlalchemy.orm import defer

from .. import db
from ..audit.service import record as audit
from ..errors import Conflict, NotFound, ValidationFailed
from ..kernel import Principal
from ..policy_push import document_tokens, query_tokens
from ..timeutil import utcnow
from .centres import CENTRES, ServiceCentre
from .models import Matter, MatterCentre

MAX_OFFSET = 10_000
MATTER_FIELDS = ("name", "department", "audience", "legal_days", "promised_days", "fee_fen", "fee_note",
                 "online", "by_post", "visits", "slot_capacity")


# -- centres ------------------------------------------------------------------------------

def list_centres() -> list[ServiceCentre]:
    return list(CENTRES.values())


def get_centre(code: str) -> ServiceCentre:
    centre = CENTRES.get(code)
    if centre is None:
        raise NotFound("No such service centre.", code="centre_not_found")
    return centre


def centre_codes_of(matter_id: str) -> list[str]:
    return list(db.session().execute(select(MatterCentre.centre_code).where(MatterCentre.matter_id == matter_id)
                                     .order_by(MatterCentre.centre_code)).scalars())


def handles(matter_id: str, centre_code: str) -> bool:
    return db.session().get(MatterCentre, (matter_id, centre_code)) is not None


# -- staff: managing matters --------------------------------------------------------------

def _check_centres(codes: list[str]) -> list[str]:
    codes = sorted(set(codes))
    unknown = [c for c in codes if c not in CENTRES]
    if unknown:
        raise ValidationFailed({"centres": ["Unknown service centre code."]})
    return codes


def _fill(matter: Matter, fields: dict) -> None:
    if fields["promised_days"] > fields["legal_days"]:
        raise ValidationFailed({"promised_days": ["Must not exceed legal_days."]})
    for name in MATTER_FIELDS:
        setattr(matter, name, fields[name])
    matter.materials = json.dumps(fields.get("materials") or [], ensure_ascii=False)
    matter.search_text = document_tokens(matter.name, matter.department, matter.code,
                                         " ".join(m["name"] for m in fields.get("materials") or []))
    matter.updated_at = utcnow()


def _set_centres(matter: Matter, codes: list[str]) -> None:
    session = db.session()
    session.execute(delete(MatterCentre).where(MatterCentre.matter_id == matter.id))
    session.add_all([MatterCentre(matter_id=matter.id, centre_code=code) for code in codes])
    matter.centre_codes = json.dumps(sorted(codes))


@db.unit_of_work(conflict=Conflict("A matter with this code exists.", code="matter_code_taken"))
def create_matter(principal: Principal, fields: dict) -> Matter:
    codes = _check_centres(fields["centres"])
    matter = Matter(code=fields["code"], status="active", created_by=principal.audit_name)
    _fill(matter, fields)
    db.session().add(matter)
    db.session().flush()
    _set_centres(matter, codes)
    audit("one_stop.matter_created", actor=principal.audit_name, object_type="matter", object_id=matter.id,
          details={"code": matter.code})
    return matter


@db.unit_of_work()
def update_matter(principal: Principal, matter_id: str, fields: dict) -> Matter:
    matter = get_matter(matter_id, lock=True)
    if fields["code"] != matter.code:
        raise ValidationFailed({"code": ["A matter's code never changes."]})
    codes = _check_centres(fields["centres"])
    _fill(matter, fields)
    _set_centres(matter, codes)
    audit("one_stop.matter_updated", actor=principal.audit_name, object_type="matter", object_id=matter.id,
          details={"code": matter.code})
    return matter


@db.unit_of_work()
def set_matter_status(principal: Principal, matter_id: str, status: str) -> Matter:
    matter = get_matter(matter_id, lock=True)
    if matter.status != status:
        matter.status, matter.updated_at = status, utcnow()
        audit(f"one_stop.matter_{'retired' if status == 'retired' else 'reactivated'}", actor=principal.audit_name,
              object_type="matter", object_id=matter.id, details={"code": matter.code})
    return matter


def get_matter(matter_id: str, *, lock: bool = False, active_only: bool = False) -> Matter:
    matter = db.session().get(Matter, matter_id, with_for_update=lock)
    if matter is None or (active_only and matter.status != "active"):
        raise NotFound("No such matter.", code="matter_not_found")
    return matter


def matter_by_code(code: str) -> Matter | None:
    return db.session().execute(select(Matter).where(Matter.code == code)).scalar_one_or_none()


# -- reading and searching ----------------------------------------------------------------

def offset_of(cursor: str | None) -> int:
    if cursor is None:
        return 0
    if not cursor.isdigit() or int(cursor) > MAX_OFFSET:
        raise ValidationFailed({"cursor": ["Not a cursor this list gave."]})
    return int(cursor)


def search_matters(*, q: str | None = None, department: str | None = None, centre: str | None = None,
                   audience: str | None = None, online: bool | None = None, status: str | None = "active",
                   limit: int = 20, cursor: str | None = None) -> tuple[list[Matter], str | None]:
    """Matters, by code; with ``q`` those holding every search token, most relevant first."""
    offset = offset_of(cursor)
    tokens = query_tokens(q) if q is not None else []
    if q is not None and not tokens:
        return [], None
    params = {"status": status, "department": department, "audience": audience, "online": online, "centre": centre,
              "offset": offset, "limit": limit + 1}
    for n, token in enumerate(tokens):
        padded = f" {token} "
        params[f"t{n}"], params[f"n{n}"] = padded, len(padded)
        params[f"p{n}"] = "%" + padded.replace("/", "//").replace("%", "/%").replace("_", "/_") + "%"
    query = _search_query(len(tokens), *(params[name] is not None for name in FILTERS))
    rows = db.session().execute(query, params).scalars().all()
    return rows[:limit], (str(offset + limit) if len(rows) > limit and offset + limit <= MAX_OFFSET else None)


FILTERS = ("status", "department", "audience", "online", "centre")


@lru_cache(maxsize=256)
def _search_query(tokens: int, *filtered: bool):
    """The search's statement for so many tokens and these filters, its values bound at
    execution: built once, not per request (building it was a fifth of the request)."""
    status, department, audience, online, centre = filtered
    query = select(Matter).options(defer(Matter.search_text))  # what is shown, not the search tokens
    if status:
        query = query.where(Matter.status == bindparam("status"))
    if department:
        query = query.where(Matter.department == bindparam("department"))
    if audience:
        query = query.where(or_(Matter.audience == bindparam("audience"), Matter.audience == "both"))
    if online:
        query = query.where(Matter.online == bindparam("online", type_=Boolean))
    if centre:
        query = query.where(Matter.id.in_(select(MatterCentre.matter_id)
                                          .where(MatterCentre.centre_code == bindparam("centre"))))
    order = [Matter.code]
    if tokens:
        occurrences = 0
        for n in range(tokens):
            query = query.where(Matter.search_text.like(bindparam(f"p{n}"), escape="/"))
            occurrences = occurrences + (func.length(Matter.search_text) - func.length(
                func.replace(Matter.search_text, bindparam(f"t{n}"), ""))) / bindparam(f"n{n}", type_=Integer)
        order.insert(0, occurrences.desc())
    return query.order_by(*order).offset(bindparam("offset")).limit(bindparam("limit"))


def departments() -> list[dict]:
    rows = db.session().execute(select(Matter.department, func.count()).where(Matter.status == "active")
                                .group_by(Matter.department).order_by(Matter.department)).all()
    return [{"department": name, "matters": count} for name, count in rows]


def names_and_codes(matter_ids) -> dict[str, tuple[str, str]]:
    """id -> (code, name) for many matters, in one query of two columns."""
    ids = sorted({m for m in matter_ids if m})
    if not ids:
        return {}
    return {row.id: (row.code, row.name) for row in db.session().execute(
        select(Matter.id, Matter.code, Matter.name).where(Matter.id.in_(ids))).all()}
