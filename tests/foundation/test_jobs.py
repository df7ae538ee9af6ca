"""Background jobs: eager in the embedded default, through Redis to a real Celery worker otherwise."""

import pytest
import requests

from nanhaitong.jobs.tasks import enqueue_sms


def sandbox_messages(app, phone):
    response = requests.get(f"{app.config['SANDBOX_URL']}/sms/messages", params={"phone": phone}, timeout=5)
    response.raise_for_status()
    return response.json()["messages"]


def test_sms_job_runs_eagerly_and_reaches_the_sandbox_over_http(app):
    with app.app_context():
        enqueue_sms("13800138000", "notice", {"text": "您的申请已受理"})
    messages = sandbox_messages(app, "13800138000")
    assert len(messages) == 1 and "您的申请已受理" in messages[0]["text"]


def test_queued_job_carries_no_clear_phone(app, monkeypatch):
    sent = []
    from nanhaitong.jobs import tasks

    monkeypatch.setattr(tasks.deliver_sms, "delay", lambda *args: sent.append(args))
    with app.app_context():
        enqueue_sms("13800138000", "notice", {"text": "x"})
    assert sent and "13800138000" not in repr(sent)


def test_sms_job_through_redis_to_a_real_worker(make_app, redis_url):
    if not redis_url:
        pytest.skip("needs the Redis backend (make test runs it when Redis answers)")
    from celery.contrib.testing.worker import start_worker

    app = make_app(JOBS_EAGER=False)
    celery = app.extensions["celery"]
    with start_worker(celery, pool="threads", concurrency=1, perform_ping_check=False, shutdown_timeout=10):
        with app.app_context():
            key = enqueue_sms("13900139000", "notice", {"text": "队列送达"})
        # The worker delivers asynchronously; wait for the message to appear.
        import time

        deadline = time.monotonic() + 15
        while time.monotonic() < deadline and not sandbox_messages(app, "13900139000"):
            time.sleep(0.1)
    messages = sandbox_messages(app, "13900139000")
    assert len(messages) == 1 and "队列送达" in messages[0]["text"] and key


def test_every_scheduled_task_exists(app):
    celery = app.extensions["celery"]
    celery.loader.import_default_modules()
    schedule = celery.conf.beat_schedule
    assert schedule
    for name, entry in schedule.items():
        assert entry["task"] in celery.tasks, f"beat entry {name} names no task: {entry['task']}"
