"""What the environment says for an upstream's URL, read once per test process.

Every app a test builds makes a dozen upstream clients, and each reads the environment
for its base URL (``integrations.http._settled_session``: proxies, CA bundle, netrc):
requests scans every variable several times for it, a fortieth of a test's CPU. Here the
answer is kept per base URL and environment, so a test that sets a proxy variable still
gets what it set; each client still gets a session of its own.

Tests only: the application builds its clients once per process.
"""

from __future__ import annotations

import os

import requests

import integrations.http

_settled: dict[tuple, tuple] = {}


def install() -> None:
    if getattr(integrations.http._settled_session, "memoized", False):
        return
    settled_session = integrations.http._settled_session

    def memoized(base_url: str) -> requests.Session:
        # The environment's raw bytes: decoding every variable for the key cost as much as
        # half of what it saves.
        key = (base_url, frozenset(getattr(os.environ, "_data", os.environ).items()))
        known = _settled.get(key)
        if known is None:
            session = settled_session(base_url)
            _settled[key] = (dict(session.proxies), session.verify, session.auth)
            return session
        proxies, verify, auth = known
        session = requests.Session()
        session.proxies.update(proxies)
        session.verify, session.auth, session.trust_env = verify, auth, False
        return session

    memoized.memoized = True
    memoized.__wrapped__ = settled_session
    integrations.http._settled_session = memoized
