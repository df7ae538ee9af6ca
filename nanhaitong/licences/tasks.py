"""Scheduled e-licence work."""

from celery import shared_task

from . import service


@shared_task
def notify_expiring() -> int:
    return service.notify_expiring()
