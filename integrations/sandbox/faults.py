"""Fault injection: make the next few requests to a path slow, or fail, on purpose."""

from __future__ import annotations

import itertools
import threading
from dataclasses import asdict, dataclass
from typing import Any

from integrations.sandbox.base import SandboxError

MAX_RULES = 100
MAX_LATENCY_MS = 60_000
MAX_TIMES = 10_000


@dataclass
class FaultRule:
    id: int
    path_prefix: str
    latency_ms: int
    status: int | None
    remaining: int

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class FaultInjector:
    """Fault rules, consumed first come first served by matching requests."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._rules: list[FaultRule] = []
        self._ids = itertools.count(1)

    def add(self, spec: dict[str, Any]) -> FaultRule:
        path_prefix = spec.get("path_prefix")
        latency_ms = spec.get("latency_ms", 0)
        status = spec.get("status")
        times = spec.get("times", 1)
        if not isinstance(path_prefix, str) or not path_prefix.startswith("/"):
            raise SandboxError(400, "invalid_fault", "path_prefix must be a path starting with /")
        if not _is_int_between(latency_ms, 0, MAX_LATENCY_MS):
            raise SandboxError(400, "invalid_fault", f"latency_ms must be 0..{MAX_LATENCY_MS}")
        if status is not None and not _is_int_between(status, 400, 599):
            raise SandboxError(400, "invalid_fault", "status must be null or 400..599")
        if not _is_int_between(times, 1, MAX_TIMES):
            raise SandboxError(400, "invalid_fault", f"times must be 1..{MAX_TIMES}")
        if status is None and latency_ms == 0:
            raise SandboxError(400, "invalid_fault", "give a status, a latency_ms, or both")

        with self._lock:
            if len(self._rules) >= MAX_RULES:
                raise SandboxError(409, "too_many_faults", f"at most {MAX_RULES} fault rules")
            rule = FaultRule(next(self._ids), path_prefix, latency_ms, status, times)
            self._rules.append(rule)
            return rule

    def take(self, path: str) -> FaultRule | None:
        """Consume one use of the first rule matching ``path``; return a snapshot of it."""
        with self._lock:
            for rule in self._rules:
                if path.startswith(rule.path_prefix):
                    rule.remaining -= 1
                    if rule.remaining == 0:
                        self._rules.remove(rule)
                    return FaultRule(**asdict(rule))
        return None

    def list(self) -> list[FaultRule]:
        with self._lock:
            return [FaultRule(**asdict(rule)) for rule in self._rules]

    def clear(self) -> None:
        with self._lock:
            self._rules.clear()


def _is_int_between(value: Any, low: int, high: int) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and low <= value <= high
