"""One-stop services as staff use them, through the admin API and the console alike.

Every operation asks ``authorize`` first, once, with a district resource (the staff
actions ``admin:one_stop.manage`` for operators, ``admin:one_stop.read`` for operators
and auditors, ``admin:policies.manage`` for the policy editors who grant benefits without
application); then the module that does the work does it, audited under the staff
member's name. A refusal is the decision's own 403 (``staff_role_required``), audited
as evidence.
"""

from __future__ import annotations

from ..authorizations import authorize, district
from ..kernel import Principal
from . import appointments, benefits, bundles, cases, catalogue, evaluations
from .models import Appointment, Benefit, Bundle, Case, FollowUp, Matter

MANAGE, READ, BENEFITS = "admin:one_stop.manage", "admin:one_stop.read", "admin:policies.manage"
Page = tuple[list, str | None]


def _may(principal: Principal, action: str, kind: str, ident: str | None = None) -> None:
    authorize(principal, action, district(kind, ident) if ident else district(kind))


# -- the catalogue -------------------------------------------------------------------------

def matters(principal: Principal, *, limit: int, cursor: str | None, **filters) -> Page:
    """Every matter, active or retired; ``filters`` as ``catalogue.search_matters`` takes them."""
    _may(principal, MANAGE, "one_stop_matters")
    return catalogue.search_matters(limit=limit, cursor=cursor, **filters)


def departments(principal: Principal) -> list[dict]:
    _may(principal, MANAGE, "one_stop_matters")
    return catalogue.departments()


def matter(principal: Principal, matter_id: str) -> Matter:
    _may(principal, MANAGE, "one_stop_matter", matter_id)
    return catalogue.get_matter(matter_id)


def create_matter(principal: Principal, fields: dict) -> Matter:
    _may(principal, MANAGE, "one_stop_matters")
    return catalogue.create_matter(principal, fields)


def update_matter(principal: Principal, matter_id: str, fields: dict) -> Matter:
    _may(principal, MANAGE, "one_stop_matter", matter_id)
    return catalogue.update_matter(principal, matter_id, fields)


def set_matter_status(principal: Principal, matter_id: str, status: str) -> Matter:
    _may(principal, MANAGE, "one_stop_matter", matter_id)
    return catalogue.set_matter_status(principal, matter_id, status)


# -- the counter and the cases -------------------------------------------------------------

def check_in(principal: Principal, centre_code: str, payload: str) -> Appointment:
    _may(principal, MANAGE, "one_stop_centre", centre_code)
    return appointments.check_in(principal, centre_code, payload)


def open_from_appointment(principal: Principal, appointment_id: str, form: dict) -> Case:
    _may(principal, MANAGE, "one_stop_appointment", appointment_id)
    return cases.open_from_appointment(principal, appointment_id, form)


def open_at_counter(principal: Principal, fields: dict) -> Case:
    _may(principal, MANAGE, "one_stop_cases")
    return cases.open_at_counter(principal, fields)


def staff_cases(principal: Principal, *, status: str | None, centre: str | None, limit: int,
                cursor: str | None) -> Page:
    _may(principal, MANAGE, "one_stop_cases")
    return cases.list_staff_cases(status=status, centre=centre, limit=limit, cursor=cursor)


def deadline_warnings(principal: Principal, *, limit: int, cursor: str | None) -> Page:
    _may(principal, MANAGE, "one_stop_cases")
    return cases.due_soon(limit=limit, cursor=cursor)


def staff_case(principal: Principal, case_id: str) -> Case:
    _may(principal, MANAGE, "one_stop_case", case_id)
    return cases.staff_case(case_id)


def set_case_status(principal: Principal, case_id: str, status: str, note: str | None) -> Case:
    _may(principal, MANAGE, "one_stop_case", case_id)
    return cases.set_status(principal, case_id, status, note)


# -- evaluations ---------------------------------------------------------------------------

def followups(principal: Principal, *, status: str | None, escalated: bool | None, limit: int,
              cursor: str | None) -> Page:
    _may(principal, MANAGE, "one_stop_followups")
    return evaluations.list_followups(status=status, escalated=escalated, limit=limit, cursor=cursor)


def answer_followup(principal: Principal, followup_id: str, text: str) -> FollowUp:
    _may(principal, MANAGE, "one_stop_followup", followup_id)
    return evaluations.answer(principal, followup_id, text)


def statistics(principal: Principal, by: str, *, from_month: str | None, to_month: str | None, limit: int,
               cursor: str | None) -> Page:
    _may(principal, READ, "one_stop_evaluations")
    return evaluations.statistics(by, from_month=from_month, to_month=to_month, limit=limit, cursor=cursor)


def export(principal: Principal, *, from_day: str | None, to_day: str | None, limit: int,
           cursor: str | None) -> Page:
    _may(principal, READ, "one_stop_evaluations")
    return evaluations.export(from_day=from_day, to_day=to_day, limit=limit, cursor=cursor)


# -- bundles and benefits ------------------------------------------------------------------

def create_bundle(principal: Principal, fields: dict) -> Bundle:
    _may(principal, MANAGE, "one_stop_bundles")
    return bundles.create_bundle(principal, fields)


def list_benefits(principal: Principal, *, limit: int, cursor: str | None) -> Page:
    _may(principal, BENEFITS, "one_stop_benefits")
    return benefits.list_benefits(limit=limit, cursor=cursor)


def create_benefit(principal: Principal, policy_id: str, amount_fen: int) -> tuple[Benefit, int]:
    _may(principal, BENEFITS, "one_stop_benefits")
    return benefits.create_benefit(principal, policy_id, amount_fen)


def run_offers(principal: Principal, benefit_id: str) -> tuple[Benefit, int]:
    _may(principal, BENEFITS, "one_stop_benefit", benefit_id)
    return benefits.run_offers(principal.audit_name, benefit_id)
