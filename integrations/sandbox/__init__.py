"""Sandbox upstreams: simulators that speak each upstream's protocol over real HTTP.

One werkzeug WSGI app (no Flask) serves them all. The API mounts it under
``/sandbox/`` with ``DispatcherMiddleware``; ``python -m integrations.sandbox``
runs it alone.

Besides each simulator's own paths (``/sms/...``) it serves:

- ``GET /demo``: per simulator, the demo data and hints a tester needs.
- ``POST /_control/faults`` ``{"path_prefix", "latency_ms", "status", "times"}``:
  delay and/or fail the next ``times`` requests under ``path_prefix``;
  ``GET`` lists the rules with what remains of them, ``DELETE`` drops them all.
- ``POST /_control/reset``: forget all simulator state and fault rules.

Every error is JSON ``{"code", "message"}``.

Adding a simulator: subclass :class:`~integrations.sandbox.base.Simulator` in a new
module (rules, ``demo()``, ``reset()``) and list it in ``registry.SIMULATORS``.
"""

from integrations.sandbox.app import SandboxApp, create_sandbox_app
from integrations.sandbox.registry import DEFAULT_API_KEYS

__all__ = ["DEFAULT_API_KEYS", "SandboxApp", "create_sandbox_app"]
