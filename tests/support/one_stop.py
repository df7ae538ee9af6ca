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


def counter_case(operator, matter_id: str, phone: str, centre: str = "guicheng") -> dict:
    """A case accepted at the counter for the citizen with ``phone`` (through the staff API)."""
    answer = operator.post("/api/v1/admin/one-stop/cases", json={"matter_id": matter_id, "centre": centre,
                                                                  "applicant_phone": phone})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def bad_rating(operator, citizen, matter_id: str, *, level: int = 2, reasons=("time", "visits"),
               text: str = "跑了三次") -> dict:
    """A counter case completed and rated badly by ``citizen``: the rating with its open follow-up."""
    case = counter_case(operator, matter_id, citizen.phone)
    done = operator.post(f"/api/v1/admin/one-stop/cases/{case['id']}/status", json={"status": "completed"})
    assert done.status_code == 200, done.get_json()
    rated = citizen.post(f"/api/v1/one-stop/cases/{case['id']}/evaluation",
                         json={"level": level, "reasons": list(reasons), "text": text})
    assert rated.status_code == 201, rated.get_json()
    return rated.get_json()
