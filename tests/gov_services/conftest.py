"""Fixtures and plain helpers for the provincial services tests (issue 7).

Everything goes through the API and the sandbox gateways over real HTTP: citizens sign
in and verify their real name against the sandbox, the catalogue is loaded with the CLI
as an operator would, upstream faults are injected through the sandbox's control
endpoint, and status callbacks come from the simulators, signed, over HTTP.
"""

from __future__ import annotations

import json

import pytest
import requests

from tests.support.gov_services import CATALOGUE, CONTROL_TIMEOUT, GOV_SETTINGS, load_catalogue, sandbox

APPLICATIONS = "/api/v1/applications"


@pytest.fixture
def app(make_app):
    app = make_app(**GOV_SETTINGS)
    load_catalogue(app)
    return app


# -- the sandbox --------------------------------------------------------------------------


def fault(app, path_prefix: str, *, status: int | None = None, latency_ms: int = 0, times: int = 1) -> None:
    spec = {"path_prefix": path_prefix, "times": times, "latency_ms": latency_ms}
    if status is not None:
        spec["status"] = status
    answer = requests.post(f"{sandbox(app)}/_control/faults", timeout=CONTROL_TIMEOUT, json=spec)
    assert answer.status_code == 201, answer.text


def clear_faults(app) -> None:
    assert requests.delete(f"{sandbox(app)}/_control/faults", timeout=CONTROL_TIMEOUT).status_code == 204


def upstream_applications(app, short: str = "yss") -> list[dict]:
    answer = requests.get(f"{sandbox(app)}/_control/{short}/applications", timeout=CONTROL_TIMEOUT)
    assert answer.status_code == 200, answer.text
    return answer.json()["applications"]


# -- the API ---------------------------------------------------------------------------------

def query(citizen, code: str, params: dict | None = None, expect: int = 200) -> dict:
    answer = citizen.post(f"{CATALOGUE}/{code}/queries", json={"params": params or {}})
    assert answer.status_code == expect, (answer.status_code, answer.get_json())
    return answer.get_json()


def application(citizen, application_id: str) -> dict:
    answer = citizen.get(f"{APPLICATIONS}/{application_id}")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def poll(app) -> dict:
    result = app.test_cli_runner().invoke(args=["gov-services", "poll"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


