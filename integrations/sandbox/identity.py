"""Identity upstream simulators: ID-number verification (IDV) and face verification.

IDV (``POST /idv/v1/verifications``): checks a (name, ID number) pair against the
demo citizens. ``match`` for a demo pair, ``mismatch`` when the number is known but
the name differs, ``not_found`` otherwise. The real service bills every call, so the
simulator counts them (``GET /idv/usage``) for tests that must prove we checked the
number locally first.

Face (``POST /face/v1/verifications``): redeems a liveness token from the phone's face
SDK. In the sandbox a tester gets one from ``POST /face/liveness-tokens``
``{"id_number", "outcome": "pass"|"fail", "ttl_seconds"?}`` (no API key). A token is
single use (any verification attempt spends it), expires after ``ttl_seconds``
(default and maximum 300) and is bound to the ID number it was issued for. Nothing
biometric exists here: a token only remembers the number and the outcome chosen.
"""

from __future__ import annotations

import re
import secrets
import threading
import time
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from ulid import ULID
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from integrations.sandbox.base import SandboxError, Simulator, json_response, mask, read_json_object
from integrations.sandbox.demo_data import CITIZENS, CITIZENS_BY_ID_NUMBER

# Shape only (17 digits, then a digit or X): checking the check character is our job
# before we call, and an upstream would just answer not_found.
_ID_NUMBER = re.compile(r"^\d{17}[\dX]$")
MAX_NAME_LENGTH = 64


def _read_identity(body: dict[str, Any]) -> tuple[str, str]:
    # Refusals never echo the values: callers' logs may keep them.
    name, id_number = body.get("name"), body.get("id_number")
    if not isinstance(name, str) or not 1 <= len(name.strip()) <= MAX_NAME_LENGTH:
        raise SandboxError(400, "invalid_name", f"name must be 1 to {MAX_NAME_LENGTH} characters")
    return name.strip(), _read_id_number(id_number)


def _read_id_number(value: Any) -> str:
    if not isinstance(value, str) or not _ID_NUMBER.match(value.strip().upper()):
        raise SandboxError(400, "invalid_id_number", "id_number must be 17 digits and a digit or X")
    return value.strip().upper()


class IdvSimulator(Simulator):
    name = "idv"
    default_api_key = "sandbox-idv-key"

    def __init__(self, *, api_key: str | None) -> None:
        super().__init__(api_key=api_key)
        self._lock = threading.Lock()
        self._verifications = 0

    def rules(self) -> list[Rule]:
        return [
            Rule("/idv/v1/verifications", methods=["POST"], endpoint=self.verify),
            Rule("/idv/usage", methods=["GET"], endpoint=self.usage),
        ]

    def demo(self, script_root: str) -> dict[str, Any]:
        return {
            "api_key_hint": mask(self.api_key),
            "verify": f"POST {script_root}/idv/v1/verifications",
            "usage": f"{script_root}/idv/usage",
            "results": {
                "match": "name and id_number are a pair listed in citizens",
                "mismatch": "the id_number is listed, with another name",
                "not_found": "any other id_number",
            },
        }

    def reset(self) -> None:
        with self._lock:
            self._verifications = 0

    def verify(self, request: Request) -> Response:
        self.require_api_key(request)
        name, id_number = _read_identity(read_json_object(request))
        with self._lock:
            self._verifications += 1
        citizen = CITIZENS_BY_ID_NUMBER.get(id_number)
        if citizen is None:
            result = "not_found"
        elif citizen.name == name:
            result = "match"
        else:
            result = "mismatch"
        return json_response({"result": result, "request_id": str(ULID())})

    def usage(self, request: Request) -> Response:
        with self._lock:
            return json_response({"verifications": self._verifications})


TOKEN_TTL_SECONDS = 300
TOKENS_KEPT = 10_000
EXPIRED_TOKENS_KEPT_SECONDS = 600
PASS_SCORE = 0.93
FAIL_SCORE = 0.31
OUTCOMES = ("pass", "fail")


@dataclass
class _LivenessToken:
    id_number: str
    outcome: str
    expires_at: float  # time.monotonic()
    used: bool = False


class FaceSimulator(Simulator):
    name = "face"
    default_api_key = "sandbox-face-key"

    def __init__(self, *, api_key: str | None) -> None:
        super().__init__(api_key=api_key)
        self._lock = threading.Lock()
        self._tokens: OrderedDict[str, _LivenessToken] = OrderedDict()

    def rules(self) -> list[Rule]:
        return [
            Rule("/face/v1/verifications", methods=["POST"], endpoint=self.verify),
            Rule("/face/liveness-tokens", methods=["POST"], endpoint=self.issue_token),
        ]

    def demo(self, script_root: str) -> dict[str, Any]:
        example = CITIZENS[0].id_number
        return {
            "api_key_hint": mask(self.api_key),
            "verify": f"POST {script_root}/face/v1/verifications",
            "liveness_token": {
                "method": "POST",
                "path": f"{script_root}/face/liveness-tokens",
                "body": {"id_number": example, "outcome": "pass"},
                "outcomes": list(OUTCOMES),
                "ttl_seconds": f"optional, at most {TOKEN_TTL_SECONDS} (the default)",
                "answer": {"liveness_token": "<token>", "expires_in": TOKEN_TTL_SECONDS},
                "api_key": "not needed",
            },
            "rules": "a token is single use, expires, and verifies only the id_number it was "
                     "issued for (person_mismatch); name and id_number must be a demo citizen "
                     "pair (see citizens); the outcome chosen at issue decides the rest",
        }

    def reset(self) -> None:
        with self._lock:
            self._tokens.clear()

    def issue_token(self, request: Request) -> Response:
        body = read_json_object(request)
        id_number = _read_id_number(body.get("id_number"))
        outcome = body.get("outcome", "pass")
        if outcome not in OUTCOMES:
            raise SandboxError(400, "invalid_outcome", f"outcome must be one of {list(OUTCOMES)}")
        ttl = body.get("ttl_seconds", TOKEN_TTL_SECONDS)
        # Short lifetimes let tests see a token expire; none outlives the real five minutes.
        if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not 0 < ttl <= TOKEN_TTL_SECONDS:
            raise SandboxError(
                400, "invalid_ttl", f"ttl_seconds must be above 0 and at most {TOKEN_TTL_SECONDS}"
            )

        token = "lvt_" + secrets.token_urlsafe(24)
        now = time.monotonic()
        with self._lock:
            self._forget_expired(now)
            self._tokens[token] = _LivenessToken(id_number, outcome, now + ttl)
            if len(self._tokens) > TOKENS_KEPT:
                self._tokens.popitem(last=False)
        return json_response({"liveness_token": token, "expires_in": ttl}, 201)

    def verify(self, request: Request) -> Response:
        self.require_api_key(request)
        body = read_json_object(request)
        token = body.get("liveness_token")
        if not isinstance(token, str) or not token:
            raise SandboxError(400, "invalid_liveness_token", "liveness_token must be a non-empty string")
        name, id_number = _read_identity(body)

        with self._lock:
            issued = self._tokens.get(token)
            if issued is None:
                return self._answer(False, "token_invalid")
            if issued.used:
                return self._answer(False, "token_used")
            issued.used = True  # any attempt spends the token
            expired = time.monotonic() >= issued.expires_at
        if expired:
            return self._answer(False, "token_expired")
        if issued.id_number != id_number:
            return self._answer(False, "person_mismatch")
        citizen = CITIZENS_BY_ID_NUMBER.get(id_number)
        if citizen is None:
            return self._answer(False, "not_found")
        if citizen.name != name:
            return self._answer(False, "name_mismatch")
        if issued.outcome == "fail":
            return self._answer(False, "face_mismatch", FAIL_SCORE)
        return self._answer(True, None, PASS_SCORE)

    def _answer(self, passed: bool, reason: str | None, score: float = 0.0) -> Response:
        return json_response(
            {"result": "pass" if passed else "fail", "score": score, "reason": reason,
             "request_id": str(ULID())}
        )

    def _forget_expired(self, now: float) -> None:
        # Caller holds the lock. An expired token is remembered for a while, so that
        # redeeming it says token_expired rather than token_invalid.
        while self._tokens:
            oldest = next(iter(self._tokens.values()))
            if oldest.expires_at + EXPIRED_TOKENS_KEPT_SECONDS > now:
                break
            self._tokens.popitem(last=False)
