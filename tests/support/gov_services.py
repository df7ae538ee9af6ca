"""Provincial services (粤省事): the test settings (a quick breaker), the catalogue loaded with
the CLI, applications made through the API, a valid form for every seeded item, the
sandbox advancing an application, and status callbacks signed with the platform's secret."""

from __future__ import annotations

import json

import requests

from integrations.gov_gateway import sign_headers

from .settings import APP_SETTINGS

CALLBACK_PATH = "/api/v1/gov-services/callbacks/status"


def report(created: dict, status: str = "accepted", version: int = 2) -> dict:
    """The callback body reporting ``status`` for an application the API ``created``."""
    return {"reference": created["upstream_reference"], "application_id": created["id"], "status": status,
            "version": version, "occurred_at": "2026-11-22T08:00:00.000Z", "note": None}


def send(app, payload: dict, *, secret: str | None = None, app_key: str = "yueshengshi", now: float | None = None,
         nonce: str | None = None, tamper: bytes | None = None, drop: str | None = None) -> requests.Response:
    """POST a signed callback to the live server (``tamper`` sends other bytes, ``drop`` omits a header)."""
    raw = json.dumps(payload, ensure_ascii=False).encode()
    headers = sign_headers(secret or app.config["YUESHENGSHI_CALLBACK_SECRET"], app_key, "POST", CALLBACK_PATH, "",
                           raw, now=now, nonce=nonce)
    if drop:
        headers.pop(drop)
    headers["Content-Type"] = "application/json"
    url = app.config["GOV_SERVICES_CALLBACK_URL"]
    return requests.post(url, timeout=5, data=tamper if tamper is not None else raw, headers=headers)


def load_catalogue(app) -> dict:
    result = app.test_cli_runner().invoke(args=["gov-services", "catalogue", "load"])
    assert result.exit_code == 0, result.output
    return json.loads(result.output)


CATALOGUE = "/api/v1/gov-services"


CONTROL_TIMEOUT = 10


# A quick breaker so fault tests run in seconds. The timeout leaves a loaded machine room
# (the suite runs six processes on two cores): at 1 s an ordinary call sometimes timed out.
UPSTREAM_TIMEOUT_SECONDS = 3


GOV_SETTINGS = {**APP_SETTINGS, "GOV_SERVICES_TIMEOUT_SECONDS": str(UPSTREAM_TIMEOUT_SECONDS),
                "GOV_SERVICES_BREAKER_FAIL_MAX": 3,
                "GOV_SERVICES_BREAKER_RESET_SECONDS": "1", "GOV_SERVICES_RETRIES": 1}


def sandbox(app) -> str:
    return app.config["SANDBOX_URL"]


def advance(app, reference: str, status: str, *, short: str = "yss", note: str | None = None,
            callback: bool = True) -> dict:
    url = f"{sandbox(app)}/_control/{short}/applications/{reference}/status"
    answer = requests.post(url, timeout=CONTROL_TIMEOUT, json={"status": status, "note": note, "callback": callback})
    assert answer.status_code == 200, answer.text
    return answer.json()


def apply(citizen, code: str, form: dict, licence_ids=(), *, key: str | None = None, expect: int = 201):
    headers = {**citizen.headers, **({"Idempotency-Key": key} if key else {})}
    answer = citizen.client.post(f"{CATALOGUE}/{code}/applications", headers=headers,
                                 json={"form": form, "licence_ids": list(licence_ids)})
    assert answer.status_code == expect, (answer.status_code, answer.get_json())
    return answer


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
