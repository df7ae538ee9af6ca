"""What every simulator is made of: a base class, JSON answers, JSON errors."""

from __future__ import annotations

import hmac
import json
from datetime import UTC, datetime
from typing import Any, Callable, ClassVar

from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

Handler = Callable[..., Response]


class SandboxError(Exception):
    """Raised by a handler to answer ``{"code", "message"}`` with ``status``."""

    def __init__(self, status: int, code: str, message: str, *, headers: dict[str, str] | None = None):
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message
        self.headers = headers or {}

    def response(self) -> Response:
        return error_response(self.status, self.code, self.message, headers=self.headers)


class Simulator:
    """One simulated upstream.

    A subclass sets ``name`` (its key in ``/demo`` and in ``api_keys``) and
    ``default_api_key``, returns its URL rules from :meth:`rules` with bound
    handler methods as endpoints (called as ``handler(request, **url_values)``),
    describes its demo data in :meth:`demo` and forgets all state in :meth:`reset`.
    State is kept in memory, bounded, behind the subclass's own lock.
    """

    name: ClassVar[str]
    default_api_key: ClassVar[str | None] = None

    def __init__(self, *, api_key: str | None) -> None:
        self.api_key = api_key

    def rules(self) -> list[Rule]:
        raise NotImplementedError

    def demo(self, script_root: str) -> dict[str, Any]:
        """Demo data and hints for testers; ``script_root`` prefixes any URL given."""
        return {}

    def reset(self) -> None:
        raise NotImplementedError

    def require_api_key(self, request: Request, header: str = "X-Api-Key") -> None:
        given = request.headers.get(header, "")
        if self.api_key is None or not hmac.compare_digest(given.encode(), self.api_key.encode()):
            raise SandboxError(401, "invalid_api_key", f"missing or wrong {header}")


def json_response(body: Any, status: int = 200, *, headers: dict[str, str] | None = None) -> Response:
    return Response(
        json.dumps(body, ensure_ascii=False),
        status=status,
        headers=headers,
        content_type="application/json; charset=utf-8",
    )


def error_response(
    status: int, code: str, message: str, *, headers: dict[str, str] | None = None
) -> Response:
    return json_response({"code": code, "message": message}, status, headers=headers)


def read_json_object(request: Request) -> dict[str, Any]:
    body = request.get_json(force=True, silent=True)
    if not isinstance(body, dict):
        raise SandboxError(400, "invalid_json", "the body must be a JSON object")
    return body


def utc_now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def mask(secret: str | None) -> str | None:
    """Enough of a key to recognise it, not enough to use it."""
    if not secret:
        return None
    if len(secret) <= 8:
        return "*" * len(secret)
    return f"{secret[:4]}…{secret[-3:]}"
