"""Nanhai-Tong (南海通) backend: one Flask API for citizens, enterprises and partner platforms.

Using the API
-------------
* Interactive documentation: ``/docs``; the machine-readable spec: ``/openapi.json``.
* Sign in: ``POST /api/v1/auth/sms-codes`` then ``POST /api/v1/auth/tokens``
  (``grant_type`` ``sms_code``, ``password`` or ``refresh_token``). Send the access token
  as ``Authorization: Bearer <token>``; it lives 15 minutes, the refresh token is single
  use. Access tokens are ES256 JWTs whose keys are at ``/.well-known/jwks.json``.
* Assurance levels: 1 phone verified, 2 real name verified, 3 face verified. An operation
  that needs more answers 403 ``assurance_level_required``.
* Acting for someone: ``POST /api/v1/auth/act-as`` with ``enterprise_id`` (a member) or
  ``authorization_id`` (a grant you received) returns tokens for that context.
* Every error is ``{"code", "message", "details", "request_id"}`` with a meaningful
  status: 400 malformed, 401 credentials, 403 not allowed, 404 not found (also for what
  you may not see), 409 conflict, 413 body too large, 415 not JSON, 422 invalid fields
  (``details.fields``), 429 slow down (``Retry-After``), 502/503/504 an upstream is in
  trouble. Branch on ``code``, show ``message``.
* Send ``X-Request-ID`` to correlate your logs with ours; it is echoed on every answer.
* Money is integer fen, times are UTC ISO 8601 with ``Z``, ids are opaque strings. Lists
  take ``limit`` and ``cursor`` and answer ``next_cursor`` (null on the last page).
* Personal data (phones, names, ID numbers) comes back masked.
"""

from __future__ import annotations

import os
import sys

from flask import Flask
from flask.sessions import SecureCookieSessionInterface
from werkzeug.middleware.dispatcher import DispatcherMiddleware
from werkzeug.middleware.proxy_fix import ProxyFix

from . import config as settings
from .docs_assets import SWAGGER_UI_CONFIG

API_TITLE = "Nanhai-Tong API"
API_VERSION = "1.0.0"


def create_app(config: dict | None = None) -> Flask:
    """Build the application; ``config`` overrides NHT_* variables (tests, scripts)."""
    app = Flask(__name__)
    app.config.update(settings.load(config))
    app.config.update(
        API_TITLE=API_TITLE,
        API_VERSION=API_VERSION,
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL="/docs/assets/",
        OPENAPI_SWAGGER_UI_CONFIG=SWAGGER_UI_CONFIG,
        SECRET_KEY=app.config["SECRET_KEY"],
    )
    app.json.ensure_ascii = False  # Chinese text as UTF-8, not \u escapes
    app.session_interface = _CookieSessions()
    if _only_listing_commands():
        _register_cli(app)
        return app

    from . import db, i18n, jobs, observability, ratelimit, redis_client
    from .clients import init_app as init_clients
    from .security import setup as security_setup

    observability.init_app(app)
    i18n.init_app(app)
    security_setup.init_app(app)
    db.init_app(app)
    redis_client.init_app(app)
    ratelimit.init_app(app)
    init_clients(app)
    jobs.init_app(app)
    _register_api(app)
    _register_cli(app)  # after the API: flask-smorest adds an `openapi` group of its own
    if app.config["SANDBOX"] and app.config["SANDBOX_MOUNT"]:
        _mount_sandbox(app)
    if app.config["PROXY_COUNT"]:
        # Behind N trusted proxies the client address is the Nth from the right.
        hops = app.config["PROXY_COUNT"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)
    return app


class _CookieSessions(SecureCookieSessionInterface):
    """Flask's signed-cookie sessions (the consent page's sign-in), minus their cost on the
    API's requests, which carry no such cookie: Flask built the signing serializer (key
    derivation included) to open every request's session and read six cookie settings to
    save an empty one, 3 % of an authenticated read's CPU."""

    def open_session(self, app, request):
        if app.secret_key and not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app, session, response):
        if session or session.modified or session.accessed:
            super().save_session(app, session, response)


def _register_api(app: Flask) -> None:
    from . import (
        audit,
        authorizations,
        esign,
        gov_services,
        identity,
        licences,
        messages,
        one_stop,
        partners,
        payments,
        policy_push,
        privacy,
    )
    from .api import Api
    from .docs_assets import blp as docs_assets_blp
    from .health.routes import blp as health_blp
    from .ids import UlidConverter, ulid_parameter_schema
    from .request_guards import refuse_nul_bytes
    from .response_headers import init_app as security_headers

    app.url_map.converters["ulid"] = UlidConverter
    api = Api(app, spec_kwargs={"info": {"description": __doc__}})
    api.register_converter(UlidConverter, ulid_parameter_schema)
    refuse_nul_bytes(app)
    security_headers(app)

    api.register_blueprint(health_blp)
    identity.init_app(app, api)
    authorizations.init_app(app, api)
    audit.init_app(app, api)
    licences.init_app(app, api)
    messages.init_app(app, api)
    esign.init_app(app, api)
    gov_services.init_app(app, api)
    payments.init_app(app, api)
    partners.init_app(app, api)
    policy_push.init_app(app, api)
    one_stop.init_app(app, api)
    privacy.init_app(app, api)
    app.register_blueprint(docs_assets_blp)
    from . import console

    console.init_app(app)
    app.extensions["nht.api"] = api


def _register_cli(app: Flask) -> None:
    from .cli_lazy import register

    register(app)


def _only_listing_commands() -> bool:
    """`flask --help` (or bare `flask`, or any `--help`): help needs no more than the commands' names and texts.

    The Flask CLI says it is running (FLASK_RUN_FROM_CLI) and the command line names no
    command, only the CLI's own options. Building the whole app (every domain, its
    libraries) took several seconds for a help text."""
    if os.environ.get("FLASK_RUN_FROM_CLI") != "true":
        return False
    rest, skip = [], False
    for arg in sys.argv[1:]:
        if skip:
            skip = False
        elif arg in ("--app", "-A", "--env-file", "-e"):
            skip = True
        elif not arg.startswith(("--app=", "--env-file=")) and arg not in ("--debug", "--no-debug"):
            rest.append(arg)
    # A help text anywhere down the line (`flask staff --help`, `flask staff create --help`):
    # the group's module alone says it; click answers --help before running anything.
    return not rest or rest[0] in ("--help", "-h", "--version") or "--help" in rest


def _mount_sandbox(app: Flask) -> None:
    # Integrations reach the sandbox over real HTTP at NHT_SANDBOX_URL, as they would
    # reach the real upstreams; mounting it here just spares a second process.
    from integrations.sandbox import create_sandbox_app

    sandbox = create_sandbox_app(api_keys={
        "sms": app.config["SMS_API_KEY"],
        "idv": app.config["IDV_API_KEY"],
        "face": app.config["FACE_API_KEY"],
        "yueshangtong": app.config["YUESHANGTONG_API_KEY"],
        "licence_library": app.config["LICENCE_LIBRARY_API_KEY"],
        "push": app.config["PUSH_API_KEY"],
        "yueshengshi": app.config["YUESHENGSHI_APP_SECRET"],
        "yueshangtong_gateway": app.config["YUESHANGTONG_GATEWAY_APP_SECRET"],
        "lingnan_pass": app.config["LINGNAN_API_KEY"],
        "gas_utility": app.config["GAS_API_KEY"],
    })
    from .gov_services import configure_sandbox

    configure_sandbox(app, sandbox)
    app.wsgi_app = DispatcherMiddleware(app.wsgi_app, {"/sandbox": sandbox})
    from .payments.sandbox_setup import register_merchant
    from .sms_templates import register_sandbox

    register_merchant(sandbox, app.config)
    register_sandbox(sandbox)
    from . import docs_sandbox

    app.extensions["nht.api"].document(docs_sandbox.document)  # the 沙箱 Sandbox group of /docs
