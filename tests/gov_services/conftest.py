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

from tests.support.gov_services import load_catalogue
from tests.support.settings import APP_SETTINGS

CATALOGUE = "/api/v1/gov-services"
APPLICATIONS = "/api/v1/applications"
CONTROL_TIMEOUT = 10

# A quick breaker so fault tests run in seconds. The timeout leaves a loaded machine room
# (the suite runs six processes on two cores): at 1 s an ordinary call sometimes timed out.
UPSTREAM_TIMEOUT_SECONDS = 3
GOV_SETTINGS = {**APP_SETTINGS, "GOV_SERVICES_TIMEOUT_SECONDS": str(UPSTREAM_TIMEOUT_SECONDS),
                "GOV_SERVICES_BREAKER_FAIL_MAX": 3,
                "GOV_SERVICES_BREAKER_RESET_SECONDS": "1", "GOV_SERVICES_RETRIES": 1}


@pytest.fixture
def app(make_app):
    app = make_app(**GOV_SETTINGS)
    load_catalogue(app)
    return app


# -- the sandbox --------------------------------------------------------------------------

def sandbox(app) -> str:
    return app.config["SANDBOX_URL"]


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


def advance(app, reference: str, status: str, *, short: str = "yss", note: str | None = None,
            callback: bool = True) -> dict:
    url = f"{sandbox(app)}/_control/{short}/applications/{reference}/status"
    answer = requests.post(url, timeout=CONTROL_TIMEOUT, json={"status": status, "note": note, "callback": callback})
    assert answer.status_code == 200, answer.text
    return answer.json()


# -- the API ---------------------------------------------------------------------------------

def query(citizen, code: str, params: dict | None = None, expect: int = 200) -> dict:
    answer = citizen.post(f"{CATALOGUE}/{code}/queries", json={"params": params or {}})
    assert answer.status_code == expect, (answer.status_code, answer.get_json())
    return answer.get_json()


def apply(citizen, code: str, form: dict, licence_ids=(), *, key: str | None = None, expect: int = 201):
    headers = {**citizen.headers, **({"Idempotency-Key": key} if key else {})}
    answer = citizen.client.post(f"{CATALOGUE}/{code}/applications", headers=headers,
                                 json={"form": form, "licence_ids": list(licence_ids)})
    assert answer.status_code == expect, (answer.status_code, answer.get_json())
    return answer


def application(citizen, application_id: str) -> dict:
    answer = citizen.get(f"{APPLICATIONS}/{application_id}")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def poll(app) -> dict:
    result = app.test_cli_runner().invoke(args=["gov-services", "poll"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


# A valid question or form for every seeded item (tests/gov_services/test_catalogue.py
# checks none is missing).
SAMPLES: dict[str, dict] = {
    "yss.social_insurance.contribution_record": {"year": 2025, "insurance_type": "pension"},
    "yss.housing_fund.balance": {},
    "yss.medical_insurance.account": {},
    "yss.vehicle.violations": {"plate_number": "粤E12345", "vehicle_type": "small"},
    "yss.driving_licence.points": {},
    "yss.pension.payment_record": {"year": 2025},
    "yss.tax.individual_income_record": {"year": 2025},
    "yss.hukou.certificate": {"purpose": "school_enrolment", "copies": 1, "recipient": "南海区桂城中心小学"},
    "yss.social_insurance.certificate": {"period_from": "2024-01", "period_to": "2025-12", "purpose": "house_purchase"},
    "yss.housing_fund.withdrawal": {"amount_fen": 180000, "bank_account": "6230580000123456789",
                                    "frequency": "monthly"},
    "yss.medical_insurance.remote_filing": {"destination": "湖南省长沙市", "reason": "resident",
                                            "start_date": "2026-12-01"},
    "yss.residence_permit.application": {"address": "南海区桂城街道南海大道北88号", "residence_since": "2026-01-10",
                                         "basis": "employment"},
    "yss.flexible_employment.registration": {"start_month": "2026-12", "base_level": "60"},
    "ysst.business_licence.status": {},
    "ysst.tax.credit_rating": {"year": 2025},
    "ysst.social_insurance.enterprise_contributions": {"month": "2026-10"},
    "ysst.credit.report": {},
    "ysst.tax.clearance_certificate": {"purpose": "tender", "copies": 2},
    "ysst.social_insurance.enterprise_registration": {"bank_name": "佛山农商银行桂城支行",
                                                      "bank_account": "80020000012345678", "employees": 35,
                                                      "start_month": "2026-12"},
    "ysst.construction.joint_acceptance": {"project_code": "2025-440605-47-01-012345", "project_name": "桂城智造产业园二期",
                                           "floor_area_m2": 42000, "planned_date": "2026-12-15"},
    "ysst.housing_fund.enterprise_deposit": {"employees": 35, "deposit_ratio": 8, "start_month": "2026-12"},
    "ysst.invoice.quota_adjustment": {"invoice_type": "e_invoice", "monthly_quantity": 200,
                                      "reason": "业务量增长，现有额度不足"},
    "ysst.environment.discharge_permit": {"industry_category": "金属表面处理及热处理加工", "outlets": 2,
                                          "pollutants": "化学需氧量、氨氮、总镍"},
}
