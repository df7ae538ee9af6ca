"""Staff look-ups of a citizen or an enterprise (role ``operator``), for the service desk.

A look-up names exactly one key (a phone or a resident ID number, found through their
keyed blind indexes, or a USCC, which is public) and a reason. Results are masked. Each
person or enterprise found is a use of their data: ``authorize`` puts it, with the
reason, in their own access log ("who read my data" includes staff) and in the audit log.
A look-up that finds no one is audited too.
"""

from __future__ import annotations

from sqlalchemy import func, select

from schemas.common import With

from .. import db
from ..audit.service import record as audit
from ..authorizations import Resource, authorize, district
from ..errors import ValidationFailed
from ..kernel import Principal
from .codes import phone_index
from .models import Enterprise, EnterpriseMember, User
from .verification import id_number_index

LOOKUP = "admin:people.lookup"
REASON_MIN, REASON_MAX = 4, 200


def _reason(reason: str | None) -> str:
    reason = " ".join((reason or "").split())
    if not REASON_MIN <= len(reason) <= REASON_MAX:
        raise ValidationFailed({"reason": ["Say why you look this person up (4 to 200 characters)."]},
                               code="reason_required")
    return reason


@db.unit_of_work("lookup")
def lookup(principal: Principal, *, phone: str | None = None, id_number: str | None = None,
           uscc: str | None = None, reason: str | None = None) -> dict:
    keys = {name: value for name, value in (("phone", phone), ("id_number", id_number), ("uscc", uscc)) if value}
    if len(keys) != 1:
        raise ValidationFailed({"query": ["Give exactly one of phone, id_number or uscc."]})
    reason = _reason(reason)
    authorize(principal, LOOKUP, district("people"))
    (by, _value), = keys.items()
    session = db.session()
    citizens, enterprises = [], []
    if phone:
        citizens = list(session.execute(select(User).where(User.phone_index == phone_index(phone))).scalars())
    elif id_number:
        citizens = list(session.execute(select(User).where(User.id_number_index == id_number_index(id_number)))
                        .scalars())
    else:
        enterprises = list(session.execute(select(Enterprise).where(Enterprise.uscc == uscc)).scalars())
    for user in citizens:
        authorize(principal, LOOKUP, Resource(type="citizen", owner_kind="citizen", owner_id=user.id, id=user.id,
                                              attrs={"reason": reason}))
    for enterprise in enterprises:
        authorize(principal, LOOKUP, Resource(type="enterprise", owner_kind="enterprise", owner_id=enterprise.id,
                                              id=enterprise.id, attrs={"reason": reason}))
    audit("staff.people_lookup", object_type="people", details={
        "by": by, "reason": reason, "found": [f"citizen:{u.id}" for u in citizens]
        + [f"enterprise:{e.id}" for e in enterprises]})
    return {"by": by, "reason": reason, "citizens": citizens,
            "enterprises": [With(e, members=_member_count(e)) for e in enterprises]}


def _member_count(enterprise: Enterprise) -> int:
    return db.session().execute(select(func.count()).select_from(EnterpriseMember).where(
        EnterpriseMember.enterprise_id == enterprise.id)).scalar_one()
