"""What the API shows of each one-stop object (the response schemas serialise these dicts)."""

from __future__ import annotations

import json

from ..timeutil import isoformat
from .centres import ServiceCentre
from .models import Matter


def _at(moment):
    return isoformat(moment) if moment else None


def centre_view(centre: ServiceCentre) -> dict:
    return {"code": centre.code, "name": centre.name, "town": centre.town, "address": centre.address,
            "morning": centre.morning, "afternoon": centre.afternoon, "slot_minutes": centre.slot_minutes}


def matter_view(matter: Matter, centres: list[str]) -> dict:
    return {"id": matter.id, "code": matter.code, "name": matter.name, "department": matter.department,
            "audience": matter.audience, "centres": centres, "materials": json.loads(matter.materials),
            "legal_days": matter.legal_days, "promised_days": matter.promised_days, "fee_fen": matter.fee_fen,
            "fee_note": matter.fee_note, "online": matter.online, "by_post": matter.by_post,
            "visits": matter.visits, "slot_capacity": matter.slot_capacity, "status": matter.status,
            "updated_at": isoformat(matter.updated_at)}


def matter_views(matters: list[Matter]) -> list[dict]:
    """A page of matters, each with its centres as the row keeps them (no second query)."""
    return [matter_view(m, json.loads(m.centre_codes)) for m in matters]


def appointment_view(appointment) -> dict:
    return {"id": appointment.id, "centre": appointment.centre_code, "matter_id": appointment.matter_id,
            "day": appointment.day, "start": appointment.start, "status": appointment.status,
            "queue_number": appointment.queue_number, "changes": appointment.changes,
            "created_at": isoformat(appointment.created_at), "checked_in_at": _at(appointment.checked_in_at),
            "cancelled_at": _at(appointment.cancelled_at)}


def _event_views(case_id: str) -> list[dict]:
    from .cases import history

    return [{"status": e.status, "note": e.note, "at": isoformat(e.at)} for e in history(case_id)]


def case_view(case) -> dict:
    from .cases import form_of, parts_of, working_days_left
    from .catalogue import get_matter
    from .evaluations import evaluated

    def name(matter_id):
        return get_matter(matter_id).name if matter_id else None

    left = working_days_left(case)
    bundle_name = None
    if case.bundle_id and not case.matter_id:
        from .bundles import get_bundle_by_id

        bundle_name = get_bundle_by_id(case.bundle_id).name
    return {"id": case.id, "number": case.number, "matter_id": case.matter_id,
            "matter_name": name(case.matter_id) or bundle_name or case.title, "bundle_id": case.bundle_id,
            "gov_application_id": case.gov_application_id,
            "centre": case.centre_code, "channel": case.channel, "status": case.status,
            "accepted_on": case.accepted_on, "legal_days": case.legal_days, "deadline": case.deadline,
            "working_days_left": left, "overdue": left is not None and left < 0, "warned_at": _at(case.warned_at),
            "form": form_of(case), "history": _event_views(case.id),
            "parts": [{"id": p.id, "number": p.number, "matter_id": p.matter_id, "matter_name": name(p.matter_id),
                       "status": p.status, "deadline": p.deadline, "history": _event_views(p.id)}
                      for p in parts_of(case.id)],
            "evaluated": evaluated(case.id), "created_at": isoformat(case.created_at),
            "closed_at": _at(case.closed_at)}


def followup_view(followup, evaluation) -> dict:
    from ..timeutil import china_today

    return {"id": followup.id, "case_id": evaluation.case_id, "status": followup.status, "due_on": followup.due_on,
            "overdue": followup.status == "open" and followup.due_on < china_today().isoformat(),
            "escalated_at": _at(followup.escalated_at), "answer": followup.answer,
            "answered_at": _at(followup.answered_at), "appraisal": followup.appraisal,
            "appraisal_text": followup.appraisal_text, "level": evaluation.level,
            "reasons": json.loads(evaluation.reasons), "text": evaluation.text}


def evaluation_view(evaluation) -> dict:
    from .evaluations import LEVELS, followup_of

    followup = followup_of(evaluation.id)
    return {"id": evaluation.id, "case_id": evaluation.case_id, "level": evaluation.level,
            "level_name": LEVELS[evaluation.level], "reasons": json.loads(evaluation.reasons), "text": evaluation.text,
            "created_at": isoformat(evaluation.created_at),
            "followup": followup_view(followup, evaluation) if followup else None}


def bundle_view(bundle) -> dict:
    from .catalogue import matter_by_code

    matters = [matter_by_code(code) for code in json.loads(bundle.matter_codes)]
    return {"id": bundle.id, "code": bundle.code, "name": bundle.name, "description": bundle.description,
            "audience": bundle.audience,
            "matters": [{"id": m.id, "code": m.code, "name": m.name, "department": m.department}
                        for m in matters if m is not None],
            "fields": json.loads(bundle.fields)}


def benefit_view(benefit, new_offers: int | None = None) -> dict:
    from .benefits import confirmed_count

    view = {"id": benefit.id, "policy_id": benefit.policy_id, "policy_version": benefit.policy_version,
            "title": benefit.title, "amount_fen": benefit.amount_fen, "offered": benefit.offered,
            "confirmed": confirmed_count(benefit.id), "created_at": isoformat(benefit.created_at)}
    if new_offers is not None:
        view["new_offers"] = new_offers
    return view


def offer_view(offer) -> dict:
    from .benefits import disbursement_of, get_benefit

    benefit = get_benefit(offer.benefit_id)
    paid = disbursement_of(offer.id)
    return {"id": offer.id, "benefit_id": benefit.id, "policy_id": benefit.policy_id, "title": benefit.title,
            "amount_fen": offer.amount_fen, "status": offer.status, "confirmed_at": _at(offer.confirmed_at),
            "disbursement": {"id": paid.id, "amount_fen": paid.amount_fen, "status": paid.status,
                             "created_at": isoformat(paid.created_at)} if paid else None,
            "created_at": isoformat(offer.created_at)}
