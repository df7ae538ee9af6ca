"""Cases (办件): opened from an appointment (staff, at check-in), an online application (the
person) or at the counter (staff); their status history; the legal deadline counted in
working days from acceptance (calendar.py); warnings to staff before it passes.

Status: ``submitted`` (online, waiting for acceptance) -> ``accepted`` (受理: the deadline
runs) -> ``completed`` (办结) or ``rejected``. A bundle's case has one part per matter;
each part moves on its own and the whole follows its parts (bundles.py).
"""

from __future__ import annotations

import json
from datetime import date, timedelta

from flask import current_app
from sqlalchemy import select

from .. import db
from ..audit.service import record as audit
from ..authorizations import Resource, authorize
from ..errors import N_, Conflict, NotFound, ValidationFailed
from ..identity import enterprise_profile, find_citizen
from ..ids import new_id
from ..kernel import Principal
from ..messages import service as messages
from ..sms_templates import inbox_text, phrase
from ..timeutil import china_now, utcnow
from . import calendar, catalogue
from .models import Appointment, Case, CaseEvent, Matter

OPEN = ("submitted", "accepted")
CLOSED = ("completed", "rejected")
NEXT = {"submitted": ("accepted", "rejected"), "accepted": ("completed", "rejected")}
STATUS_WORDS = {"submitted": N_("has been submitted"), "accepted": N_("has been accepted"),
                "completed": N_("has been completed"), "rejected": N_("was not accepted")}
BACKDATE_DAYS = 365


def _today() -> date:
    return china_now().date()


def _number() -> str:
    return f"NH{_today():%Y%m%d}{new_id()[-10:]}"


def seal_form(form: dict) -> str:
    """Application forms hold personal data (names, ID numbers, addresses): the column
    (``EncryptedText``, context ``FORM_CONTEXT``) encrypts them at rest."""
    return json.dumps(form, ensure_ascii=False)


def form_of(case: Case) -> dict:
    return json.loads(case.form)


def deadline_of(accepted_on: date, legal_days: int) -> date:
    return calendar.add_working_days(accepted_on, legal_days)


def record_event(case: Case, status: str, actor: str, note: str | None = None) -> None:
    db.session().add(CaseEvent(case_id=case.id, status=status, actor=actor, note=note))


def new_case(*, owner: tuple[str, str], applicant_id: str | None, matter: Matter | None, centre_code: str | None,
             channel: str, actor: str, form: dict, status: str, accepted_on: date | None = None,
             appointment_id: str | None = None, bundle_id: str | None = None, parent: Case | None = None) -> Case:
    """Write a case (inside the caller's unit of work). Accepted cases get their deadline."""
    accepted_on = accepted_on or _today()
    case = Case(number=_number(), owner_kind=owner[0], owner_id=owner[1], applicant_id=applicant_id,
                matter_id=matter.id if matter else None, centre_code=centre_code, channel=channel,
                appointment_id=appointment_id, bundle_id=bundle_id, parent_id=parent.id if parent else None,
                form=seal_form(form), status=status, accepted_on=accepted_on.isoformat(),
                legal_days=matter.legal_days if matter else None, created_by=actor)
    if status == "accepted" and matter is not None:
        case.deadline = deadline_of(accepted_on, matter.legal_days).isoformat()
    db.session().add(case)
    db.session().flush()
    record_event(case, status, actor)
    audit("one_stop.case_opened", actor=actor, object_type="case", object_id=case.id,
          details={"channel": channel, "matter_id": case.matter_id, "bundle_id": bundle_id, "status": status,
                   "deadline": case.deadline})
    return case


def _resource(kind: str, ident: str, case_id: str | None = None) -> Resource:
    return Resource(type="case", owner_kind=kind, owner_id=ident, id=case_id)


def _centre_for(matter: Matter, centre_code: str | None) -> str:
    codes = catalogue.centre_codes_of(matter.id)
    if centre_code is None:
        return codes[0]
    if centre_code not in codes:
        raise NotFound("This centre does not handle this matter.", code="matter_not_at_centre")
    return centre_code


# -- opening ------------------------------------------------------------------------------

@db.unit_of_work()
def apply_online(principal: Principal, matter_id: str, form: dict, centre_code: str | None) -> Case:
    kind, ident = principal.subject
    authorize(principal, "one_stop:apply", _resource(kind, ident))
    matter = catalogue.get_matter(matter_id, active_only=True)
    if not matter.online:
        raise Conflict("This matter cannot be applied for online; book a visit.", code="not_online")
    return new_case(owner=(kind, ident), applicant_id=principal.account_id, matter=matter,
                    centre_code=_centre_for(matter, centre_code), channel="online", actor=principal.audit_name,
                    form=form, status="submitted")


@db.unit_of_work(conflict=Conflict("A case was already opened for this appointment.", code="case_exists"))
def open_from_appointment(staff: Principal, appointment_id: str, form: dict) -> Case:
    appointment = db.session().get(Appointment, appointment_id)
    if appointment is None:
        raise NotFound("No such appointment.", code="appointment_not_found")
    if appointment.status != "checked_in":
        raise Conflict("Only a checked-in appointment opens a case.", code="appointment_not_checked_in",
                       details={"status": appointment.status})
    if db.session().execute(select(Case.id).where(Case.appointment_id == appointment.id)).first():
        raise Conflict("A case was already opened for this appointment.", code="case_exists")
    matter = catalogue.get_matter(appointment.matter_id)
    return new_case(owner=(appointment.owner_kind, appointment.owner_id), applicant_id=appointment.user_id,
                    matter=matter, centre_code=appointment.centre_code, channel="appointment",
                    actor=staff.audit_name, form=form, status="accepted", appointment_id=appointment.id)


@db.unit_of_work()
def open_at_counter(staff: Principal, fields: dict) -> Case:
    """A case accepted at the counter for a registered citizen (by phone) or an enterprise;
    ``accepted_on`` records a paper case accepted earlier (补录), never in the future."""
    matter = catalogue.get_matter(fields["matter_id"], active_only=True)
    centre_code = _centre_for(matter, fields["centre"])
    accepted_on = date.fromisoformat(fields["accepted_on"]) if fields.get("accepted_on") else _today()
    if accepted_on > _today() or accepted_on < _today() - timedelta(days=BACKDATE_DAYS):
        raise ValidationFailed({"accepted_on": ["Must be today or within the past year."]})
    if fields.get("enterprise_id"):
        if enterprise_profile(fields["enterprise_id"]) is None:
            raise NotFound("No such enterprise.", code="enterprise_not_found")
        owner, applicant = ("enterprise", fields["enterprise_id"]), None
    else:
        person = find_citizen(phone=fields["applicant_phone"])
        if person is None:
            raise NotFound("No Nanhai-Tong account has this phone number.", code="citizen_not_found")
        owner, applicant = ("citizen", person.id), person.id
    return new_case(owner=owner, applicant_id=applicant, matter=matter, centre_code=centre_code, channel="counter",
                    actor=staff.audit_name, form=fields.get("form") or {}, status="accepted", accepted_on=accepted_on)


# -- moving on ----------------------------------------------------------------------------

def notify(case: Case, matter_name: str) -> None:
    title, body = inbox_text("case_status", status=phrase(STATUS_WORDS[case.status]), matter=matter_name,
                             number=case.number)
    data = {"case_id": case.parent_id or case.id, "status": case.status, "kind": "one_stop_case"}
    key = f"one-stop-case:{case.id}:{case.status}"
    if case.owner_kind == "enterprise":
        messages.notify_enterprise(case.owner_id, topic="application_status", title=title, body=body, data=data,
                                   dedupe_key=key)
    elif case.applicant_id or case.owner_id:
        messages.notify_user(case.applicant_id or case.owner_id, topic="application_status", title=title, body=body,
                             data=data, dedupe_key=key)


@db.unit_of_work()
def set_status(staff: Principal, case_id: str, status: str, note: str | None) -> Case:
    case = staff_case(case_id, lock=True)
    if case.gov_application_id:
        raise Conflict("A provincial application's case follows the provincial platform.", code="provincial_case")
    if case.matter_id is None:
        raise Conflict("A bundle's case follows its parts; change the parts.", code="bundle_follows_parts")
    if status not in NEXT.get(case.status, ()):
        raise Conflict("The case cannot move to this status.", code="invalid_transition",
                       details={"from": case.status, "to": status, "allowed": list(NEXT.get(case.status, ()))})
    matter = catalogue.get_matter(case.matter_id)
    previous, case.status = case.status, status
    if status == "accepted":
        case.accepted_on = _today().isoformat()
        case.deadline = deadline_of(_today(), matter.legal_days).isoformat()
    if status in CLOSED:
        case.closed_at = utcnow()
    record_event(case, status, staff.audit_name, note)
    audit("one_stop.case_status", actor=staff.audit_name, object_type="case", object_id=case.id,
          details={"from": previous, "to": status})
    notify(case, matter.name)
    if case.parent_id:
        from .bundles import follow_parts

        follow_parts(case.parent_id, staff.audit_name)
    return case


# -- reading ------------------------------------------------------------------------------

def staff_case(case_id: str, *, lock: bool = False) -> Case:
    case = db.session().get(Case, case_id, with_for_update=lock)
    if case is None:
        raise NotFound("No such case.", code="case_not_found")
    return case


def get_case(principal: Principal, case_id: str, action: str = "one_stop:apply", *, lock: bool = False) -> Case:
    case = db.session().get(Case, case_id, with_for_update=lock)
    if case is None or case.parent_id is not None:
        raise NotFound("No such case.", code="case_not_found")
    authorize(principal, action, _resource(case.owner_kind, case.owner_id, case.id))
    return case


def list_cases(principal: Principal, *, status: str | None, limit: int, cursor: str | None):
    kind, ident = principal.subject
    authorize(principal, "one_stop:apply", _resource(kind, ident))
    query = select(Case).where(Case.owner_kind == kind, Case.owner_id == ident, Case.parent_id.is_(None))
    return _page(query, status, limit, cursor)


def _page(query, status, limit, cursor):
    if status:
        query = query.where(Case.status == status)
    if cursor:
        query = query.where(Case.id < cursor)
    rows = db.session().execute(query.order_by(Case.id.desc()).limit(limit + 1)).scalars().all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def list_staff_cases(*, status: str | None, centre: str | None, limit: int, cursor: str | None):
    query = select(Case)
    if centre:
        query = query.where(Case.centre_code == centre)
    return _page(query, status, limit, cursor)


def history(case_id: str) -> list[CaseEvent]:
    return list(db.session().execute(select(CaseEvent).where(CaseEvent.case_id == case_id)
                                     .order_by(CaseEvent.at, CaseEvent.id)).scalars())


def parts_of(case_id: str) -> list[Case]:
    return list(db.session().execute(select(Case).where(Case.parent_id == case_id).order_by(Case.id)).scalars())


def working_days_left(case: Case) -> int | None:
    if case.status != "accepted" or not case.deadline:
        return None
    return calendar.working_days_between(_today(), date.fromisoformat(case.deadline))


# -- deadlines ----------------------------------------------------------------------------

def due_soon(*, limit: int, cursor: str | None) -> tuple[list[Case], str | None]:
    """Accepted cases whose deadline is at most ONE_STOP_DEADLINE_WARNING_DAYS working days
    away, or past: earliest deadline first (cursor: offset)."""
    horizon = calendar.add_working_days(_today(), current_app.config["ONE_STOP_DEADLINE_WARNING_DAYS"]).isoformat()
    offset = catalogue.offset_of(cursor)
    rows = db.session().execute(select(Case).where(Case.status == "accepted", Case.deadline.is_not(None),
                                                   Case.deadline <= horizon)
                                .order_by(Case.deadline, Case.id).offset(offset).limit(limit + 1)).scalars().all()
    return rows[:limit], (str(offset + limit) if len(rows) > limit else None)


@db.unit_of_work()
def warn_deadlines() -> int:
    """Warn staff (audit event, ``warned_at`` shown in the console lists) once per case
    before its legal deadline passes. Answers how many were warned."""
    horizon = calendar.add_working_days(_today(), current_app.config["ONE_STOP_DEADLINE_WARNING_DAYS"]).isoformat()
    due = db.session().execute(select(Case).where(
        Case.status == "accepted", Case.deadline.is_not(None), Case.deadline <= horizon, Case.warned_at.is_(None))
        .with_for_update()).scalars().all()
    for case in due:
        case.warned_at = utcnow()
        audit("one_stop.deadline_warning", actor="system:jobs", object_type="case", object_id=case.id,
              details={"deadline": case.deadline, "working_days_left": working_days_left(case),
                       "centre": case.centre_code})
    return len(due)
