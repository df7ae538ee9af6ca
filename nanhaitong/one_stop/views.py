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
    from .catalogue import centres_of_many

    centres = centres_of_many([m.id for m in matters])
    return [matter_view(m, centres[m.id]) for m in matters]


def appointment_view(appointment) -> dict:
    return {"id": appointment.id, "centre": appointment.centre_code, "matter_id": appointment.matter_id,
            "day": appointment.day, "start": appointment.start, "status": appointment.status,
            "queue_number": appointment.queue_number, "changes": appointment.changes,
            "created_at": isoformat(appointment.created_at), "checked_in_at": _at(appointment.checked_in_at),
            "cancelled_at": _at(appointment.cancelled_at)}
