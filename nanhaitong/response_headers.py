"""Security headers on every answer (issue 21, finding 10).

* ``X-Content-Type-Options: nosniff`` everywhere: a browser never guesses a type.
* ``Referrer-Policy: no-referrer``: our URLs (OAuth codes, ids) never leak to a third site.
* ``Strict-Transport-Security`` in production (NHT_ENV=production): browsers keep to https.
* A Content-Security-Policy on every HTML page that does not set its own: the consent pages
  set a nonce-based one; the API docs page gets one allowing only its own assets.
"""

from __future__ import annotations

from flask import Flask, current_app, request

HSTS = "max-age=31536000; includeSubDomains"
DEFAULT_CSP = "default-src 'none'; frame-ancestors 'none'; base-uri 'none'; form-action 'none'"
# Swagger UI (served from /docs/assets) starts itself with an inline script.
DOCS_CSP = ("default-src 'self'; script-src 'self' 'unsafe-inline'; style-src 'self' 'unsafe-inline'; "
            "img-src 'self' data:; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'")


def _add_headers(response):
    headers = response.headers
    headers["X-Content-Type-Options"] = "nosniff"
    headers.setdefault("Referrer-Policy", "no-referrer")
    if current_app.config.get("ENV") == "production":
        headers.setdefault("Strict-Transport-Security", HSTS)
    if response.mimetype == "text/html" and "Content-Security-Policy" not in headers:
        docs = request.path.rstrip("/") == "/docs"
        headers["Content-Security-Policy"] = DOCS_CSP if docs else DEFAULT_CSP
        headers.setdefault("X-Frame-Options", "DENY")
    return response


def init_app(app: Flask) -> None:
    app.after_request(_add_headers)
