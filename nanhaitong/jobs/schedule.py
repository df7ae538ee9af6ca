"""What the scheduler (`celery beat`) starts, and when. One beat process per deployment.

Each entry names a task that is safe to run twice and on several workers at once
(it locks or claims its rows), because a beat restart or a slow run may overlap.
"""

from __future__ import annotations

from celery.schedules import crontab

BEAT_SCHEDULE: dict[str, dict] = {
    # Pushes owed after a provider outage, or held through quiet hours.
    "messages-push-due": {"task": "nanhaitong.messages.push.send_due_pushes", "schedule": 60.0},
    # Holders hear of licences expiring within 30 days; 09:00 China time (01:00 UTC).
    "licences-notify-expiring": {"task": "nanhaitong.licences.tasks.notify_expiring",
                                 "schedule": crontab(hour=1, minute=0)},
}
