"""Appointments (预约) at the service centres: open slots from each centre's calendar, booking,
changing and cancelling, no-shows and the booking block, check-in with a queue number (取号).

Slots come from the centre's opening hours (morning and afternoon; the lunch break between
them has none) on working days (calendar.py), for ``ONE_STOP_BOOKING_DAYS`` working days
ahead; each holds the matter's ``slot_capacity`` people. A slot becomes a row the first
time somebody books it, and the row's ``booked`` counter is the guard against two people
taking the last place: one conditional UPDATE (``booked < capacity``) per booking, which
PostgreSQL re-checks under the row lock and SQLite runs one writer at a time. Whoever
updates no row gets 409 ``slot_full``.
"""

from __future__ import annotations

import base64
import io
import json
import secrets
from datetime import date, datetime, time, timedelta

import segno
from flask import current_app
from sqlalchemy import func, select, update
from sqlalchemy.dialects import postgresql, sqlite

from .. import db
from ..audit.service import record as audit
from ..authorizations import Resource, authorize
from ..errors import Conflict, Forbidden, NotFound, ValidationFailed
from ..ids import new_id
from ..kernel import Principal
from ..timeutil import CHINA_STANDARD_TIME, china_now, utcnow
from . import calendar, catalogue
from .centres import ServiceCentre
from .models import Appointment, BookingBlock, Matter, QueueCounter, Slot

QR_PREFIX = "NHT-CHECKIN:"


# -- the calendar of slots ----------------------------------------------------------------

def _minutes(hhmm: str) -> int:
    hours, minutes = hhmm.split(":")
    return int(hours) * 60 + int(minutes)


def _hhmm(minutes: int) -> str:
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def slot_starts(centre: ServiceCentre) -> list[tuple[str, str]]:
    """(start, end) of each slot of a working day, morning then afternoon."""
    out = []
    for period in (centre.morning, centre.afternoon):
        opens, closes = (_minutes(p) for p in period.split("-"))
        at = opens
        while at + centre.slot_minutes <= closes:
            out.append((_hhmm(at), _hhmm(at + centre.slot_minutes)))
            at += centre.slot_minutes
    return out


def _starts_at(day: str, start: str) -> datetime:
    return datetime.combine(date.fromisoformat(day), time.fromisoformat(start), tzinfo=CHINA_STANDARD_TIME)


def bookable_days() -> list[date]:
    return calendar.next_working_days(china_now().date(), current_app.config["ONE_STOP_BOOKING_DAYS"])


def open_slots(centre_code: str, matter_id: str, *, from_day: date | None = None, days: int = 5) -> list[dict]:
    """The slots of the coming working days with how many places are left (full ones too).

    Two queries: the matter's status, capacity and centres (kept on its row), then the
    booked slots of the window's days (a range, so the statement is the same every time)."""
    centre = catalogue.get_centre(centre_code)
    matter = db.session().execute(select(Matter.status, Matter.slot_capacity, Matter.centre_codes)
                                  .where(Matter.id == matter_id)).first()
    if matter is None or matter.status != "active":
        raise NotFound("No such matter.", code="matter_not_found")
    if centre.code not in json.loads(matter.centre_codes):
        raise NotFound("This centre does not handle this matter.", code="matter_not_at_centre")
    window = [d.isoformat() for d in bookable_days() if from_day is None or d >= from_day][:days]
    if not window:
        return []
    booked = {(row.day, row.start): (row.capacity, row.booked) for row in db.session().execute(
        select(Slot.day, Slot.start, Slot.capacity, Slot.booked).where(
            Slot.centre_code == centre.code, Slot.matter_id == matter_id,
            Slot.day >= window[0], Slot.day <= window[-1])).all()}
    now = china_now()
    today, starts, free = now.date().isoformat(), slot_starts(centre), (matter.slot_capacity, 0)
    out = []
    for day in window:
        for start, end in starts:
            if day <= today and _starts_at(day, start) <= now:  # only today's can have begun
                continue
            capacity, taken = booked.get((day, start), free)
            out.append({"day": day, "start": start, "end": end, "capacity": capacity,
                        "available": max(0, capacity - taken)})
    return out


def _check_offered(centre: ServiceCentre, day: str, start: str) -> None:
    offered = (date.fromisoformat(day) in bookable_days() and start in {s for s, _ in slot_starts(centre)}
               and _starts_at(day, start) > china_now())
    if not offered:
        raise Conflict("The centre offers no such slot.", code="slot_not_offered", details={"day": day, "start": start})


# -- the guard: taking and giving back a place -------------------------------------------

def _insert_ignoring_duplicates(table, values: dict):
    dialect = db.session().get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    return insert(table).values(**values).on_conflict_do_nothing()


def _take_place(centre_code: str, matter_id: str, day: str, start: str, capacity: int) -> str:
    """Claim one place in the slot; answers the slot id, or 409 slot_full."""
    session = db.session()
    session.execute(_insert_ignoring_duplicates(Slot.__table__, {
        "id": new_id(), "centre_code": centre_code,
        "matter_id": matter_id, "day": day, "start": start, "capacity": capacity, "booked": 0}))
    where = (Slot.centre_code == centre_code, Slot.matter_id == matter_id, Slot.day == day, Slot.start == start)
    taken = session.execute(update(Slot).where(*where, Slot.booked < Slot.capacity)
                            .values(booked=Slot.booked + 1).execution_options(synchronize_session=False))
    if taken.rowcount != 1:
        raise Conflict("This slot is full.", code="slot_full", details={"day": day, "start": start})
    return session.execute(select(Slot.id).where(*where)).scalar_one()


def _give_back(slot_id: str) -> None:
    db.session().execute(update(Slot).where(Slot.id == slot_id, Slot.booked > 0).values(booked=Slot.booked - 1)
                         .execution_options(synchronize_session=False))


# -- booking ------------------------------------------------------------------------------

def _owner(principal: Principal, action: str, appointment: Appointment | None = None) -> tuple[str, str]:
    kind, ident = (appointment.owner_kind, appointment.owner_id) if appointment else principal.subject
    authorize(principal, action, Resource(type="appointment", owner_kind=kind, owner_id=ident,
                                          id=appointment.id if appointment else None))
    return kind, ident


def active_block(owner_kind: str, owner_id: str) -> BookingBlock | None:
    today = china_now().date().isoformat()
    return db.session().execute(select(BookingBlock).where(
        BookingBlock.owner_kind == owner_kind, BookingBlock.owner_id == owner_id, BookingBlock.blocked_until > today)
        .order_by(BookingBlock.blocked_until.desc()).limit(1)).scalar_one_or_none()


@db.unit_of_work()
def book(principal: Principal, centre_code: str, matter_id: str, day: str, start: str) -> Appointment:
    owner_kind, owner_id = _owner(principal, "one_stop:book")
    block = active_block(owner_kind, owner_id)
    if block is not None:
        raise Forbidden("Booking is blocked after repeated no-shows.", code="booking_blocked",
                        details={"blocked_until": block.blocked_until, "no_shows": block.no_shows})
    centre = catalogue.get_centre(centre_code)
    matter = catalogue.get_matter(matter_id, active_only=True)
    if not catalogue.handles(matter.id, centre.code):
        raise NotFound("This centre does not handle this matter.", code="matter_not_at_centre")
    _check_offered(centre, day, start)
    if db.session().execute(select(Appointment.id).where(
            Appointment.owner_kind == owner_kind, Appointment.owner_id == owner_id,
            Appointment.matter_id == matter.id, Appointment.status == "booked",
            Appointment.day >= china_now().date().isoformat()).limit(1)).first():
        raise Conflict("You already have an appointment for this matter.", code="already_booked")
    slot_id = _take_place(centre.code, matter.id, day, start, matter.slot_capacity)
    appointment = Appointment(slot_id=slot_id, owner_kind=owner_kind, owner_id=owner_id,
                              user_id=principal.account_id, centre_code=centre.code, matter_id=matter.id, day=day,
                              start=start, status="booked", checkin_token=secrets.token_urlsafe(24))
    db.session().add(appointment)
    db.session().flush()
    audit("one_stop.appointment_booked", object_type="appointment", object_id=appointment.id,
          details={"centre": centre.code, "matter_id": matter.id, "day": day, "start": start})
    return appointment


def get_appointment(principal: Principal, appointment_id: str, *, lock: bool = False) -> Appointment:
    appointment = db.session().get(Appointment, appointment_id, with_for_update=lock)
    if appointment is None:
        raise NotFound("No such appointment.", code="appointment_not_found")
    _owner(principal, "one_stop:book", appointment)
    return appointment


def _still_ahead(appointment: Appointment) -> None:
    if appointment.status != "booked":
        raise Conflict("This appointment is no longer booked.", code="appointment_closed",
                       details={"status": appointment.status})
    if _starts_at(appointment.day, appointment.start) <= china_now():
        raise Conflict("This appointment has started; it can no longer change.", code="appointment_started")


@db.unit_of_work()
def change(principal: Principal, appointment_id: str, day: str, start: str) -> Appointment:
    """Move to another slot of the same centre and matter; the new place is taken first."""
    appointment = get_appointment(principal, appointment_id, lock=True)
    _still_ahead(appointment)
    if appointment.changes >= current_app.config["ONE_STOP_MAX_CHANGES"]:
        raise Conflict("This appointment has been changed as often as allowed.", code="too_many_changes",
                       details={"limit": current_app.config["ONE_STOP_MAX_CHANGES"]})
    if (day, start) == (appointment.day, appointment.start):
        return appointment
    centre = catalogue.get_centre(appointment.centre_code)
    matter = catalogue.get_matter(appointment.matter_id, active_only=True)
    _check_offered(centre, day, start)
    new_slot = _take_place(centre.code, matter.id, day, start, matter.slot_capacity)
    _give_back(appointment.slot_id)
    previous = {"day": appointment.day, "start": appointment.start}
    appointment.slot_id, appointment.day, appointment.start = new_slot, day, start
    appointment.changes += 1
    appointment.reminded_at = None
    audit("one_stop.appointment_changed", object_type="appointment", object_id=appointment.id,
          details={"from": previous, "to": {"day": day, "start": start}})
    return appointment


@db.unit_of_work()
def cancel(principal: Principal, appointment_id: str) -> Appointment:
    appointment = get_appointment(principal, appointment_id, lock=True)
    _still_ahead(appointment)
    appointment.status, appointment.cancelled_at = "cancelled", utcnow()
    _give_back(appointment.slot_id)
    audit("one_stop.appointment_cancelled", object_type="appointment", object_id=appointment.id)
    return appointment


def list_appointments(principal: Principal, *, status: str | None, limit: int,
                      cursor: str | None) -> tuple[list[Appointment], str | None]:
    owner_kind, owner_id = _owner(principal, "one_stop:book")
    query = select(Appointment).where(Appointment.owner_kind == owner_kind, Appointment.owner_id == owner_id)
    if status:
        query = query.where(Appointment.status == status)
    if cursor:
        query = query.where(Appointment.id < cursor)
    rows = db.session().execute(query.order_by(Appointment.id.desc()).limit(limit + 1)).scalars().all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


def checkin_qr(principal: Principal, appointment_id: str) -> dict:
    """The QR code the centre's queue machine scans: it carries only the check-in token."""
    appointment = get_appointment(principal, appointment_id)
    if appointment.status != "booked":
        raise Conflict("This appointment is no longer booked.", code="appointment_closed",
                       details={"status": appointment.status})
    payload = QR_PREFIX + appointment.checkin_token
    buffer = io.BytesIO()
    segno.make(payload, error="m").save(buffer, kind="png", scale=6, border=4)
    return {"payload": payload, "png_base64": base64.b64encode(buffer.getvalue()).decode("ascii")}


# -- at the centre: check-in and queue numbers --------------------------------------------

def _next_queue_number(centre_code: str, day: str) -> int:
    session = db.session()
    session.execute(_insert_ignoring_duplicates(QueueCounter.__table__,
                                                {"centre_code": centre_code, "day": day, "last": 0}))
    session.execute(update(QueueCounter).where(QueueCounter.centre_code == centre_code, QueueCounter.day == day)
                    .values(last=QueueCounter.last + 1).execution_options(synchronize_session=False))
    return session.execute(select(QueueCounter.last).where(QueueCounter.centre_code == centre_code,
                                                           QueueCounter.day == day)).scalar_one()


@db.unit_of_work()
def check_in(staff: Principal, centre_code: str, payload: str) -> Appointment:
    """The queue machine of ``centre_code`` scanned a QR: check the appointment in and hand
    out its queue number (the same one again if scanned twice)."""
    if not payload.startswith(QR_PREFIX):
        raise ValidationFailed({"payload": ["Not a Nanhai-Tong check-in code."]})
    appointment = db.session().execute(select(Appointment).where(
        Appointment.checkin_token == payload.removeprefix(QR_PREFIX)).with_for_update()).scalar_one_or_none()
    if appointment is None or appointment.centre_code != centre_code:
        raise NotFound("No such appointment at this centre.", code="appointment_not_found")
    if appointment.status == "checked_in":
        return appointment
    if appointment.status != "booked":
        raise Conflict("This appointment is no longer booked.", code="appointment_closed",
                       details={"status": appointment.status})
    today = china_now().date().isoformat()
    if appointment.day != today:
        raise Conflict("This appointment is for another day.", code="wrong_day", details={"day": appointment.day})
    number = _next_queue_number(centre_code, today)
    appointment.status, appointment.checked_in_at = "checked_in", utcnow()
    appointment.queue_number = f"Y{number:03d}"
    audit("one_stop.checked_in", actor=staff.audit_name, object_type="appointment", object_id=appointment.id,
          details={"centre": centre_code, "queue_number": appointment.queue_number})
    return appointment


# -- no-shows -----------------------------------------------------------------------------

@db.unit_of_work()
def sweep_no_shows() -> dict:
    """Mark booked appointments whose slot ended (plus a grace) as no-shows, and block
    booking for those who reached the limit within the window."""
    cfg = current_app.config
    now = china_now()
    session = db.session()
    candidates = session.execute(select(Appointment).where(
        Appointment.status == "booked", Appointment.day <= now.date().isoformat()).with_for_update()).scalars().all()
    centres = {c.code: c for c in catalogue.list_centres()}
    grace = timedelta(minutes=cfg["ONE_STOP_NO_SHOW_GRACE_MINUTES"])
    owners, marked = set(), 0
    for appointment in candidates:
        ends = _starts_at(appointment.day, appointment.start) + timedelta(
            minutes=centres[appointment.centre_code].slot_minutes)
        if ends + grace <= now:
            appointment.status, appointment.no_show_at = "no_show", utcnow()
            _give_back(appointment.slot_id)
            owners.add((appointment.owner_kind, appointment.owner_id))
            marked += 1
            audit("one_stop.no_show", actor="system:jobs", object_type="appointment", object_id=appointment.id)
    since = (now.date() - timedelta(days=cfg["ONE_STOP_BLOCK_DAYS"])).isoformat()
    blocked = 0
    for owner_kind, owner_id in sorted(owners):
        count = session.execute(select(func.count()).select_from(Appointment).where(
            Appointment.owner_kind == owner_kind, Appointment.owner_id == owner_id,
            Appointment.status == "no_show", Appointment.day > since)).scalar_one()
        if count >= cfg["ONE_STOP_NO_SHOW_LIMIT"] and active_block(owner_kind, owner_id) is None:
            until = (now.date() + timedelta(days=cfg["ONE_STOP_BLOCK_DAYS"])).isoformat()
            session.add(BookingBlock(owner_kind=owner_kind, owner_id=owner_id, blocked_until=until, no_shows=count))
            audit("one_stop.booking_blocked", actor="system:jobs", object_type=owner_kind, object_id=owner_id,
                  details={"no_shows": count, "blocked_until": until})
            blocked += 1
    return {"no_shows": marked, "blocked": blocked}


def no_show_standing(principal: Principal) -> dict:
    owner_kind, owner_id = _owner(principal, "one_stop:book")
    since = (china_now().date() - timedelta(days=current_app.config["ONE_STOP_BLOCK_DAYS"])).isoformat()
    count = db.session().execute(select(func.count()).select_from(Appointment).where(
        Appointment.owner_kind == owner_kind, Appointment.owner_id == owner_id,
        Appointment.status == "no_show", Appointment.day > since)).scalar_one()
    block = active_block(owner_kind, owner_id)
    return {"no_shows_in_window": count, "limit": current_app.config["ONE_STOP_NO_SHOW_LIMIT"],
            "blocked_until": block.blocked_until if block else None}
