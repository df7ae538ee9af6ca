"""Headless Chromium for the browser tests: the flags (offline, no sandbox as root in CI)
and where the binary is."""

from __future__ import annotations

import shutil

WINDOW = (1280, 1600)

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",  # we run as root in CI
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--disable-extensions",
    "--disable-dev-shm-usage",
    "--hide-scrollbars",
    f"--window-size={WINDOW[0]},{WINDOW[1]}",
    "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE 127.0.0.1",
    # Let scripts, fetches and React renders finish before the DOM is dumped or painted.
    "--virtual-time-budget=10000",
    "--run-all-compositor-stages-before-draw",
]


def chromium() -> str | None:
    """The Chromium binary on PATH, or None (the browser tests then skip)."""
    for name in ("chromium", "chromium-browser"):
        path = shutil.which(name)
        if path:
            return path
    return None
