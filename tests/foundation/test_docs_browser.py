"""The /docs page renders in a real headless Chromium, offline, from our own server only.

tests/foundation/test_openapi.py checks that the page *references* local assets; this test
proves Swagger UI actually *ran*: its JavaScript fetched /openapi.json and rendered the
API title and every documented path into the DOM, and a screenshot shows a painted page.

Offline, enforced and observed:
* enforced: every non-loopback request goes to ``--proxy-server``, a local proxy that
  refuses everything (loopback bypasses proxies), and host names other than 127.0.0.1
  do not resolve. A page that needed a CDN would fail to render.
* observed: Chromium's NetLog records each request with its initiator. Every request
  the page itself started (initiator = our origin) must be to our server. Requests with
  no initiator are Chromium's own services (network time, component/extension updater,
  account lookup): the Debian build makes them despite the --disable-* flags. They are
  refused like everything else and say nothing about our page, so they are not counted.
"""

from __future__ import annotations

import json
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nanhaitong import API_TITLE
from tests.support.browser import WINDOW, RefusingProxy, SwaggerDom, chromium, png_size_and_variety, run_chromium


@pytest.fixture
def refusing_proxy():
    proxy = RefusingProxy()
    yield proxy
    proxy.close()


def _page_requests(netlog: Path, origin: str) -> list[str]:
    """URLs of the requests the page (not the browser) started, from a Chromium NetLog."""
    text = netlog.read_text(encoding="utf-8")
    try:
        log = json.loads(text)
    except json.JSONDecodeError:  # a browser stopped mid-write leaves the events list open
        log = json.loads(text.rstrip().rstrip(",") + "]}")
    start_job = log["constants"]["logEventTypes"]["URL_REQUEST_START_JOB"]
    return [
        event["params"]["url"]
        for event in log["events"]
        if event["type"] == start_job and event.get("params", {}).get("initiator") == origin
    ]


@pytest.mark.browser
def test_swagger_ui_renders_our_spec_offline(app, live_server, refusing_proxy, tmp_path):
    binary = chromium()
    if binary is None:
        pytest.skip("no chromium binary on PATH (chromium / chromium-browser); install Debian's chromium")
    origin = live_server.url
    # Groups open collapsed for people; every operation must render once they are opened.
    url = f"{origin}/docs?docExpansion=list"
    spec = app.extensions["nht.api"].spec.to_dict()
    documented_paths = set(spec["paths"])
    assert "/health/live" in documented_paths

    netlog = tmp_path / "netlog.json"
    dumped = run_chromium(binary, refusing_proxy, f"--log-net-log={netlog}", "--dump-dom", url)
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    dom = SwaggerDom()
    dom.feed(dumped.stdout)
    text = dom.visible_text

    # Swagger UI's own error screens, reported as such rather than as a missing element.
    for failure in ("Unable to render this definition", "Failed to load API definition"):
        assert failure not in text, (
            f"Swagger UI ran but did not render our spec (openapi {spec['openapi']!r}): "
            f"{text[text.index(failure):][:300]}"
        )
    assert "swagger-ui" in dom.classes, "Swagger UI's JavaScript did not run (no .swagger-ui element)"
    assert dom.title == spec["info"]["title"] == API_TITLE, f"rendered title: {dom.title!r}"
    assert documented_paths <= dom.paths, f"paths not rendered: {sorted(documented_paths - dom.paths)}"

    page_requests = _page_requests(netlog, origin)
    assert f"{origin}/openapi.json" in page_requests, f"the page never fetched the spec: {page_requests}"
    foreign = [u for u in page_requests if f"{urlsplit(u).scheme}://{urlsplit(u).netloc}" != origin]
    assert not foreign, (
        f"the docs page reached beyond our server: {foreign} (refused by the proxy: {refusing_proxy.requests})"
    )

    screenshot = tmp_path / "docs.png"
    shot = run_chromium(binary, refusing_proxy, f"--screenshot={screenshot}", url)
    assert shot.returncode == 0, shot.stderr[-2000:]
    png = screenshot.read_bytes()
    size, variety = png_size_and_variety(png)
    assert size == WINDOW, size
    # A blank page decodes to a handful of byte values; a rendered one to hundreds.
    assert len(png) > 10_000 and variety > 16, f"the screenshot looks blank ({len(png)} bytes, {variety} values)"
