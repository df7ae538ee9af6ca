"""The 沙箱 Sandbox group of /docs: what an app team calls on the mounted sandbox while building.

The sandbox (integrations/sandbox) is a plain WSGI app mounted at /sandbox in the embedded
mode, not a flask-smorest blueprint, so its operations are written down here: only the
ones a person testing the app calls (test data, the texts and pushes "sent", paying in
the simulated wallet, moving a provincial application on, injecting faults). The
upstream protocols themselves (what our integration clients call) are the upstreams'
contracts, documented in docs/, not ours. Documented only when the sandbox is mounted;
a deployment without it shows no such group. The sandbox answers as an upstream would:
its own ``{"code", "message"}`` errors, in English, for developers.
"""

from __future__ import annotations

import re

from werkzeug.routing import Rule

from .docs_assets import SANDBOX
from .errors import N_

SANDBOX_ERROR = {
    "type": "object", "required": ["code", "message"],
    "properties": {"code": {"type": "string"}, "message": {"type": "string"}},
}
OBJECT = {"type": "object", "additionalProperties": True}


def _query(name: str, description: str, required: bool = True) -> dict:
    return {"in": "query", "name": name, "required": required, "schema": {"type": "string"},
            "description": description}


# Path parameters are read from the rule (werkzeug's <name>), as for the blueprints' routes.
PATH_PARAMETERS = {
    "out_trade_no": "the order's out_trade_no",
    "platform": "yss (Yueshengshi) or ysst (Yueshangtong)",
    "reference": "the application's upstream reference",
}


def _body(properties: dict, required: tuple[str, ...] = ()) -> dict:
    schema = {"type": "object", "properties": properties}
    if required:
        schema["required"] = list(required)
    return {"required": True, "content": {"application/json": {"schema": schema}}}


# (method, path, summary, extra operation fields, success status)
OPERATIONS = (
    ("get", "/sandbox/demo", N_("The sandbox's test data: citizens, enterprises, bus cards, gas accounts, and each "
                                "simulator's addresses."), {}, 200),
    ("get", "/sandbox/sms/messages", N_("The text messages the simulated SMS gateway delivered to a phone, newest "
                                        "first (sign-in codes among them)."),
     {"parameters": [_query("phone", "11-digit mainland mobile number")]}, 200),
    ("get", "/sandbox/push/notifications", N_("The pushes the simulated push provider delivered to a device token."),
     {"parameters": [_query("token", "the device token registered at /api/v1/devices")]}, 200),
    ("post", "/sandbox/face/liveness-tokens", N_("A liveness token, as the face SDK gives one after a liveness check."),
     {"requestBody": _body({"id_number": {"type": "string"},
                            "outcome": {"type": "string", "description": "pass (default) or another outcome"},
                            "ttl_seconds": {"type": "number"}}, ("id_number",))}, 201),
    ("post", "/sandbox/wechat/orders/<out_trade_no>/pay", N_("Pay an order in the simulated WeChat Pay wallet, as the "
                                                           "payer would."),
     {}, 200),
    ("post", "/sandbox/alipay/orders/<out_trade_no>/pay", N_("Pay an order in the simulated Alipay wallet, as the payer "
                                                           "would."),
     {}, 200),
    ("post", "/sandbox/_control/<platform>/applications/<reference>/status",
     N_("Move a provincial application on (submitted, accepted, then approved or rejected); the platform calls "
        "us back."),
     {"requestBody": _body({"status": {"type": "string"}, "note": {"type": "string"},
                            "callback": {"type": "boolean"}}, ("status",))}, 200),
    ("get", "/sandbox/_control/faults", N_("The faults injected into the simulated upstreams."), {}, 200),
    ("post", "/sandbox/_control/faults", N_("Inject a fault: latency or an error status on the paths under a prefix, "
                                            "a number of times."),
     {"requestBody": _body({"path_prefix": {"type": "string"}, "latency_ms": {"type": "integer"},
                            "status": {"type": "integer"}, "times": {"type": "integer"}}, ("path_prefix",))}, 201),
    ("delete", "/sandbox/_control/faults", N_("Clear every injected fault."), {}, 204),
    ("post", "/sandbox/_control/reset", N_("Reset the sandbox: faults cleared, messages and pushes forgotten."), {},
     204),
)


def document(spec) -> None:
    """Add the sandbox's operations to ``spec`` under the 沙箱 Sandbox group."""
    paths: dict[str, dict] = {}
    for method, path, summary, extra, status in OPERATIONS:
        success = {"description": "OK"}
        if status != 204:
            success["content"] = {"application/json": {"schema": OBJECT}}
        paths.setdefault(path, {})[method] = {
            "tags": [SANDBOX], "summary": summary, "security": [], **extra,
            "responses": {str(status): success,
                          "default": {"description": "The sandbox's own error (as an upstream answers)",
                                      "content": {"application/json": {"schema": SANDBOX_ERROR}}}},
        }
    for path, operations in paths.items():
        parameters = [{"in": "path", "name": name, "required": True, "schema": {"type": "string"},
                       "description": PATH_PARAMETERS[name]}
                      for name in re.findall(r"<(\w+)>", path)]
        spec.path(rule=Rule(path), operations=operations, parameters=parameters)
