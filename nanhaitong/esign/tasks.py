"""Scheduled e-signature work."""

from celery import shared_task

from . import archive


@shared_task
def renew_archive_timestamps() -> dict:
    return archive.renew_archive_timestamps()


@shared_task
def expire_envelopes() -> int:
    from . import envelopes

    return envelopes.expire_due()
