"""One-stop matters as an operator writes them, and moving an appointment to another day
(no API books the past or today)."""

from __future__ import annotations

import itertools

_codes = itertools.count(1)


def matter_body(name="居民身份证换领", code=None, **extra) -> dict:
    return {"code": code or f"T-{next(_codes):04d}", "name": name, "department": "佛山市公安局南海分局",
            "audience": "citizen", "centres": ["guicheng", "shishan"],
            "materials": [{"name": "居民户口簿", "copies": 0, "note": "原件核验"}],
            "legal_days": 20, "promised_days": 5, "fee_fen": 2000, "fee_note": "工本费20元", "online": True,
            "by_post": True, "visits": 1, "slot_capacity": 2, **extra}


def shift_appointment(app, appointment_id: str, day: str) -> None:
    """Move an appointment (and its slot) to another day: no API books the past or today."""
    from nanhaitong import db
    from nanhaitong.one_stop.models import Appointment, Slot

    with app.app_context():
        appointment = db.session().get(Appointment, appointment_id)
        appointment.day = day
        db.session().get(Slot, appointment.slot_id).day = day
        db.session().commit()
