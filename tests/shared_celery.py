"""One Celery app per test process for the apps that run their jobs eagerly, instead of
one per app.

The suite builds an app per test, and each made its Celery app anew; its first job then
bound every task to it (``Celery.finalize``: a class per task, a signature function
compiled for each), a quarter of building an app. Here an app whose jobs run eagerly
(every test app but a queue worker's) is served by the Celery app made before for the
same settings (``nanhaitong.jobs.settings``), now running its jobs in the new app, and
the default for shared tasks, as a new one would be (``nanhaitong.jobs.serve``).

An app that queues its jobs for a worker gets its own, as the application makes it: a
worker changes the Celery app it runs.

Tests only: the application builds one app, so one Celery app, per process.
"""

from __future__ import annotations

import json

from celery import Celery

import nanhaitong.jobs

_celeries: dict[str, Celery] = {}


def install() -> None:
    if getattr(nanhaitong.jobs.init_app, "memoized", False):
        return
    init_app = nanhaitong.jobs.init_app

    def memoized(app) -> Celery:
        settings = nanhaitong.jobs.settings(app)
        if not settings["task_always_eager"]:
            return init_app(app)
        key = json.dumps([app.import_name, settings], sort_keys=True, default=repr)
        celery = _celeries.get(key)
        if celery is None:
            celery = _celeries[key] = init_app(app)
            return celery
        celery.set_current()  # as a new Celery app is, in the thread that makes it
        nanhaitong.jobs.serve(celery, app)
        return celery

    memoized.memoized = True
    memoized.__wrapped__ = init_app
    nanhaitong.jobs.init_app = memoized
