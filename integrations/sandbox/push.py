"""Push-provider simulator: accepts notifications for registered device tokens and lets
testers read them back (``GET /push/notifications?token=...``).

Tokens starting ``expired-`` answer ``404 unknown_token``, as the real providers do once
an app is uninstalled.
"""

from __future__ import annotations

import threading
from collections import OrderedDict, deque
from typing import Any

from ulid import ULID
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from integrations.sandbox.base import SandboxError, Simulator, json_response, mask, read_json_object, utc_now_iso

PLATFORMS = ("ios", "android", "harmonyos", "wechat")
PER_TOKEN = 1000
TOKENS_KEPT = 10_000
KEYS_KEPT = 20_000


class PushSimulator(Simulator):
    name = "push"
    default_api_key = "sandbox-push-key"

    def __init__(self, *, api_key: str | None) -> None:
        super().__init__(api_key=api_key)
        self._lock = threading.Lock()
        self._by_token: OrderedDict[str, deque[dict[str, Any]]] = OrderedDict()
        self._replies: OrderedDict[str, tuple[tuple, dict[str, Any]]] = OrderedDict()

    def rules(self) -> list[Rule]:
        return [
            Rule("/push/v1/notifications", methods=["POST"], endpoint=self.send),
            Rule("/push/notifications", methods=["GET"], endpoint=self.list_notifications),
        ]

    def demo(self, script_root: str) -> dict[str, Any]:
        return {
            "api_key_hint": mask(self.api_key),
            "send": f"POST {script_root}/push/v1/notifications",
            "read_notifications": f"{script_root}/push/notifications?token=<device token>",
            "platforms": list(PLATFORMS),
            "unknown_tokens": "tokens starting 'expired-' answer 404 unknown_token",
        }

    def reset(self) -> None:
        with self._lock:
            self._by_token.clear()
            self._replies.clear()

    def send(self, request: Request) -> Response:
        self.require_api_key(request)
        body = read_json_object(request)
        token, platform = body.get("token"), body.get("platform")
        title, text, data = body.get("title"), body.get("body"), body.get("data", {})
        if not isinstance(token, str) or not 8 <= len(token) <= 512:
            raise SandboxError(400, "invalid_token", "token must be a string of 8 to 512 characters")
        if platform not in PLATFORMS:
            raise SandboxError(400, "invalid_platform", f"platform must be one of {list(PLATFORMS)}")
        if not isinstance(title, str) or not 1 <= len(title) <= 100:
            raise SandboxError(400, "invalid_title", "title must be 1 to 100 characters")
        if not isinstance(text, str) or not 1 <= len(text) <= 1000:
            raise SandboxError(400, "invalid_body", "body must be 1 to 1000 characters")
        if not isinstance(data, dict):
            raise SandboxError(400, "invalid_data", "data must be an object")
        if token.startswith("expired-"):
            raise SandboxError(404, "unknown_token", "this device token is no longer registered")

        key = request.headers.get("Idempotency-Key")
        fingerprint = (token, title, text)
        with self._lock:
            if key is not None and key in self._replies:
                first, reply = self._replies[key]
                if first != fingerprint:
                    raise SandboxError(409, "idempotency_key_reused", "this Idempotency-Key came with another notification")
                return json_response(reply, 200, headers={"Idempotent-Replayed": "true"})
            notification = {"id": str(ULID()), "token": token, "platform": platform, "title": title,
                            "body": text, "data": data, "created_at": utc_now_iso()}
            if token not in self._by_token:
                self._by_token[token] = deque(maxlen=PER_TOKEN)
                if len(self._by_token) > TOKENS_KEPT:
                    self._by_token.popitem(last=False)
            self._by_token[token].append(notification)
            reply = {"id": notification["id"], "status": "accepted"}
            if key is not None:
                self._replies[key] = (fingerprint, reply)
                if len(self._replies) > KEYS_KEPT:
                    self._replies.popitem(last=False)
        return json_response(reply, 201)

    def list_notifications(self, request: Request) -> Response:
        token = request.args.get("token")
        if not token:
            raise SandboxError(400, "missing_token", "the token query parameter is required")
        with self._lock:
            found = list(self._by_token.get(token, ()))
        return json_response({"notifications": found[::-1]})
