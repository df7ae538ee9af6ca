"""One error tree, one handler, one JSON shape.

Every failure leaves the API as::

    {"code": "<snake_case>", "message": "<human>", "details": {...}, "request_id": "..."}

Domain code raises an ``AppError`` subclass; werkzeug HTTP errors, flask-smorest/webargs
validation errors, rate-limit refusals and anything unexpected are turned into the same
shape here, so no other module formats an error response.

Language: the English message written at the raise site is the message id. The handler
answers it in the request's language (``nanhaitong.i18n``, Chinese by default), the
messages under ``details.fields`` too; ``code`` never changes. Write messages as string
literals; a variable part goes in ``details`` and is named ``%(name)s`` in the message
(``raise Conflict("At most %(max)s accounts.", details={"max": 5})``), or in a field message
``"...{name}...".format(name=...)``. ``pybabel extract`` (nanhaitong/translations/babel.cfg)
finds them, and a test fails when one has no Chinese translation.
"""

from __future__ import annotations

import logging

import redis
from flask import Flask, g, jsonify
from sqlalchemy.exc import DataError, DBAPIError
from werkzeug.exceptions import HTTPException, SecurityError

log = logging.getLogger("nanhaitong.errors")


def N_(text: str) -> str:
    """Mark a message for extraction where it is not the argument of an error class."""
    return text


def _filled(template: str, details: dict) -> str:
    if "%(" not in template:
        return template
    try:
        return template % details
    except (KeyError, TypeError, ValueError):
        return template


class AppError(Exception):
    status = 400
    code = "bad_request"
    message = "The request is not valid."

    def __init__(self, message: str | None = None, *, code: str | None = None,
                 details: dict | None = None, headers: dict | None = None):
        self.msgid = message or self.message  # the English text as written, placeholders and all
        self.code = code or self.code
        self.details = details or {}
        self.headers = headers or {}
        self.message = _filled(self.msgid, self.details)  # English, for logs and tests
        super().__init__(self.message)


class BadRequest(AppError):
    status, code, message = 400, "bad_request", "The request is malformed."


class Unauthorized(AppError):
    status, code, message = 401, "unauthorized", "Valid credentials are required."

    def __init__(self, message=None, **kw):
        kw.setdefault("headers", {"WWW-Authenticate": 'Bearer realm="nanhaitong"'})
        super().__init__(message, **kw)


class Forbidden(AppError):
    status, code, message = 403, "forbidden", "You may not do this."


class NotFound(AppError):
    status, code, message = 404, "not_found", "No such resource."


class Conflict(AppError):
    status, code, message = 409, "conflict", "The request conflicts with the current state."


class ValidationFailed(AppError):
    """422 with ``details.fields`` mapping field names to messages."""

    status, code, message = 422, "validation_failed", "Some fields are not valid."

    def __init__(self, fields: dict, message=None, **kw):
        super().__init__(message, details={"fields": fields}, **kw)


class RateLimited(AppError):
    status, code, message = 429, "rate_limited", "Too many requests; try again later."

    def __init__(self, retry_after: int, message=None, **kw):
        retry_after = max(1, int(retry_after))
        super().__init__(message, details={"retry_after": retry_after},
                         headers={"Retry-After": str(retry_after)}, **kw)


class UpstreamUnavailable(AppError):
    status, code, message = 503, "upstream_unavailable", "A service we depend on is unavailable; try again later."


class DatabaseUnavailable(AppError):
    status, code, message = 503, "database_unavailable", "Our database connection was interrupted; try again."

    def __init__(self):
        super().__init__(headers={"Retry-After": "1"})


class StoreUnavailable(AppError):
    status, code, message = 503, "store_unavailable", "Our shared store is unavailable; try again shortly."

    def __init__(self):
        super().__init__(headers={"Retry-After": "5"})


class UpstreamFailed(AppError):
    status, code, message = 502, "upstream_failed", "A service we depend on failed."


class UpstreamTimeout(AppError):
    status, code, message = 504, "upstream_timeout", "A service we depend on did not answer in time."


# Codes for werkzeug's HTTP errors, by status.
_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    406: "not_acceptable",
    409: "conflict",
    412: "precondition_failed",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    428: "precondition_required",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}

_HTTP_MESSAGES = {
    400: N_("The request is malformed."),
    401: N_("Valid credentials are required."),
    403: N_("You may not do this."),
    404: N_("No such resource."),
    405: N_("This method is not allowed here; see the Allow header."),
    406: N_("We cannot answer in a format you accept."),
    409: N_("The request conflicts with the current state."),
    412: N_("A precondition of the request failed."),
    413: N_("The request body is larger than this endpoint accepts."),
    415: N_("Send the request body as application/json."),
    422: N_("Some fields are not valid."),
    428: N_("This request needs a precondition header."),
    429: N_("Too many requests; try again later."),
    500: N_("Something went wrong on our side. Quote the request id when you report it."),
}
_FALLBACK_MESSAGE = N_("The request could not be processed.")


def error_body(status: int, code: str, message: str, details: dict | None = None) -> dict:
    return {
        "code": code,
        "message": message,
        "details": details or {},
        "request_id": getattr(g, "request_id", None) or "-",
    }


def _localised(message: str, details: dict | None) -> tuple[str, dict | None]:
    """The message and ``details.fields`` in the request's language (nanhaitong.i18n)."""
    from . import i18n

    try:
        message = i18n.translate(message, details)
        if details and "fields" in details:
            details = {**details, "fields": i18n.translate_fields(details["fields"])}
    except Exception:  # a broken catalogue must not turn an error answer into a 500
        log.exception("could not translate an error message")
    return message, details


def _respond(status: int, code: str, message: str, details=None, headers=None):
    message, details = _localised(message, details)
    response = jsonify(error_body(status, code, message, details))
    response.status_code = status
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def handle_app_error(error: AppError):
    return _respond(error.status, error.code, getattr(error, "msgid", error.message), error.details, error.headers)


def _webargs_fields(messages: dict) -> dict:
    """Flatten webargs' {location: {field: [msg]}} into {field: [msg]}."""
    fields: dict = {}
    for location, errors in messages.items():
        if isinstance(errors, dict):
            fields.update(errors)
        else:
            fields[location] = errors
    return fields


def handle_http_exception(error: HTTPException):
    status = error.code or 500
    if status >= 500:
        return handle_unexpected(error)
    data = getattr(error, "data", None) or {}
    headers = dict(data.get("headers") or {})
    if error.response is not None:  # e.g. an abort() carrying a 405 response with its Allow header
        headers.update({k: v for k, v in error.response.headers.items()
                        if k.lower() in ("retry-after", "allow")})
    elif status == 405 and hasattr(error, "valid_methods") and error.valid_methods:
        headers["Allow"] = ", ".join(error.valid_methods)
    code = _HTTP_CODES.get(status, "http_error")
    # werkzeug's own descriptions are English prose we cannot translate: our text instead.
    message = _HTTP_MESSAGES.get(status) or _FALLBACK_MESSAGE
    details: dict = {}
    if "messages" in data:
        fields = _webargs_fields(data["messages"])
        if status == 400:
            # webargs answers 400 for a body that is not JSON at all
            code, message, details = "malformed_json", N_("The request body is not valid JSON."), {}
        else:
            details = {"fields": fields}
    elif isinstance(data.get("message"), str):
        message = data["message"]
    elif isinstance(error, SecurityError):  # a Host outside the trusted hosts (production)
        message = N_("This host is not trusted.")
    if status == 429:
        retry_after = headers.get("Retry-After") or "60"
        headers["Retry-After"] = retry_after
        details = {"retry_after": int(retry_after)}
    return _respond(status, code, message, details, headers)


def handle_unexpected(error: Exception):
    # The traceback goes to the log with the request id; the client gets only the id.
    original = getattr(error, "original_exception", None) or error
    log.error("unhandled error", exc_info=original)
    return _respond(500, "internal_error", _HTTP_MESSAGES[500])


def handle_database_error(error: DBAPIError):
    # Pooled connections are not pinged before use (a round trip on every request); when
    # the database restarted or failed over, the first use of each stale connection fails
    # here, SQLAlchemy discards the pool, and the client's retry gets a fresh connection.
    if error.connection_invalidated:
        log.warning("database connection lost; the pool reconnects")
        return handle_app_error(DatabaseUnavailable())
    if isinstance(error, DataError):
        # A value the database cannot hold (an integer past its column's range) that a schema
        # let through: the caller's mistake, answered as one; the log names the gap to close.
        log.warning("database refused a value: %s", type(error.orig).__name__)
        return handle_app_error(BadRequest("A value in the request is out of range.", code="value_out_of_range"))
    return handle_unexpected(error)


def handle_store_error(error: redis.ConnectionError | redis.TimeoutError):
    # Redis holds the limits, nonces and replay guards every instance shares: without it no
    # request can be checked. One line per request, not a traceback; /health/ready says it too.
    log.warning("redis unavailable: %s", type(error).__name__)
    return handle_app_error(StoreUnavailable())


def init_app(app: Flask) -> None:
    app.register_error_handler(AppError, handle_app_error)
    app.register_error_handler(DBAPIError, handle_database_error)
    app.register_error_handler(redis.ConnectionError, handle_store_error)
    app.register_error_handler(redis.TimeoutError, handle_store_error)
    app.register_error_handler(HTTPException, handle_http_exception)
    app.register_error_handler(Exception, handle_unexpected)
