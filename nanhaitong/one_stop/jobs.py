"""Scheduled one-stop work (see jobs/schedule.py): appointment reminders the day before,
no-shows, warnings to staff before a case's legal deadline, and escalation of follow-ups
staff did not answer in time. Each is safe to run twice and on several workers: it claims
its rows (``reminded_at``, ``warned_at``, ``escalated_at``) in the unit that acts on them."""

from __future__ import annotations

import logging
from datetime import timedelta

from celery import shared_task
from sqlalchemy import select

from .. import db
from ..audit.service import record as audit
from ..identity import phone_of
from ..jobs.tasks import enqueue_sms
from ..messages import service as messages
from ..sms_templates import china_date_text, inbox_text, sms_params
from ..timeutil import china_now, utcnow
from . import appointments, benefits, cases, catalogue, evaluations
from .models import Appointment

log = logging.getLogger(__name__)


def send_reminders() -> int:
    """Remind everyone booked for tomorrow (China date): inbox message and SMS. Answers how many."""
    tomorrow = (china_now().date() + timedelta(days=1)).isoformat()
    texts = []
    with db.unit_of_work("remind"):
        due = db.session().execute(select(Appointment).where(
            Appointment.status == "booked", Appointment.day == tomorrow, Appointment.reminded_at.is_(None))
            .with_for_update()).scalars().all()
        for appointment in due:
            centre = catalogue.get_centre(appointment.centre_code)
            matter = catalogue.get_matter(appointment.matter_id)
            values = {"day": china_date_text(appointment.day), "start": appointment.start, "centre": centre.name,
                      "matter": matter.name}
            title, body = inbox_text("appointment_reminder", **values)
            messages.notify_user(appointment.user_id, topic="application_status", title=title, body=body,
                                 data={"appointment_id": appointment.id, "kind": "one_stop_reminder"},
                                 dedupe_key=f"one-stop-reminder:{appointment.id}:{appointment.day}")
            appointment.reminded_at = utcnow()
            audit("one_stop.reminded", actor="system:jobs", object_type="appointment", object_id=appointment.id)
            texts.append((appointment.user_id, values))
    for user_id, values in texts:  # after the commit: the SMS job retries on its own
        try:
            enqueue_sms(phone_of(user_id), "appointment_reminder", sms_params("appointment_reminder", **values))
        except Exception:  # the inbox message stands; a lost SMS is logged, never a failed sweep
            log.exception("one-stop reminder SMS not queued")
    return len(texts)


@shared_task(name="nanhaitong.one_stop.jobs.remind_appointments")
def remind_appointments() -> int:
    return send_reminders()


@shared_task(name="nanhaitong.one_stop.jobs.sweep_no_shows")
def sweep_no_shows() -> dict:
    return appointments.sweep_no_shows()


@shared_task(name="nanhaitong.one_stop.jobs.warn_deadlines")
def warn_deadlines() -> int:
    return cases.warn_deadlines()


@shared_task(name="nanhaitong.one_stop.jobs.escalate_followups")
def escalate_followups() -> int:
    return evaluations.escalate_overdue()


@shared_task(name="nanhaitong.one_stop.jobs.sync_benefits")
def sync_benefits() -> int:
    return benefits.sync_all()
