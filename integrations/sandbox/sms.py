"""SMS gateway simulator: accepts templated messages and lets testers read them back."""

from __future__ import annotations

import re
import threading
from collections import OrderedDict, deque
from typing import Any, Callable

from ulid import ULID
from werkzeug.routing import Rule
from werkzeug.wrappers import Request, Response

from integrations.sandbox.base import (
    SandboxError,
    Simulator,
    json_response,
    mask,
    read_json_object,
    utc_now_iso,
)

MESSAGES_PER_PHONE = 1000
PHONES_KEPT = 10_000
IDEMPOTENCY_KEYS_KEPT = 10_000

# Mainland mobile numbers: 11 digits starting 13-19.
_PHONE = re.compile(r"^1[3-9]\d{9}$")
_CODE = re.compile(r"^\d{4,8}$")


def _verification_code(params: dict[str, Any]) -> str:
    code, minutes = params["code"], params["minutes"]
    if not isinstance(code, str) or not _CODE.match(code):
        raise SandboxError(400, "invalid_params", "code must be 4 to 8 digits")
    if isinstance(minutes, bool) or not isinstance(minutes, int) or not 1 <= minutes <= 60:
        raise SandboxError(400, "invalid_params", "minutes must be an integer 1..60")
    return f"【南海通】您的验证码为{code}，{minutes}分钟内有效。请勿泄露给他人。"


def _esign_code(params: dict[str, Any]) -> str:
    """The signing step-up code, naming what it approves: the document and its digest's start."""
    _verification_code({"code": params["code"], "minutes": params["minutes"]})
    title, digest = params["title"], params["digest"]
    if not isinstance(title, str) or not 1 <= len(title) <= 60:
        raise SandboxError(400, "invalid_params", "title must be 1 to 60 characters")
    if not isinstance(digest, str) or not re.fullmatch(r"[0-9a-f]{6,16}", digest):
        raise SandboxError(400, "invalid_params", "digest must be 6 to 16 lowercase hex digits")
    return (f"【南海通】签署验证码{params['code']}，{params['minutes']}分钟内有效。您正在签署《{title}》"
            f"（SHA-256 摘要 {digest}…）。如非本人操作，请勿泄露验证码。")


def _notice(params: dict[str, Any]) -> str:
    text = params["text"]
    if not isinstance(text, str) or not 1 <= len(text) <= 500:
        raise SandboxError(400, "invalid_params", "text must be 1 to 500 characters")
    return f"【南海通】{text}"


def _registered(text: str) -> Callable[[dict[str, Any]], str]:
    """A template registered through the template API: ``{param}`` placeholders filled."""

    def render(params: dict[str, Any]) -> str:
        for name, value in params.items():
            if not isinstance(value, (str, int)) or isinstance(value, bool) or not 0 < len(str(value)) <= 100:
                raise SandboxError(400, "invalid_params", f"{name} must be 1 to 100 characters")
        return "【南海通】" + text.format(**params)

    return render


_TEMPLATE_NAME = re.compile(r"^[a-z][a-z0-9_]{1,63}$")
_PLACEHOLDER = re.compile(r"\{(\w+)\}")

# template name -> (required params, renderer); the two every account starts with.
TEMPLATES: dict[str, tuple[frozenset[str], Callable[[dict[str, Any]], str]]] = {
    "verification_code": (frozenset({"code", "minutes"}), _verification_code),
    "notice": (frozenset({"text"}), _notice),
    "esign_code": (frozenset({"code", "minutes", "title", "digest"}), _esign_code),
}


class SmsSimulator(Simulator):
    name = "sms"
    default_api_key = "sandbox-sms-key"

    def __init__(self, *, api_key: str | None) -> None:
        super().__init__(api_key=api_key)
        self._lock = threading.Lock()
        # Chinese gateways send only templates registered (and approved) beforehand.
        self.templates = dict(TEMPLATES)
        self._by_phone: OrderedDict[str, deque[dict[str, Any]]] = OrderedDict()
        # idempotency key -> (fingerprint of the request, the answer first given)
        self._replies: OrderedDict[str, tuple[tuple, dict[str, Any]]] = OrderedDict()

    def rules(self) -> list[Rule]:
        return [
            Rule("/sms/v1/messages", methods=["POST"], endpoint=self.send_message),
            Rule("/sms/v1/templates", methods=["POST"], endpoint=self.register_template_request),
            Rule("/sms/messages", methods=["GET"], endpoint=self.list_messages),
        ]

    def demo(self, script_root: str) -> dict[str, Any]:
        return {
            "api_key_hint": mask(self.api_key),
            "send": f"POST {script_root}/sms/v1/messages",
            "read_messages": f"{script_root}/sms/messages?phone=<phone>",
            "templates": {name: sorted(params) for name, (params, _) in self.templates.items()},
            "register_template": f"POST {script_root}/sms/v1/templates",
        }

    def reset(self) -> None:
        with self._lock:
            self._by_phone.clear()
            self._replies.clear()

    def register_template(self, name: str, text: str) -> None:
        """Register (and, in the sandbox, approve at once) a template; its params are its
        ``{placeholders}``. Registering a name again replaces its text."""
        if not isinstance(name, str) or not _TEMPLATE_NAME.match(name):
            raise SandboxError(400, "invalid_template", "name must be 2 to 64 of a-z 0-9 _, starting with a letter")
        if not isinstance(text, str) or not 1 <= len(text) <= 300:
            raise SandboxError(400, "invalid_template", "text must be 1 to 300 characters")
        params = frozenset(_PLACEHOLDER.findall(text))
        with self._lock:
            self.templates[name] = (params, _registered(text))

    def register_template_request(self, request: Request) -> Response:
        self.require_api_key(request)
        body = read_json_object(request)
        self.register_template(body.get("name"), body.get("text"))
        return json_response({"name": body["name"], "status": "approved"}, 201)

    def send_message(self, request: Request) -> Response:
        self.require_api_key(request)
        body = read_json_object(request)
        phone, template, params = body.get("phone"), body.get("template"), body.get("params", {})
        # Messages never echo the phone: callers' logs may keep them.
        if not isinstance(phone, str) or not _PHONE.match(phone):
            raise SandboxError(400, "invalid_phone", "phone must be an 11-digit mainland mobile number")
        with self._lock:
            known = dict(self.templates)
        if not isinstance(template, str) or template not in known:
            raise SandboxError(400, "invalid_template", f"template must be one of {sorted(known)}")
        required, render = known[template]
        if not isinstance(params, dict) or set(params) != required:
            raise SandboxError(400, "invalid_params", f"{template} takes params {sorted(required)}")
        text = render(params)

        key = request.headers.get("Idempotency-Key")
        fingerprint = (phone, template, tuple(sorted((k, repr(v)) for k, v in params.items())))
        with self._lock:
            if key is not None and key in self._replies:
                first_fingerprint, reply = self._replies[key]
                if first_fingerprint != fingerprint:
                    raise SandboxError(
                        409, "idempotency_key_reused", "this Idempotency-Key came with another message"
                    )
                return json_response(reply, 200, headers={"Idempotent-Replayed": "true"})

            message = {
                "id": str(ULID()),
                "phone": phone,
                "template": template,
                "text": text,
                "params": params,
                "created_at": utc_now_iso(),
            }
            self._store(message)
            reply = {"id": message["id"], "status": "accepted", "created_at": message["created_at"]}
            if key is not None:
                self._replies[key] = (fingerprint, reply)
                if len(self._replies) > IDEMPOTENCY_KEYS_KEPT:
                    self._replies.popitem(last=False)
        return json_response(reply, 201)

    def list_messages(self, request: Request) -> Response:
        phone = request.args.get("phone")
        if not phone:
            raise SandboxError(400, "missing_phone", "the phone query parameter is required")
        with self._lock:
            messages = list(self._by_phone.get(phone, ()))
        return json_response({"messages": messages[::-1]})

    def _store(self, message: dict[str, Any]) -> None:
        # Caller holds the lock. Bounded per phone and in phones, oldest first out.
        phone = message["phone"]
        if phone not in self._by_phone:
            self._by_phone[phone] = deque(maxlen=MESSAGES_PER_PHONE)
            if len(self._by_phone) > PHONES_KEPT:
                self._by_phone.popitem(last=False)
        self._by_phone.move_to_end(phone)
        self._by_phone[phone].append(message)
