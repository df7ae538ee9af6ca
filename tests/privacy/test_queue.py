"""Privacy's jobs on the real queue engine: with Redis, a copy of one's data and an
account deletion are carried out by a Celery worker, not in the request."""

from __future__ import annotations

import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from nanhaitong import db
from nanhaitong.privacy.models import DeletionRequest
from nanhaitong.timeutil import utcnow
from tests.support.citizens import CHEN, verified
from tests.support.licences import sync


def wait_for(check, timeout: float = 30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.1)
    raise AssertionError("the worker did not finish in time")


def test_export_and_deletion_run_on_a_worker(app, make_app, redis_url, sign_in):
    if not redis_url:
        pytest.skip("needs the Redis backend (make test runs it when Redis answers)")
    from celery.contrib.testing.worker import start_worker

    chen = verified(sign_in, CHEN)
    sync(chen)
    queued = make_app(JOBS_EAGER=False)  # same database and keys: chen's tokens hold
    client, headers = queued.test_client(), chen.headers
    with start_worker(queued.extensions["celery"], pool="threads", concurrency=1, perform_ping_check=False,
                      shutdown_timeout=10):
        made = client.post("/api/v1/me/data-exports", headers=headers)
        assert made.status_code == 202, made.get_json()
        assert made.get_json()["status"] in ("queued", "building", "ready")
        url = f"/api/v1/me/data-exports/{made.get_json()['id']}"
        ready = wait_for(lambda: (lambda body: body if body["status"] == "ready" else None)(
            client.get(url, headers=headers).get_json()))
        assert ready["progress"] == 100 and ready["download_url"]

        assert client.post("/api/v1/me/account-deletion", headers=headers).status_code == 202
        with queued.app_context():
            db.session().execute(update(DeletionRequest).values(effective_at=utcnow() - timedelta(seconds=1)))
            db.session().commit()
            from nanhaitong.privacy.jobs import run_due_deletions

            run_due_deletions.delay()

        def completed():
            with queued.app_context():
                return db.session().execute(select(DeletionRequest.status)).scalar_one() == "completed"

        wait_for(completed)
    assert client.get("/api/v1/me", headers=headers).status_code == 401
