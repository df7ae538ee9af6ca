"""The sandbox WSGI application: routes to the simulators, JSON errors, fault injection."""

from __future__ import annotations

import logging
import time
from typing import Any, Iterable, Mapping

from werkzeug.exceptions import HTTPException
from werkzeug.routing import Map, RequestRedirect, Rule
from werkzeug.wrappers import Request, Response

from integrations.sandbox.base import (
    SandboxError,
    Simulator,
    error_response,
    json_response,
    read_json_object,
)
from integrations.sandbox.demo_data import BUS_CARDS, CITIZENS, ENTERPRISES, GAS_ACCOUNTS
from integrations.sandbox.faults import FaultInjector
from integrations.sandbox.registry import DEFAULT_API_KEYS, SIMULATORS

logger = logging.getLogger(__name__)

CONTROL_PREFIX = "/_control/"


class SandboxApp:
    """One WSGI app serving every simulator, plus ``/demo`` and ``/_control/...``."""

    def __init__(self, simulators: Iterable[Simulator]) -> None:
        self.simulators = list(simulators)
        self.faults = FaultInjector()
        rules = [
            Rule("/demo", methods=["GET"], endpoint=self.demo),
            Rule("/_control/faults", methods=["GET"], endpoint=self.list_faults),
            Rule("/_control/faults", methods=["POST"], endpoint=self.add_fault),
            Rule("/_control/faults", methods=["DELETE"], endpoint=self.clear_faults),
            Rule("/_control/reset", methods=["POST"], endpoint=self.reset),
        ]
        for simulator in self.simulators:
            rules.extend(simulator.rules())
        self.url_map = Map(rules)

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Iterable[bytes]:
        response = self.dispatch(Request(environ))
        return response(environ, start_response)

    def dispatch(self, request: Request) -> Response:
        try:
            if not request.path.startswith(CONTROL_PREFIX):
                injected = self._inject_fault(request.path)
                if injected is not None:
                    return injected
            endpoint, values = self.url_map.bind_to_environ(request.environ).match()
            return endpoint(request, **values)
        except SandboxError as error:
            return error.response()
        except RequestRedirect as redirect:
            return redirect.get_response(request.environ)
        except HTTPException as error:
            return _http_error(error, request)
        except Exception:
            logger.exception("sandbox handler failed")
            return error_response(500, "sandbox_internal_error", "the sandbox failed")

    def _inject_fault(self, path: str) -> Response | None:
        rule = self.faults.take(path)
        if rule is None:
            return None
        if rule.latency_ms:
            time.sleep(rule.latency_ms / 1000)
        if rule.status is None:
            return None
        headers = {"Retry-After": "1"} if rule.status == 429 else None
        return error_response(
            rule.status, "sandbox_fault", f"injected fault {rule.id}: status {rule.status}", headers=headers
        )

    # -- endpoints ---------------------------------------------------------------

    def demo(self, request: Request) -> Response:
        # The people and companies first (what a tester signs in and verifies with), then
        # how to reach each simulator.
        return json_response({
            "citizens": [citizen.as_json() for citizen in CITIZENS],
            "enterprises": [enterprise.as_record() for enterprise in ENTERPRISES],
            "bus_cards": [card.as_json() for card in BUS_CARDS],
            "gas_accounts": [account.as_json() for account in GAS_ACCOUNTS],
            **{simulator.name: simulator.demo(request.script_root) for simulator in self.simulators},
        })

    def list_faults(self, request: Request) -> Response:
        return json_response({"faults": [rule.as_json() for rule in self.faults.list()]})

    def add_fault(self, request: Request) -> Response:
        rule = self.faults.add(read_json_object(request))
        return json_response(rule.as_json(), 201)

    def clear_faults(self, request: Request) -> Response:
        self.faults.clear()
        return Response(status=204)

    def reset(self, request: Request) -> Response:
        self.faults.clear()
        for simulator in self.simulators:
            simulator.reset()
        return Response(status=204)


def create_sandbox_app(*, api_keys: Mapping[str, str] | None = None) -> SandboxApp:
    """Build the sandbox with fresh state.

    ``api_keys`` maps a simulator's name to the key it accepts; simulators not
    named keep their default (``DEFAULT_API_KEYS``).
    """
    keys = {**DEFAULT_API_KEYS, **(api_keys or {})}
    return SandboxApp(cls(api_key=keys.get(cls.name)) for cls in SIMULATORS)


def _http_error(error: HTTPException, request: Request) -> Response:
    code = {404: "not_found", 405: "method_not_allowed"}.get(
        error.code or 500, (error.name or "error").lower().replace(" ", "_")
    )
    # Keep headers such as Allow on a 405; the body is ours.
    headers = {
        name: value
        for name, value in error.get_headers(request.environ)
        if name.lower() != "content-type"
    }
    return error_response(error.code or 500, code, error.description or error.name, headers=headers)
