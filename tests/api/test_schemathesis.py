"""Property-based tests of every operation in the app's own OpenAPI document (schemathesis 4.x).

The spec is the one the app serves at ``/openapi.json``, so each endpoint a later change
adds is fuzzed here without touching this file. Every response runs through
schemathesis' full default set of checks via ``case.call_and_validate()``:
not_a_server_error, status_code_conformance, content_type_conformance,
response_headers_conformance, response_schema_conformance, negative_data_rejection,
positive_data_acceptance, missing_required_header, unsupported_method, ignored_auth, ...
None is disabled.

How it is wired
---------------
* The schema is loaded at collection time from a throwaway app that is only asked for
  its ``/openapi.json`` (no database touched), with ``schemathesis.openapi.from_dict``.
  ``@schema.parametrize()`` then makes one pytest item per operation
  (``test_api[GET /health/live]``) that can be selected with ``-k``.
* Requests go to a *fresh* app per operation, built by the conftest ``make_app`` fixture
  (fresh migrated database holding the signed-in accounts below, sandbox mounted), over
  real HTTP to the live server that serves it:
  ``case.call_and_validate(base_url=live_server.url)``. The spec-only app is never called.
* Why not the lazy ``schemathesis.pytest.from_fixture("api_schema")`` pattern, which
  would load the spec from the fixture app directly: schemathesis 4.32.5 rewrites
  ``request.node._nodeid``, an attribute pytest 9.2 no longer has, so every lazy test
  fails with ``AttributeError: 'Function' object has no attribute '_nodeid'``.
  ``test_collected_spec_is_the_fixture_apps_spec`` guards that the two apps' specs agree.
* Generation is bounded and reproducible through a ``schemathesis.Config``: a fixed seed,
  ``deterministic`` (Hypothesis ``derandomize``), at most ``MAX_EXAMPLES`` fuzzed examples
  per operation, and no example database on disk. The examples and coverage phases run
  too (coverage enumerates schema-boundary cases; max-examples does not bound it).

To tune one operation (say, fewer examples for a slow endpoint) add an entry to
``CONFIG["operations"]`` (schemathesis.toml's ``[[operations]]`` syntax, as a dict).
Operations behind authentication get the bearer token of their security scheme (a
real-name verified citizen, an auditor), signed in through the API by ``signed_in``.
"""

from __future__ import annotations

import os
import tempfile
import time
from dataclasses import dataclass

import pytest
import schemathesis
from hypothesis import HealthCheck, settings
from schemathesis.core.result import Ok

from integrations.sandbox.demo_data import CITIZENS
from nanhaitong import create_app
from nanhaitong.identity import staff
from tests.database_snapshot import DatabaseSnapshot
from tests.support.citizens import read_code

STAFF_PHONE = "13900139001"
STAFF_PASSWORD = "fuzzing-Passw0rd"

# Fewer when asked: tests/run_backends.py asks it of SQLite while PostgreSQL runs the
# same deterministic cases in full beside it.
MAX_EXAMPLES = int(os.environ.get("NHT_TEST_FUZZ_EXAMPLES", "12"))
SEED = 20240611

CONFIG = {
    "seed": SEED,
    "generation": {
        "max-examples": MAX_EXAMPLES,
        "deterministic": True,  # Hypothesis derandomize: the same cases on every run and machine
        "database": "none",  # no .hypothesis/ directory; a failure replays from the seed
    },
    "checks": {
        # "Schema-valid" bodies that the API rightly refuses with 422: what JSON Schema as
        # generated here cannot say — GB 11643 / GB 32100 check digits, "exactly one of
        # phone or user_id", which fields a grant_type needs, a liveness token the face
        # upstream never issued. 422 still has to come in the error shape (schema
        # conformance), and every other status stays checked.
        "positive_data_acceptance": {
            "expected-statuses": ["2xx", "401", "403", "404", "409", "422", "429", "5xx"]},
    },
}

HTTP_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}

# esign's RFC 3161 timestamp authority takes a raw DER body (application/timestamp-query).
schemathesis.serializer.alias("application/timestamp-query", "application/octet-stream")
# ... and its OCSP responder a raw DER OCSPRequest (application/ocsp-request).
schemathesis.serializer.alias("application/ocsp-request", "application/octet-stream")


def _served_spec(app) -> dict:
    response = app.test_client().get("/openapi.json")
    assert response.status_code == 200, response.status_code
    return response.get_json()


def _load_spec_at_collection() -> dict:
    # Only routes and schemas matter for the spec: an in-memory database (never opened)
    # and a throwaway data dir for the generated secrets.
    with tempfile.TemporaryDirectory(prefix="nht-spec-") as data_dir:
        app = create_app({
            "ENV": "test", "TESTING": True, "LOG_LEVEL": "WARNING",
            "DATA_DIR": data_dir, "DATABASE_URL": "sqlite://", "REDIS_URL": None,
        })
        try:
            return _served_spec(app)
        finally:
            app.extensions["nht.engine"].dispose()


def _load_schema(spec: dict):
    return schemathesis.openapi.from_dict(spec, config=schemathesis.Config.from_dict(CONFIG))


# The mounted sandbox's tester operations (reading texted codes, paying in a simulated
# wallet) are documented for the app teams under 沙箱 Sandbox, but they stand in for the
# upstreams and answer in the upstreams' own shapes: the API's contract is fuzzed, not theirs.
SANDBOX_PATHS = "^/sandbox/"


def _documented_operations(spec: dict) -> set[str]:
    """The API's operations in a spec (the sandbox's left out), counted independently of schemathesis."""
    return {
        f"{method.upper()} {path}"
        for path, item in spec.get("paths", {}).items()
        for method in item
        if method in HTTP_METHODS and not path.startswith("/sandbox/")
    }


SPEC = _load_spec_at_collection()
schema = _load_schema(SPEC).exclude(path_regex=SANDBOX_PATHS)


# The default per-client limit (300/min) would answer 429 partway through the run: every
# generated request comes from one address within seconds. 429 is not what this test is
# about (rate-limit tests cover it), so the fuzzed app gets a limit the run cannot reach.
# Limits domains enforce on their own keys (ratelimit.enforce) still apply.
FUZZ_SETTINGS = {"RATELIMIT_DEFAULT": "1000000 per minute"}
# Signed-in databases are reused for this long; the access tokens in them live 15 minutes.
REUSE_SECONDS = 600


@dataclass
class SignedIn:
    snapshot: DatabaseSnapshot
    headers: dict[str, dict]
    made_at: float


@pytest.fixture(scope="module")
def signed_in_states():
    states: list[SignedIn] = []
    yield states
    for state in states:
        state.snapshot.drop()


@pytest.fixture
def signed_in(signed_in_states, database_url, make_app, tmp_path):
    """A fresh app whose database holds a real-name verified citizen and an auditor, signed
    in through the API, and their bearer headers (by security scheme), so operations behind
    authentication are fuzzed past the 401.

    The signing in is done for one operation and its database restored for the next ones:
    hashing and verifying the auditor's Argon2 password was most of each operation's
    setup. It is done again after REUSE_SECONDS, while the tokens are still valid.
    """
    state = signed_in_states[-1] if signed_in_states else None
    if state is not None and time.monotonic() - state.made_at < REUSE_SECONDS:
        state.snapshot.restore(database_url)
        return make_app(**FUZZ_SETTINGS), state.headers
    app = make_app(**FUZZ_SETTINGS)
    headers = _sign_in_both(app)
    signed_in_states.append(SignedIn(DatabaseSnapshot(database_url, tmp_path, "fuzzing"), headers, time.monotonic()))
    return app, headers


def _sign_in_both(app) -> dict[str, dict]:
    client = app.test_client()
    demo = CITIZENS[0]
    client.post("/api/v1/auth/sms-codes", json={"phone": demo.phone, "purpose": "login"})
    citizen = client.post("/api/v1/auth/tokens", json={
        "grant_type": "sms_code", "phone": demo.phone, "code": read_code(app, demo.phone), "client": "app",
    }).get_json()["access_token"]
    citizen_headers = {"Authorization": f"Bearer {citizen}"}
    verified = client.post("/api/v1/me/real-name-verification", headers=citizen_headers,
                           json={"name": demo.name, "id_number": demo.id_number})
    assert verified.status_code == 200, verified.get_json()

    with app.app_context():
        staff.create(STAFF_PHONE, "auditor", STAFF_PASSWORD)
    client.post("/api/v1/admin/auth/sms-codes", json={"phone": STAFF_PHONE}, buffered=True)
    auditor = client.post("/api/v1/admin/auth/tokens", json={
        "phone": STAFF_PHONE, "password": STAFF_PASSWORD, "code": read_code(app, STAFF_PHONE),
    }).get_json()["access_token"]
    return {"citizen": citizen_headers, "staff": {"Authorization": f"Bearer {auditor}"}}


@pytest.fixture
def fuzz_app(signed_in):
    return signed_in[0]


@pytest.fixture
def credentials(signed_in):
    return signed_in[1]


@pytest.fixture
def calls(request):
    """Requests sent for this item's operation; after the run, at least one must have been."""
    sent: list[str] = []
    yield sent
    assert sent, f"{request.node.name}: schemathesis generated no request at all"


def _scheme(case) -> str | None:
    security = case.operation.definition.raw.get("security") or [{}]
    return next(iter(security[0]), None)


@schema.parametrize()
# One fresh app per operation, shared by that operation's generated cases on purpose:
# a database per case would multiply the run time, and every case must be answered
# correctly whatever the earlier cases left behind anyway.
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_api(case, fuzz_app, live_server, credentials, calls):
    calls.append(f"{case.method} {case.path}")
    # Over real HTTP to the live server (which serves fuzz_app): the checks that replay a
    # request (ignored_auth drops the credentials) go the same way.
    case.call_and_validate(base_url=live_server.url, headers=credentials.get(_scheme(case), {}))


def test_every_documented_operation_is_generated():
    """Sanity: the spec has operations and schemathesis builds a test for each of them."""
    documented = _documented_operations(SPEC)
    assert len(documented) > 0, "the OpenAPI document has no operations: test_api would be vacuous"

    results = list(schema.get_all_operations())
    errors = [result.err() for result in results if not isinstance(result, Ok)]
    assert not errors, f"schemathesis could not load some operations: {errors}"
    generated = {f"{r.ok().method.upper()} {r.ok().path}" for r in results}
    assert generated == documented


def test_collected_spec_is_the_fixture_apps_spec(app):
    """The spec test_api was generated from is the one the test apps serve."""
    assert _served_spec(app) == SPEC
