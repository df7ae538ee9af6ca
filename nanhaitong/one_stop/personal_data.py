"""What privacy asks of one-stop services about one person (issue 23): cases still being
handled block an account deletion; a copy of their cases (with the forms they filled in),
appointments and evaluations as the API shows them; and erasure. The caller holds the
unit of work."""

from __future__ import annotations

from sqlalchemy import delete, or_, select, update

from .. import db
from .models import Appointment, BookingBlock, Case, CaseEvent, Evaluation, FollowUp, Slot

CITIZEN = "citizen"
OPEN = ("submitted", "accepted")


def _owned(model, user_id: str):
    return (model.owner_kind == CITIZEN) & (model.owner_id == user_id)


def blockers(user_id: str) -> list[dict]:
    """Cases the person applied for (themself or as an enterprise's handler) still being
    handled; one following a provincial application is gov_services' to report."""
    rows = db.session().execute(select(Case).where(
        or_(_owned(Case, user_id), Case.applicant_id == user_id), Case.parent_id.is_(None),
        Case.status.in_(OPEN), Case.channel != "provincial").order_by(Case.id)).scalars().all()
    return [{"code": "application_in_progress", "object_type": "one_stop_case", "object_id": c.id,
             "message": "您有办理中的办件，请等待办结后再注销。", "status": c.status} for c in rows]


def export(user_id: str) -> dict:
    from schemas.one_stop import AppointmentSchema, CaseSchema, EvaluationSchema

    from .served import with_followup, with_progress

    session = db.session()
    cases = session.execute(select(Case).where(_owned(Case, user_id), Case.parent_id.is_(None))
                            .order_by(Case.id.desc())).scalars().all()
    appointments = session.execute(select(Appointment).where(_owned(Appointment, user_id))
                                   .order_by(Appointment.id.desc())).scalars().all()
    evaluations = session.execute(select(Evaluation).where(_owned(Evaluation, user_id))
                                  .order_by(Evaluation.id)).scalars().all()
    return {"cases": CaseSchema(many=True).dump([with_progress(c) for c in cases]),
            "appointments": AppointmentSchema(many=True).dump(appointments),
            "evaluations": EvaluationSchema(many=True).dump([with_followup(e) for e in evaluations])}


def erase(user_id: str) -> dict:
    """Delete the person's own cases (forms, history, parts), their evaluations and
    follow-ups, appointments (a booked place is given back) and booking blocks. An
    enterprise's cases and appointments stay: they are the enterprise's."""
    session = db.session()
    case_ids = list(session.execute(select(Case.id).where(_owned(Case, user_id))).scalars())
    evaluations = deleted_cases = 0
    if case_ids:
        evaluation_ids = select(Evaluation.id).where(Evaluation.case_id.in_(case_ids))
        session.execute(delete(FollowUp).where(FollowUp.evaluation_id.in_(evaluation_ids)))
        evaluations = session.execute(delete(Evaluation).where(Evaluation.case_id.in_(case_ids))).rowcount
        session.execute(delete(CaseEvent).where(CaseEvent.case_id.in_(case_ids)))
        session.execute(delete(Case).where(Case.id.in_(case_ids), Case.parent_id.is_not(None)))
        deleted_cases = session.execute(delete(Case).where(Case.id.in_(case_ids))).rowcount
    for slot_id in session.execute(select(Appointment.slot_id).where(
            _owned(Appointment, user_id), Appointment.status == "booked")).scalars().all():
        session.execute(update(Slot).where(Slot.id == slot_id, Slot.booked > 0).values(booked=Slot.booked - 1)
                        .execution_options(synchronize_session=False))
    appointments = session.execute(delete(Appointment).where(_owned(Appointment, user_id))).rowcount
    session.execute(delete(BookingBlock).where(_owned(BookingBlock, user_id)))
    return {"cases_deleted": deleted_cases, "evaluations_deleted": evaluations, "appointments_deleted": appointments}
