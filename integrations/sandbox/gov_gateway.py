"""Provincial services gateway simulators: Yueshengshi (粤省事, citizens) and Yueshangtong (粤商通, enterprises).

One class, parameterised per provider (path prefix, audience, reference prefix). Each
speaks the protocol described in :mod:`integrations.gov_gateway`:

- every request must be signed with our app key and secret (the simulator's "API key");
  a missing, wrong or stale signature or a replayed nonce answers 401 and changes nothing;
- ``POST {prefix}/v1/services/<code>/queries``: deterministic, plausible data derived from
  the forwarded identity, the service and the parameters (the same question always gets
  the same answer);
- ``POST {prefix}/v1/applications``: idempotent on ``application_id`` (201, then 200 with
  the same reference); ``GET {prefix}/v1/applications/<reference>``: status and history;
- status callbacks signed with the provider's callback secret, POSTed to the callback URL
  the API registered (:meth:`GovGatewaySimulator.configure`).

Test controls (no signature; not subject to fault injection):

- ``GET /_control/<short>/applications``: every application received, with how many
  times it was submitted;
- ``POST /_control/<short>/applications/<reference>/status`` ``{"status", "note"?,
  "callback"?: true}``: move an application on (allowed transitions only) and, unless
  ``callback`` is false, send the signed callback at once; answers the application and
  the callback's HTTP status.

Latency, errors and outages: the sandbox's fault injection on ``{prefix}/``.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import random
import threading
import time
from collections import OrderedDict
from datetime import date, timedelta
from typing import Any, ClassVar
from urllib.parse import urlsplit

import requests
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from integrations.gov_gateway import (
    STATUSES,
    ForwardedIdentity,
    SignatureError,
    sign_headers,
    verify_signed_request,
)
from integrations.sandbox.base import SandboxError, Simulator, json_response, mask, read_json_object, utc_now_iso

CALLBACK_TIMEOUT = 5
NONCES_KEPT = 50_000
APPLICATIONS_KEPT = 10_000

TRANSITIONS = {
    "submitted": {"accepted", "rejected"},
    "accepted": {"need_more_materials", "approved", "rejected"},
    "need_more_materials": {"accepted", "rejected"},
    "approved": set(),
    "rejected": set(),
}

# What each query service answers: fields (key, label, kind) and record columns.
# kinds: fen (money), int:<lo>:<hi>, date, month, pick:<a>|<b>..., text:<value>
QUERIES: dict[str, dict[str, Any]] = {
    "yss.social_insurance.contribution_record": {
        "summary": "{year}年度{insurance_type_label}缴费记录",
        "fields": [("months_paid", "已缴月数", "int:1:12"), ("total_fen", "合计缴费(分)", "fen"),
                   ("employer", "参保单位", "pick:佛山市南海区桂城智造科技有限公司|佛山市南海区狮山精工金属制品有限公司|灵活就业")],
        "records": [("month", "month"), ("base_fen", "fen"), ("personal_fen", "fen"), ("employer_fen", "fen")],
    },
    "yss.housing_fund.balance": {
        "summary": "住房公积金个人账户",
        "fields": [("balance_fen", "账户余额(分)", "fen"), ("monthly_deposit_fen", "月缴存额(分)", "fen"),
                   ("account_status", "账户状态", "pick:正常|封存"), ("last_deposit_month", "最近缴存月份", "month")],
        "records": [],
    },
    "yss.medical_insurance.account": {
        "summary": "医保个人账户",
        "fields": [("balance_fen", "个人账户余额(分)", "fen"), ("insured_status", "参保状态", "pick:正常参保|暂停参保"),
                   ("insured_place", "参保地", "text:佛山市南海区")],
        "records": [("date", "date"), ("hospital", "pick:南海区人民医院|南海区第二人民医院|桂城医院"), ("spent_fen", "fen")],
    },
    "yss.vehicle.violations": {
        "summary": "{plate_number} 交通违法记录",
        "fields": [("unhandled", "未处理违法(起)", "int:0:3"), ("fine_total_fen", "罚款合计(分)", "fen"),
                   ("points_total", "记分合计", "int:0:9")],
        "records": [("date", "date"), ("place", "pick:桂澜路与海八路交叉口|佛山一环南海段|南海大道北"),
                    ("behaviour", "pick:违反禁止标线指示|超速未达20%|不按规定停放"), ("fine_fen", "fen")],
    },
    "yss.driving_licence.points": {
        "summary": "驾驶证记分",
        "fields": [("points", "本周期累积记分", "int:0:12"), ("licence_class", "准驾车型", "pick:C1|C2|B2"),
                   ("cycle_end", "记分周期截止", "date"), ("licence_status", "驾驶证状态", "pick:正常|逾期未审验")],
        "records": [],
    },
    "yss.pension.payment_record": {
        "summary": "{year}年度养老金发放",
        "fields": [("monthly_fen", "月养老金(分)", "fen"), ("months", "发放月数", "int:1:12")],
        "records": [("month", "month"), ("amount_fen", "fen"), ("bank", "pick:佛山农商银行|中国工商银行|中国建设银行")],
    },
    "yss.tax.individual_income_record": {
        "summary": "{year}年度个人所得税纳税记录",
        "fields": [("income_fen", "收入合计(分)", "fen"), ("tax_fen", "已缴税额(分)", "fen")],
        "records": [("month", "month"), ("withholder", "pick:佛山市南海区桂城智造科技有限公司|佛山市南海区丹灶智能家电制造有限公司"),
                    ("tax_fen", "fen")],
    },
    "ysst.business_licence.status": {
        "summary": "营业执照登记状态",
        "fields": [("registration_status", "登记状态", "pick:存续（在营、开业、在册）"),
                   ("annual_report_year", "最近年报年度", "int:2023:2025"), ("abnormal_listed", "列入经营异常名录", "pick:否")],
        "records": [],
    },
    "ysst.tax.credit_rating": {
        "summary": "{year}年度纳税信用等级",
        "fields": [("rating", "纳税信用等级", "pick:A|B|M"), ("score", "评价得分", "int:70:99")],
        "records": [],
    },
    "ysst.social_insurance.enterprise_contributions": {
        "summary": "{month} 单位社保缴费明细",
        "fields": [("insured_employees", "参保人数", "int:3:280"), ("employer_total_fen", "单位缴费合计(分)", "fen"),
                   ("arrears_fen", "欠费(分)", "int:0:0")],
        "records": [("insurance", "pick:养老保险|医疗保险|失业保险|工伤保险"), ("employer_fen", "fen"), ("personal_fen", "fen")],
    },
    "ysst.credit.report": {
        "summary": "企业信用报告（无违法违规记录证明）",
        "fields": [("violations_found", "违法违规记录(条)", "int:0:0"),
                   ("report_no", "报告编号", "int:100000:999999"), ("covered_areas", "覆盖领域(个)", "int:38:44")],
        "records": [],
    },
}

APPLICATIONS: frozenset[str] = frozenset({
    "yss.hukou.certificate", "yss.social_insurance.certificate", "yss.housing_fund.withdrawal",
    "yss.medical_insurance.remote_filing", "yss.residence_permit.application",
    "yss.flexible_employment.registration",
    "ysst.tax.clearance_certificate", "ysst.social_insurance.enterprise_registration",
    "ysst.construction.joint_acceptance", "ysst.housing_fund.enterprise_deposit", "ysst.invoice.quota_adjustment",
    "ysst.environment.discharge_permit",
})

_INSURANCE_LABELS = {"pension": "养老保险", "medical": "医疗保险", "unemployment": "失业保险",
                     "work_injury": "工伤保险", "maternity": "生育保险"}


def _value(rng: random.Random, kind: str) -> Any:
    name, _, arg = kind.partition(":")
    if name == "fen":
        return rng.randrange(100, 2_000_000)
    if name == "int":
        low, high = (int(x) for x in arg.split(":"))
        return rng.randint(low, high)
    if name == "date":
        return (date(2026, 11, 1) - timedelta(days=rng.randrange(0, 700))).isoformat()
    if name == "month":
        return (date(2026, 10, 1) - timedelta(days=31 * rng.randrange(0, 24))).strftime("%Y-%m")
    if name == "pick":
        return rng.choice(arg.split("|"))
    if name == "text":
        return arg
    raise ValueError(kind)


class GovGatewaySimulator(Simulator):
    """One provincial services gateway; subclasses set the provider."""

    short: ClassVar[str]  # "yss" | "ysst"
    prefix: ClassVar[str]
    audience: ClassVar[str]  # the subject kind its services are for
    reference_prefix: ClassVar[str]
    display_name: ClassVar[str]
    default_app_key: ClassVar[str] = "nanhaitong-sandbox"

    def __init__(self, *, api_key: str | None) -> None:
        super().__init__(api_key=api_key)
        self._lock = threading.Lock()
        self.app_key = self.default_app_key
        self.callback_url: str | None = None
        self.callback_secret: str | None = None
        self._nonces: OrderedDict[str, float] = OrderedDict()
        self._applications: OrderedDict[str, dict[str, Any]] = OrderedDict()  # application_id -> record
        self._by_reference: dict[str, str] = {}
        self._counter = itertools.count(1)

    def configure(self, *, app_key: str | None = None, callback_url: str | None = None,
                  callback_secret: str | None = None) -> None:
        """What the API registered with the provider: its app key and where callbacks go."""
        if app_key:
            self.app_key = app_key
        self.callback_url = callback_url
        self.callback_secret = callback_secret

    def rules(self) -> list[Rule]:
        control = f"/_control/{self.short}"
        return [
            Rule(f"{self.prefix}/v1/services/<code>/queries", methods=["POST"], endpoint=self.query),
            Rule(f"{self.prefix}/v1/applications", methods=["POST"], endpoint=self.submit),
            Rule(f"{self.prefix}/v1/applications/<reference>", methods=["GET"], endpoint=self.get_application),
            Rule(f"{control}/applications", methods=["GET"], endpoint=self.list_applications),
            Rule(f"{control}/applications/<reference>/status", methods=["POST"], endpoint=self.advance),
        ]

    def demo(self, script_root: str) -> dict[str, Any]:
        return {
            "provider": self.display_name,
            "app_key": self.app_key,
            "app_secret_hint": mask(self.api_key),
            "queries": f"POST {script_root}{self.prefix}/v1/services/<code>/queries (signed)",
            "applications": f"POST {script_root}{self.prefix}/v1/applications (signed)",
            "advance": f"POST {script_root}/_control/{self.short}/applications/<reference>/status",
            "query_services": sorted(c for c in QUERIES if c.startswith(self.short + ".")),
            "application_services": sorted(c for c in APPLICATIONS if c.startswith(self.short + ".")),
        }

    def reset(self) -> None:
        with self._lock:
            self._nonces.clear()
            self._applications.clear()
            self._by_reference.clear()

    # -- protocol ------------------------------------------------------------------------

    def _remember_nonce(self, key: str, ttl: int) -> bool:
        now = time.monotonic()
        with self._lock:
            expiry = self._nonces.get(key)
            if expiry is not None and expiry > now:
                return False
            self._nonces[key] = now + ttl
            while len(self._nonces) > NONCES_KEPT:
                self._nonces.popitem(last=False)
            return True

    def _verified(self, request: Request) -> ForwardedIdentity | None:
        if self.api_key is None:
            raise SandboxError(401, "invalid_signature", "the gateway has no secret configured")
        try:
            verify_signed_request({self.app_key: self.api_key}, request.method, request.path,
                                  request.query_string.decode("latin-1"), dict(request.headers),
                                  request.get_data(cache=True), remember_nonce=self._remember_nonce)
        except SignatureError as refusal:
            raise SandboxError(401, "invalid_signature", refusal.reason) from None
        return ForwardedIdentity.from_headers(request.headers)

    def _identity_for(self, request: Request, code: str) -> ForwardedIdentity:
        identity = self._verified(request)
        if not code.startswith(self.short + "."):
            raise SandboxError(404, "service_not_found", "no such service on this gateway")
        if identity is None:
            raise SandboxError(400, "identity_required", "the end user's identity headers are missing")
        if identity.subject_kind != self.audience:
            raise SandboxError(403, "wrong_audience", f"this gateway serves {self.audience} subjects")
        return identity

    def query(self, request: Request, code: str) -> Response:
        identity = self._identity_for(request, code)
        spec = QUERIES.get(code)
        if spec is None:
            raise SandboxError(404, "service_not_found", "no such query service")
        params = read_json_object(request).get("params")
        if not isinstance(params, dict):
            raise SandboxError(400, "invalid_params", "params must be an object")
        who = identity.uscc if identity.subject_kind == "enterprise" else identity.id_number
        seed = hashlib.sha256(json.dumps([code, who, params], sort_keys=True, ensure_ascii=False).encode()).digest()
        rng = random.Random(seed)
        fields = [{"key": key, "label": label, "value": _value(rng, kind)} for key, label, kind in spec["fields"]]
        records = [{column: _value(rng, kind) for column, kind in spec["records"]}
                   for _ in range(rng.randint(1, 4) if spec["records"] else 0)]
        labels = {"insurance_type_label": _INSURANCE_LABELS.get(params.get("insurance_type"), "")}
        summary = spec["summary"].format_map(_Defaulting({**{k: str(v) for k, v in params.items()}, **labels}))
        return json_response({"request_id": f"{self.short.upper()}Q{rng.randrange(10**12):012d}",
                              "data": {"summary": summary, "fields": fields, "records": records}})

    def submit(self, request: Request) -> Response:
        body = read_json_object(request)
        code = body.get("service_code")
        if not isinstance(code, str):
            raise SandboxError(400, "invalid_application", "service_code is required")
        identity = self._identity_for(request, code)
        if code not in APPLICATIONS:
            raise SandboxError(404, "service_not_found", "no such application service")
        application_id = body.get("application_id")
        if not isinstance(application_id, str) or not 10 <= len(application_id) <= 64:
            raise SandboxError(400, "invalid_application", "application_id is required")
        if not isinstance(body.get("form"), dict) or not isinstance(body.get("attachments"), list):
            raise SandboxError(400, "invalid_application", "form must be an object and attachments a list")
        with self._lock:
            record = self._applications.get(application_id)
            if record is not None:
                if record["service_code"] != code:
                    raise SandboxError(409, "application_id_reused", "this application id was used for another service")
                record["submissions"] += 1
                return json_response(self._receipt(record), 200)
            now = utc_now_iso()
            reference = f"{self.reference_prefix}-{now[:10].replace('-', '')}-{next(self._counter):06d}"
            record = {
                "reference": reference, "application_id": application_id, "service_code": code,
                "status": "submitted", "version": 1, "accepted_at": now, "submissions": 1,
                "subject_kind": identity.subject_kind, "attachments": len(body["attachments"]),
                "history": [{"status": "submitted", "occurred_at": now, "note": None, "version": 1}],
            }
            self._applications[application_id] = record
            self._by_reference[reference] = application_id
            while len(self._applications) > APPLICATIONS_KEPT:
                old_id, old = self._applications.popitem(last=False)
                self._by_reference.pop(old["reference"], None)
            return json_response(self._receipt(record), 201)

    @staticmethod
    def _receipt(record: dict[str, Any]) -> dict[str, Any]:
        return {"reference": record["reference"], "status": record["status"], "version": record["version"],
                "accepted_at": record["accepted_at"]}

    def _record(self, reference: str) -> dict[str, Any]:
        application_id = self._by_reference.get(reference)
        if application_id is None:
            raise SandboxError(404, "application_not_found", "no application has this reference")
        return self._applications[application_id]

    @staticmethod
    def _status_view(record: dict[str, Any]) -> dict[str, Any]:
        return {"reference": record["reference"], "application_id": record["application_id"],
                "service_code": record["service_code"], "status": record["status"], "version": record["version"],
                "history": list(record["history"])}

    def get_application(self, request: Request, reference: str) -> Response:
        self._verified(request)
        with self._lock:
            return json_response(self._status_view(self._record(reference)))

    # -- controls --------------------------------------------------------------------------

    def list_applications(self, request: Request) -> Response:
        with self._lock:
            return json_response({"applications": [
                {**self._status_view(r), "submissions": r["submissions"], "attachments": r["attachments"]}
                for r in self._applications.values()]})

    def advance(self, request: Request, reference: str) -> Response:
        body = read_json_object(request)
        status, note = body.get("status"), body.get("note")
        if status not in STATUSES:
            raise SandboxError(400, "invalid_status", f"status must be one of {', '.join(STATUSES)}")
        if note is not None and not isinstance(note, str):
            raise SandboxError(400, "invalid_note", "note must be a string")
        with self._lock:
            record = self._record(reference)
            if status not in TRANSITIONS[record["status"]]:
                raise SandboxError(409, "invalid_transition", f"{record['status']} cannot become {status}")
            record["status"] = status
            record["version"] += 1
            occurred_at = utc_now_iso()
            record["history"].append({"status": status, "occurred_at": occurred_at, "note": note,
                                      "version": record["version"]})
            callback = {"reference": reference, "application_id": record["application_id"], "status": status,
                        "version": record["version"], "occurred_at": occurred_at, "note": note}
            view = self._status_view(record)
        callback_status = None
        if body.get("callback", True):
            callback_status = self.send_callback(callback)
        return json_response({"application": view, "callback_status": callback_status})

    def send_callback(self, payload: dict[str, Any]) -> int | None:
        """POST a signed status callback; its HTTP status, or None when it could not be sent."""
        if not self.callback_url or not self.callback_secret:
            return None
        raw = json.dumps(payload, ensure_ascii=False, separators=(",", ":")).encode("utf-8")
        path = urlsplit(self.callback_url).path
        headers = sign_headers(self.callback_secret, self.name, "POST", path, "", raw)
        headers["Content-Type"] = "application/json; charset=utf-8"
        try:
            answer = requests.post(self.callback_url, timeout=CALLBACK_TIMEOUT, data=raw, headers=headers)
        except requests.RequestException:
            return None
        return answer.status_code


class _Defaulting(dict):
    def __missing__(self, key: str) -> str:
        return ""


class YueshengshiSimulator(GovGatewaySimulator):
    name = "yueshengshi"
    default_api_key = "sandbox-yueshengshi-secret"
    short = "yss"
    prefix = "/yss/gateway"
    audience = "citizen"
    reference_prefix = "YSS"
    display_name = "粤省事"


class YueshangtongGatewaySimulator(GovGatewaySimulator):
    name = "yueshangtong_gateway"
    default_api_key = "sandbox-yueshangtong-gateway-secret"
    short = "ysst"
    prefix = "/ysst/gateway"
    audience = "enterprise"
    reference_prefix = "YSST"
    display_name = "粤商通"
