"""The one-stop face for the staff console: each staff operation is ``admin``'s (which asks
``authorize`` first, as the admin API's do), dumped by the admin API's schemas."""

from __future__ import annotations

from collections.abc import Iterator

from schemas.one_stop import CaseSchema, CentreSchema, FollowUpSchema, MatterSchema

from ..authorizations import authorize, district
from ..kernel import Principal
from . import admin, cases, catalogue, evaluations
from .served import with_centre_codes, with_centres, with_progress, with_rating

MANAGE, READ = admin.MANAGE, admin.READ
LEVELS, REASONS = evaluations.LEVELS, evaluations.REASONS
NEXT_STATUSES = cases.NEXT
EXPORT_PAGE = 1000
# A case as the console shows it: its application form (personal data) stays out.
_CENTRES, _MATTERS, _CASES = CentreSchema(many=True), MatterSchema(), CaseSchema(exclude=("form",))
_FOLLOWUPS = FollowUpSchema()


def centres() -> list[dict]:
    return _CENTRES.dump(catalogue.list_centres())


def _matter(found) -> dict:
    return _MATTERS.dump(with_centre_codes(found))


def matters(principal: Principal, *, q: str | None, status: str | None, department: str | None, limit: int,
            cursor: str | None) -> tuple[list[dict], str | None]:
    items, next_cursor = admin.matters(principal, q=q, status=status, department=department, limit=limit,
                                       cursor=cursor)
    return _MATTERS.dump(with_centres(items), many=True), next_cursor


def departments(principal: Principal) -> list[dict]:
    return admin.departments(principal)


def matter(principal: Principal, matter_id: str) -> dict:
    return _matter(admin.matter(principal, matter_id))


def create_matter(principal: Principal, fields: dict) -> dict:
    return _matter(admin.create_matter(principal, fields))


def update_matter(principal: Principal, matter_id: str, fields: dict) -> dict:
    return _matter(admin.update_matter(principal, matter_id, fields))


def set_matter_status(principal: Principal, matter_id: str, status: str) -> dict:
    return _matter(admin.set_matter_status(principal, matter_id, status))


def staff_cases(principal: Principal, *, status: str | None, centre: str | None, limit: int,
                cursor: str | None) -> tuple[list[dict], str | None]:
    items, next_cursor = admin.staff_cases(principal, status=status, centre=centre, limit=limit, cursor=cursor)
    return [_case_summary(c) for c in items], next_cursor


def deadline_warnings(principal: Principal, *, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    items, next_cursor = admin.deadline_warnings(principal, limit=limit, cursor=cursor)
    return [_case_summary(c) for c in items], next_cursor


def _case_summary(case) -> dict:
    return _CASES.dump(with_progress(case))


def staff_case(principal: Principal, case_id: str) -> dict:
    return _case_summary(admin.staff_case(principal, case_id))


def set_case_status(principal: Principal, case_id: str, status: str, note: str | None) -> dict:
    return _case_summary(admin.set_case_status(principal, case_id, status, note))


def followups(principal: Principal, *, status: str | None, escalated: bool | None, limit: int,
              cursor: str | None) -> tuple[list[dict], str | None]:
    items, next_cursor = admin.followups(principal, status=status, escalated=escalated, limit=limit, cursor=cursor)
    return [_FOLLOWUPS.dump(with_rating(f, evaluations.evaluation_by_id(f.evaluation_id))) for f in items], next_cursor


def answer_followup(principal: Principal, followup_id: str, text: str) -> dict:
    answered = admin.answer_followup(principal, followup_id, text)
    return _FOLLOWUPS.dump(with_rating(answered, evaluations.evaluation_by_id(answered.evaluation_id)))


def statistics(principal: Principal, by: str, *, from_month: str | None, to_month: str | None, limit: int,
               cursor: str | None) -> tuple[list[dict], str | None]:
    return admin.statistics(principal, by, from_month=from_month, to_month=to_month, limit=limit, cursor=cursor)


def export(principal: Principal, *, from_day: str | None, to_day: str | None) -> Iterator[dict]:
    """Every rating between two days in the national platform's data items, oldest first,
    read a page at a time (a year of a district is a million rows)."""
    authorize(principal, READ, district("one_stop_evaluations"))  # now, before the answer starts
    return _export_pages(from_day, to_day)


def _export_pages(from_day: str | None, to_day: str | None) -> Iterator[dict]:
    cursor = None
    while True:
        items, cursor = evaluations.export(from_day=from_day, to_day=to_day, limit=EXPORT_PAGE, cursor=cursor)
        yield from items
        if cursor is None:
            return
