"""Project Api and Blueprint: errors, authentication and content rules that document themselves.

Every view declares how it is reached: ``@blp.public`` or ``@blp.login_required(...)``.
A test walks the URL map and fails for a view that declares neither, so no route is left
open by accident. The authenticators behind ``login_required`` are registered by the
identity domain in ``app.extensions["nht.authenticators"]``; a scheme nobody registered
refuses every request.
"""

from __future__ import annotations

import http
import json
import threading
from functools import partial, wraps
from pathlib import Path
from typing import Callable

import flask
import flask_smorest
import marshmallow as ma
from flask import current_app, g, request
from werkzeug.exceptions import UnsupportedMediaType

from schemas.common import ErrorSchema

from . import docs_assets, errors, i18n

# Security schemes documented in OpenAPI; the names are what views declare.
SECURITY_SCHEMES = {
    "citizen": {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "Access token from POST /api/v1/auth/tokens (audience app or miniprogram).",
    },
    "staff": {
        "type": "http", "scheme": "bearer", "bearerFormat": "JWT",
        "description": "Staff access token from POST /api/v1/admin/auth/tokens.",
    },
    "partner": {
        "type": "oauth2",
        "description": "OAuth 2 access token issued to a partner platform at /oauth/token (send it as "
                       "'Authorization: Bearer <token>'). Clients authenticate with client_secret_basic or "
                       "private_key_jwt (ES256). See /.well-known/openid-configuration.",
        "flows": {
            "authorizationCode": {
                "authorizationUrl": "/oauth/authorize", "tokenUrl": "/oauth/token",
                "scopes": {"openid": "Sign the user in (ID token with a pairwise sub)",
                           "profile:read": "Read the user's verified identity",
                           "licences:read": "Read the user's e-licences",
                           "gov_services:query": "Learn of the user's application status changes"},
            },
            "clientCredentials": {
                "tokenUrl": "/oauth/token",
                "scopes": {"licences:verify": "Verify licence presentations",
                           "esign:envelopes": "Ask citizens and enterprises to sign a document (envelopes)"},
            },
        },
    },
    "partner_signature": {
        "type": "apiKey", "in": "header", "name": "X-NHT-Signature",
        "description": "Signed request: X-NHT-AppId, X-NHT-Timestamp (Unix seconds, within 300 s), "
                       "X-NHT-Nonce (8-64 of [A-Za-z0-9_-], once) and X-NHT-Signature = hex HMAC-SHA256(hmac_secret, "
                       "METHOD\\nPATH\\nSORTED_QUERY\\nTIMESTAMP\\nNONCE\\nhex(SHA-256(body))). Refusals: "
                       "signature_invalid, timestamp_out_of_window, nonce_replayed, unknown_app. Worked example: "
                       "docs/partners.md.",
    },
}

# The API guide (the package docstring) in Chinese, served in the spec to Chinese readers.
API_GUIDE_ZH = Path(__file__).resolve().parent / "translations" / "api_guide.zh_CN.md"
AUTH_ATTR = "_nht_auth"
PUBLIC = "public"


class Api(flask_smorest.Api):
    """flask-smorest's Api, writing the OpenAPI document when the spec is first used.

    Documenting (apispec resolving every schema of every operation, and the error
    response of every HTTP status) was over a third of building an app, and most apps
    (each test's, each worker's) never serve the spec. The steps are queued instead and
    the first use of ``spec`` replays them in their order, so the document is the same
    as when written at once.
    """

    ERROR_SCHEMA = ErrorSchema

    def __init__(self, app=None, **kwargs):
        self._undocumented: list[Callable[[], None]] = []
        self._documenting = threading.Lock()
        self._documenter: int | None = None  # the thread replaying the queue, which reads spec as it goes
        self._spec = None
        super().__init__(app, **kwargs)

    @property
    def spec(self):
        # A step leaves the queue once done, so another thread waits for the whole
        # document rather than serving part of it.
        if self._undocumented and self._documenter != threading.get_ident():
            with self._documenting:
                self._documenter = threading.get_ident()
                try:
                    while self._undocumented:
                        self._undocumented[0]()
                        del self._undocumented[0]
                finally:
                    self._documenter = None
        return self._spec

    @spec.setter
    def spec(self, value):
        self._spec = value

    def _document_later(self, step: Callable[[], None]) -> None:
        with self._documenting:
            self._undocumented.append(step)

    def document(self, step: Callable) -> None:
        """Write more into the document (``step(spec)``), in its turn: paths not served by a
        blueprint, such as the mounted sandbox's."""
        self._document_later(lambda: step(self._spec))

    def _register_responses(self):
        self._document_later(super()._register_responses)

    def _register_etag_headers(self):
        self._document_later(super()._register_etag_headers)

    def _register_pagination_header(self):
        self._document_later(super()._register_pagination_header)

    def register_blueprint(self, blp, *, parameters=None, **options):
        # flask_smorest.Api.register_blueprint, with the documentation queued.
        name = options.get("name", blp.name)
        self._app.extensions["flask-smorest"]["blp_name_to_api"][name] = self
        self._app.register_blueprint(blp, **options)
        self._document_later(partial(self._document_blueprint, blp, name, parameters))

    def _document_blueprint(self, blp, name: str, parameters) -> None:
        blp.register_views_in_doc(self, self._app, self._spec, name=name, parameters=parameters)
        # Tagged by caller (市民 Citizens, 合作方 Partners...), not by blueprint: docs_assets.
        docs_assets.regroup(self._spec, name, blp.description)

    def _openapi_json(self):
        """The spec in the reader's language (summaries and guide in Chinese by default)."""
        spec = self.spec.to_dict()
        if i18n.current_locale() != "en":
            spec = docs_assets.localised(spec, i18n.translate, API_GUIDE_ZH.read_text(encoding="utf-8"))
        return flask.current_app.response_class(json.dumps(spec, indent=2, ensure_ascii=False),
                                                mimetype="application/json")

    # flask-smorest's two, testing _spec: testing spec would write the whole document.
    def register_converter(self, converter, func):
        self._converters.append((converter, func))
        if self._spec is not None:
            self._register_converter(converter, func)

    def register_field(self, field, *args):
        self._fields.append((field, *args))
        if self._spec is not None:
            self._register_field(field, *args)

    def _register_error_handlers(self):
        errors.init_app(self._app)

    def init_app(self, app, *, spec_kwargs=None):
        super().init_app(app, spec_kwargs=spec_kwargs)
        docs_assets.register_groups(self._spec)
        for name, scheme in SECURITY_SCHEMES.items():
            # Security schemes have their own section of the document: the queue's order
            # does not concern them.
            self._spec.components.security_scheme(name, scheme)


def document_responses(func, *statuses: int):
    func._apidoc = dict(getattr(func, "_apidoc", {}))
    manual = dict(func._apidoc.get("manual_doc", {}))
    responses = dict(manual.get("responses", {}))
    for status in statuses:
        # A component name (not a $ref) so apispec registers the lazy response.
        responses.setdefault(status, http.HTTPStatus(status).name)
    manual["responses"] = responses
    func._apidoc["manual_doc"] = manual


class Blueprint(flask_smorest.Blueprint):
    def public(self, func):
        """Declare a view reachable without credentials."""
        setattr(func, AUTH_ATTR, PUBLIC)
        func._apidoc = dict(getattr(func, "_apidoc", {}))
        func._apidoc["manual_doc"] = {**func._apidoc.get("manual_doc", {}), "security": []}
        return func

    def login_required(self, scheme: str = "citizen", **requirement):
        """Declare a view that needs credentials of ``scheme``.

        ``requirement`` is handed to the scheme's authenticator (for example an
        assurance level); the principal it returns is ``g.principal``.
        """
        if scheme not in SECURITY_SCHEMES:
            raise ValueError(f"unknown security scheme {scheme!r}")

        def decorator(func):
            @wraps(func)
            def wrapper(*args, **kwargs):
                authenticator = current_app.extensions.get("nht.authenticators", {}).get(scheme)
                if authenticator is None:
                    raise errors.Unauthorized()
                g.principal = authenticator(**requirement)
                return func(*args, **kwargs)

            setattr(wrapper, AUTH_ATTR, (scheme, requirement))
            wrapper._apidoc = dict(getattr(func, "_apidoc", {}))
            wrapper._apidoc["manual_doc"] = {
                **wrapper._apidoc.get("manual_doc", {}), "security": [{scheme: []}]
            }
            document_responses(wrapper, 401, 403)
            return wrapper

        return decorator

    def partner_required(self, *scopes: str, user: bool = False, signed_ok: bool = False):
        """Declare (and document) a /open/v1 operation: the scopes it needs, whether it reads a
        user's data (a user token), whether a signed request may stand in for a token. The
        partners domain registers the authenticator (``nht.partner_authenticator``)."""

        def decorator(func):
            @wraps(func)
            def wrapper(*args, **kwargs):
                authenticate = current_app.extensions.get("nht.partner_authenticator")
                if authenticate is None:
                    raise errors.Unauthorized()
                call = authenticate(scopes, user=user, signed_ok=signed_ok)
                g.principal, g.partner_call = call.principal, call
                return func(*args, **kwargs)

            setattr(wrapper, AUTH_ATTR, ("partner", {"scopes": scopes, "user": user, "signed_ok": signed_ok}))
            wrapper._apidoc = dict(getattr(func, "_apidoc", {}))
            security = [{"partner": list(scopes)}]
            if signed_ok:
                security.append({"partner_signature": []})
            wrapper._apidoc["manual_doc"] = {**wrapper._apidoc.get("manual_doc", {}), "security": security}
            document_responses(wrapper, 401, 403, 429)
            return wrapper

        return decorator

    @staticmethod
    def idempotent(view):
        """Accept an Idempotency-Key (see nanhaitong.idempotency); put it below the auth decorator."""
        from .idempotency import idempotent

        return idempotent(view)

    @staticmethod
    def idempotent_required(view):
        """Like ``idempotent``, but a request without an Idempotency-Key is refused (400)."""
        from .idempotency import idempotent_required

        return idempotent_required(view)

    def arguments(self, schema, *, location="json", **kwargs):
        """Parse arguments; a JSON body must also be sent as JSON (else 415).

        Unknown query parameters are refused (422 naming them), as unknown body fields are:
        a misspelt filter (``?stauts=paid``) silently ignored returns the wrong list."""
        if location == "query":
            kwargs.setdefault("unknown", ma.RAISE)
        if isinstance(schema, type):
            # Given a class, webargs builds a schema on every request (about 40 µs, 2-3 % of a
            # catalogue read); one instance serves them all, as marshmallow 4 keeps no state per load.
            schema = schema()
        parse = super().arguments(schema, location=location, **kwargs)
        if location != "json":
            return parse

        def decorator(func):
            parsed = parse(func)

            @wraps(parsed)
            def wrapper(*args, **kw):
                if not request.is_json:
                    raise UnsupportedMediaType()
                return parsed(*args, **kw)

            document_responses(wrapper, 400, 413, 415)
            return wrapper

        return decorator
