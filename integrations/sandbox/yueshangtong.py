"""Yueshangtong (粤商通) simulator: the provincial enterprise platform.

``GET /ysst/v1/enterprises/<uscc>`` with ``X-Api-Key`` answers a demo enterprise's
registration record, or 404 ``{"code": "enterprise_not_found"}``. The enterprise
high-frequency services will be added here as the client grows them.
"""

from __future__ import annotations

from typing import Any

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from integrations.sandbox.base import SandboxError, Simulator, json_response, mask
from integrations.sandbox.demo_data import ENTERPRISES_BY_USCC


class YueshangtongSimulator(Simulator):
    name = "yueshangtong"
    default_api_key = "sandbox-yueshangtong-key"

    def rules(self) -> list[Rule]:
        return [
            Rule("/ysst/v1/enterprises/<uscc>", methods=["GET"], endpoint=self.get_enterprise),
        ]

    def demo(self, script_root: str) -> dict[str, Any]:
        return {
            "api_key_hint": mask(self.api_key),
            "lookup": f"GET {script_root}/ysst/v1/enterprises/<uscc>",
            "enterprises": "see enterprises",
        }

    def reset(self) -> None:
        pass  # read-only so far

    def get_enterprise(self, request: Request, uscc: str) -> Response:
        self.require_api_key(request)
        enterprise = ENTERPRISES_BY_USCC.get(uscc.strip().upper())
        if enterprise is None:
            raise SandboxError(404, "enterprise_not_found", "no enterprise has this code")
        record = enterprise.as_record()
        record.pop("industry")  # the platform answers the code only
        return json_response(record)
