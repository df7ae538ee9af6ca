"""Celery tasks: deliver a queued application, and the periodic poll (beat: every few minutes)."""

from __future__ import annotations

from celery import shared_task

from . import service


@shared_task(ignore_result=True)
def poll_applications(limit: int = 200) -> dict:
    """Deliver queued applications and bring open ones up to date; safe to run twice at once:
    delivery locks the row, and the upstream is idempotent on our application id."""
    return service.poll(limit=limit)


@shared_task(bind=True, max_retries=8, ignore_result=True)
def deliver_application(self, application_id: str) -> str:
    application = service.deliver(application_id, actor="system:jobs")
    if application.status == "queued" and not self.request.is_eager:
        raise self.retry(countdown=min(600, 15 * 2 ** self.request.retries))
    return application.status
