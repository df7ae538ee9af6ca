"""The one-stop face for the staff console: each staff operation asks ``authorize`` (the
staff actions ``admin:one_stop.manage`` and ``admin:one_stop.read``) before the module that
does the work, and answers what the admin API shows, dumped by the same schemas."""

from __future__ import annotations

from collections.abc import Iterator

from schemas.one_stop import CaseSchema, CentreSchema, FollowUpSchema, MatterSchema

from ..authorizations import authorize, district
from ..kernel import Principal
from . import cases, catalogue, evaluations
from .served import with_centre_codes, with_centres, with_progress, with_rating

MANAGE, READ = "admin:one_stop.manage", "admin:one_stop.read"
LEVELS, REASONS = evaluations.LEVELS, evaluations.REASONS
NEXT_STATUSES = cases.NEXT
EXPORT_PAGE = 1000
# A case as the console shows it: its application form (personal data) stays out.
_CENTRES, _MATTERS, _CASES = CentreSchema(many=True), MatterSchema(), CaseSchema(exclude=("form",))
_FOLLOWUPS = FollowUpSchema()


def _may(principal: Principal, action: str, kind: str = "one_stop", ident: str | None = None) -> None:
    authorize(principal, action, district(kind, ident) if ident else district(kind))


def centres() -> list[dict]:
    return _CENTRES.dump(catalogue.list_centres())


def matters(principal: Principal, *, q: str | None, status: str | None, department: str | None, limit: int,
            cursor: str | None) -> tuple[list[dict], str | None]:
    _may(principal, MANAGE, "one_stop_matters")
    items, next_cursor = catalogue.search_matters(q=q, status=status, department=department, limit=limit,
                                                  cursor=cursor)
    return _MATTERS.dump(with_centres(items), many=True), next_cursor


def departments(principal: Principal) -> list[dict]:
    _may(principal, MANAGE, "one_stop_matters")
    return catalogue.departments()


def matter(principal: Principal, matter_id: str) -> dict:
    _may(principal, MANAGE, "one_stop_matter", matter_id)
    return _MATTERS.dump(with_centre_codes(catalogue.get_matter(matter_id)))


def create_matter(principal: Principal, fields: dict) -> dict:
    _may(principal, MANAGE, "one_stop_matters")
    return _MATTERS.dump(with_centre_codes(catalogue.create_matter(principal, fields)))


def update_matter(principal: Principal, matter_id: str, fields: dict) -> dict:
    _may(principal, MANAGE, "one_stop_matter", matter_id)
    return _MATTERS.dump(with_centre_codes(catalogue.update_matter(principal, matter_id, fields)))


def set_matter_status(principal: Principal, matter_id: str, status: str) -> dict:
    _may(principal, MANAGE, "one_stop_matter", matter_id)
    return _MATTERS.dump(with_centre_codes(catalogue.set_matter_status(principal, matter_id, status)))


def staff_cases(principal: Principal, *, status: str | None, centre: str | None, limit: int,
                cursor: str | None) -> tuple[list[dict], str | None]:
    _may(principal, MANAGE, "one_stop_cases")
    items, next_cursor = cases.list_staff_cases(status=status, centre=centre, limit=limit, cursor=cursor)
    return [_case_summary(c) for c in items], next_cursor


def deadline_warnings(principal: Principal, *, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    _may(principal, MANAGE, "one_stop_cases")
    items, next_cursor = cases.due_soon(limit=limit, cursor=cursor)
    return [_case_summary(c) for c in items], next_cursor


def _case_summary(case) -> dict:
    return _CASES.dump(with_progress(case))


def staff_case(principal: Principal, case_id: str) -> dict:
    _may(principal, MANAGE, "one_stop_case", case_id)
    return _case_summary(cases.staff_case(case_id))


def set_case_status(principal: Principal, case_id: str, status: str, note: str | None) -> dict:
    _may(principal, MANAGE, "one_stop_case", case_id)
    return _case_summary(cases.set_status(principal, case_id, status, note))


def followups(principal: Principal, *, status: str | None, escalated: bool | None, limit: int,
              cursor: str | None) -> tuple[list[dict], str | None]:
    _may(principal, MANAGE, "one_stop_followups")
    items, next_cursor = evaluations.list_followups(status=status, escalated=escalated, limit=limit, cursor=cursor)
    return [_FOLLOWUPS.dump(with_rating(f, evaluations.evaluation_by_id(f.evaluation_id))) for f in items], next_cursor


def answer_followup(principal: Principal, followup_id: str, text: str) -> dict:
    _may(principal, MANAGE, "one_stop_followup", followup_id)
    answered = evaluations.answer(principal, followup_id, text)
    return _FOLLOWUPS.dump(with_rating(answered, evaluations.evaluation_by_id(answered.evaluation_id)))


def statistics(principal: Principal, by: str, *, from_month: str | None, to_month: str | None, limit: int,
               cursor: str | None) -> tuple[list[dict], str | None]:
    _may(principal, READ, "one_stop_evaluations")
    return evaluations.statistics(by, from_month=from_month, to_month=to_month, limit=limit, cursor=cursor)


def export(principal: Principal, *, from_day: str | None, to_day: str | None) -> Iterator[dict]:
    """Every rating between two days in the national platform's data items, oldest first,
    read a page at a time (a year of a district is a million rows)."""
    _may(principal, READ, "one_stop_evaluations")  # now, before the answer starts
    return _export_pages(from_day, to_day)


def _export_pages(from_day: str | None, to_day: str | None) -> Iterator[dict]:
    cursor = None
    while True:
        items, cursor = evaluations.export(from_day=from_day, to_day=to_day, limit=EXPORT_PAGE, cursor=cursor)
        yield from items
        if cursor is None:
            return
