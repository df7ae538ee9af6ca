"""Request ids and structured JSON logs.

A request log line carries method, path (never the query string, which may hold a phone
number), status, latency and the request id. Personal data is kept out of logs by the
code that logs; the formatter redacts phone and ID numbers that slip through anyway,
in the message, the structured fields and tracebacks alike.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from datetime import datetime, timezone

from flask import Flask, g, has_request_context, request

from .security.masking import redact_text

REQUEST_ID_HEADER = "X-Request-ID"
# Accept a caller's id only if it is short and plain, so it cannot forge log lines.
_CLIENT_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")

access_log = logging.getLogger("nanhaitong.access")


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, timezone.utc)
            .isoformat(timespec="milliseconds").replace("+00:00", "Z"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "message": record.getMessage(),
        }
        if has_request_context() and getattr(g, "request_id", None):
            entry["request_id"] = g.request_id
        entry.update(getattr(record, "fields", {}))
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        return redact_text(json.dumps(entry, ensure_ascii=False))


def configure_logging(level: str) -> None:
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonFormatter())
    root = logging.getLogger("nanhaitong")
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    root.propagate = False


def init_app(app: Flask) -> None:
    configure_logging(app.config["LOG_LEVEL"])

    @app.before_request
    def _start():
        g.started = time.perf_counter()
        given = request.headers.get(REQUEST_ID_HEADER, "")
        g.request_id = given if _CLIENT_REQUEST_ID.match(given) else uuid.uuid4().hex

    @app.after_request
    def _finish(response):
        response.headers[REQUEST_ID_HEADER] = g.get("request_id", "-")
        # Answers carry tokens and personal data: no shared or browser cache keeps them
        # unless a view says otherwise (RFC 6749 5.1 requires it for token responses).
        response.headers.setdefault("Cache-Control", "no-store")
        if not access_log.isEnabledFor(logging.INFO):
            return response  # at WARNING the line would be dropped: do not build it
        latency_ms = round((time.perf_counter() - g.get("started", time.perf_counter())) * 1000, 2)
        access_log.info("request", extra={"fields": {
            "method": request.method,
            "path": request.path,
            "status": response.status_code,
            "latency_ms": latency_ms,
        }})
        return response
