"""Privacy's background work: account deletions whose cooling-off has ended, copies of
people's data, and the removal of copies past their link's life. Each is safe to run
twice and on several workers at once (rows are claimed under their lock)."""

from __future__ import annotations

from celery import shared_task


@shared_task(name="privacy.run_due_deletions")
def run_due_deletions() -> int:
    from .deletion import due_ids

    ids = due_ids()
    for deletion_id in ids:
        delete_account.delay(deletion_id)
    return len(ids)


@shared_task(name="privacy.delete_account")
def delete_account(deletion_id: str) -> str | None:
    from .deletion import carry_out

    row = carry_out(deletion_id)
    return row.status if row else None


@shared_task(name="privacy.build_export")
def build_export(export_id: str) -> str | None:
    from .export import build

    row = build(export_id)
    return row.status if row else None


@shared_task(name="privacy.expire_exports")
def expire_exports() -> int:
    from .export import expire_due

    return expire_due()
