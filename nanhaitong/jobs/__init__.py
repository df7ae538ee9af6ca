"""Background work on Celery.

With NHT_REDIS_URL set, jobs go through Redis to `celery -A nanhaitong.jobs.worker:celery worker`
processes; in the embedded default (or with NHT_JOBS_EAGER=1) they run eagerly in the
calling process, so `make run` needs nothing else. Tasks run inside the Flask app context.
"""

from __future__ import annotations

from celery import Celery, Task
from flask import Flask, current_app, has_app_context

from .schedule import BEAT_SCHEDULE


class AppContextTask(Task):
    """A job runs inside the app context of the Flask app its Celery app serves."""

    def __call__(self, *args, **kwargs):
        app = self.app.flask_app
        # Run eagerly inside a request, a job joins that app context: pushing a new one
        # would, on its teardown, remove the request's database session mid-request.
        if has_app_context() and current_app._get_current_object() is app:
            return self.run(*args, **kwargs)
        with app.app_context():
            return self.run(*args, **kwargs)


def settings(app: Flask) -> dict:
    """The Celery settings for ``app``: all that its Celery app depends on."""
    redis_url = app.config["REDIS_URL"]
    return {
        "broker_url": redis_url or "memory://",
        "result_backend": redis_url or None,
        "task_always_eager": app.config["JOBS_EAGER"],
        "task_eager_propagates": True,
        "task_ignore_result": True,
        # A job is acknowledged after it ran, so a worker that dies mid-job does not lose it;
        # jobs are therefore written to be safe to run twice.
        "task_acks_late": True,
        "task_reject_on_worker_lost": True,
        "worker_prefetch_multiplier": 1,
        "task_serializer": "json",
        "accept_content": ["json"],
        "broker_connection_retry_on_startup": True,
        "imports": [
            "nanhaitong.jobs.tasks",
            "nanhaitong.messages.push",
            "nanhaitong.licences.tasks",
            "nanhaitong.gov_services.jobs",
            "nanhaitong.policy_push.fanout",
            "nanhaitong.payments.fulfilment",
            "nanhaitong.partners.webhooks",
            "nanhaitong.esign.tasks",
            "nanhaitong.privacy.jobs",
        ],
        "beat_schedule": BEAT_SCHEDULE,
        "timezone": "UTC",
    }


def init_app(app: Flask) -> Celery:
    celery = Celery(app.import_name, task_cls=AppContextTask)
    celery.conf.update(settings(app))
    serve(celery, app)
    return celery


def serve(celery: Celery, app: Flask) -> None:
    """Make ``celery`` run its jobs in ``app``, and the default for shared tasks."""
    celery.flask_app = app
    celery.set_default()
    app.extensions["celery"] = celery
