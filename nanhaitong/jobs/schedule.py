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
    # Provincial services: deliver queued applications, poll open ones (callbacks' fallback).
    "gov-services-poll": {"task": "nanhaitong.gov_services.jobs.poll_applications", "schedule": 120.0},
    # Unpaid payment orders past their time (reads also expire them lazily).
    "payments-expire": {"task": "payments.expire_orders", "schedule": 60.0},
    # Yesterday's channel statements against our orders; 03:00 China time (19:00 UTC).
    "payments-reconcile": {"task": "payments.reconcile", "schedule": crontab(hour=19, minute=0)},
    # Signed documents whose newest timestamp's TSA certificate ends soon get a new archive
    # timestamp (PAdES B-LTA); 02:30 China time (18:30 UTC).
    "esign-archive-timestamps": {"task": "nanhaitong.esign.tasks.renew_archive_timestamps",
                                 "schedule": crontab(hour=18, minute=30)},
    # Multi-party signing envelopes past their expiry close and tell their parties.
    "esign-expire-envelopes": {"task": "nanhaitong.esign.tasks.expire_envelopes", "schedule": 300.0},
    # Orders waiting too long in refunding or fulfilment_failed: an alert (once each).
    "payments-alert-stuck": {"task": "payments.alert_stuck", "schedule": 300.0},
    # Webhook deliveries due a retry.
    "partners-webhooks-due": {"task": "nanhaitong.partners.webhooks.dispatch_due_webhooks", "schedule": 60.0},
    # One-stop services (issue 27): reminders for tomorrow's appointments at 18:00 China
    # time (10:00 UTC); no-shows every 15 minutes; deadline warnings and overdue follow-ups
    # every hour.
    "one-stop-reminders": {"task": "nanhaitong.one_stop.jobs.remind_appointments",
                           "schedule": crontab(hour=10, minute=0)},
    "one-stop-no-shows": {"task": "nanhaitong.one_stop.jobs.sweep_no_shows", "schedule": 900.0},
    "one-stop-deadlines": {"task": "nanhaitong.one_stop.jobs.warn_deadlines", "schedule": 3600.0},
    "one-stop-followups": {"task": "nanhaitong.one_stop.jobs.escalate_followups", "schedule": 3600.0},
    # Benefits without application reach enterprises that newly match (an amended policy).
    "one-stop-benefits": {"task": "nanhaitong.one_stop.jobs.sync_benefits", "schedule": 3600.0},
    # Account deletions whose cooling-off period has ended (issue 23).
    "privacy-deletions-due": {"task": "privacy.run_due_deletions", "schedule": 300.0},
    # Copies of people's data past their link's seven days are deleted.
    "privacy-exports-expire": {"task": "privacy.expire_exports", "schedule": 3600.0},
}
