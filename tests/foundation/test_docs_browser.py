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
import os
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import zlib
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from nanhaitong import API_TITLE
from tests.support.browser import CHROMIUM_FLAGS, WINDOW, chromium

BROWSER_TIMEOUT_SECONDS = 60


class _RefusingProxy:
    """An HTTP proxy that serves nothing: it notes each request line and answers 403."""

    def __init__(self):
        self.requests: list[str] = []
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(16)
        self.address = f"127.0.0.1:{self.sock.getsockname()[1]}"
        threading.Thread(target=self._serve, daemon=True).start()

    def _serve(self):
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:  # closed
                return
            with conn:
                conn.settimeout(2)
                try:
                    line = conn.recv(4096).split(b"\r\n", 1)[0].decode("latin-1")
                    conn.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
                except OSError:
                    line = "<unreadable>"
                self.requests.append(line)

    def close(self):
        self.sock.close()


@pytest.fixture
def refusing_proxy():
    proxy = _RefusingProxy()
    yield proxy
    proxy.close()


def _run_chromium(binary: str, proxy: _RefusingProxy, *args: str) -> subprocess.CompletedProcess:
    """Run one headless Chromium in its own process group; kill the whole group on timeout."""
    with tempfile.TemporaryDirectory(prefix="nht-chromium-", ignore_cleanup_errors=True) as profile:
        command = [
            binary, *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            f"--proxy-server=http://{proxy.address}",
            *args,
        ]
        process = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, start_new_session=True,
        )
        try:
            stdout, stderr = process.communicate(timeout=BROWSER_TIMEOUT_SECONDS)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)  # renderer, zygote and GPU helpers too
            process.communicate()
            pytest.fail(f"chromium did not finish within {BROWSER_TIMEOUT_SECONDS} s: {' '.join(command)}")
        finally:
            # Helpers of a browser that has exited must not outlive the test either.
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
        return subprocess.CompletedProcess(
            command, process.returncode,
            stdout.decode("utf-8", "replace"), stderr.decode("utf-8", "replace"),
        )


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


class _SwaggerDom(HTMLParser):
    """Collects what Swagger UI renders: class names, the info title, each operation's path."""

    def __init__(self):
        super().__init__()
        self.classes: set[str] = set()
        self.paths: set[str] = set()
        self.title_parts: list[str] = []
        self.text: list[str] = []
        self._title_depth = 0
        self._code_depth = 0  # inside <script>/<style>: code, not rendered text

    def handle_starttag(self, tag, attrs):
        if tag in ("script", "style"):
            self._code_depth += 1
        attrs = dict(attrs)
        classes = (attrs.get("class") or "").split()
        self.classes.update(classes)
        if "opblock-summary-path" in classes and attrs.get("data-path"):
            self.paths.add(attrs["data-path"])
        if self._title_depth:
            self._title_depth += 1
        elif tag == "h2" and "title" in classes:
            self._title_depth = 1

    def handle_endtag(self, tag):
        if tag in ("script", "style") and self._code_depth:
            self._code_depth -= 1
        if self._title_depth:
            self._title_depth -= 1

    def handle_data(self, data):
        if self._code_depth:
            return
        self.text.append(data)
        if self._title_depth == 1:  # the title's own text, not the version badges inside it
            self.title_parts.append(data)

    @property
    def title(self) -> str:
        return "".join(self.title_parts).strip()

    @property
    def visible_text(self) -> str:
        return " ".join(" ".join(self.text).split())


def _png_size_and_variety(png: bytes) -> tuple[tuple[int, int], int]:
    """(width, height) and the number of distinct byte values in the decoded image data."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    size = struct.unpack(">II", png[16:24])  # IHDR is the first chunk
    pos, idat = 8, b""
    while pos < len(png):
        (length,) = struct.unpack(">I", png[pos:pos + 4])
        if png[pos + 4:pos + 8] == b"IDAT":
            idat += png[pos + 8:pos + 8 + length]
        pos += 12 + length
    return size, len(set(zlib.decompress(idat)))


@pytest.mark.browser
def test_swagger_ui_renders_our_spec_offline(app, live_server, refusing_proxy, tmp_path):
    binary = chromium()
    if binary is None:
        pytest.skip("no chromium binary on PATH (chromium / chromium-browser); install Debian's chromium")
    origin = live_server.url
    url = f"{origin}/docs"
    spec = app.extensions["nht.api"].spec.to_dict()
    documented_paths = set(spec["paths"])
    assert "/health/live" in documented_paths

    netlog = tmp_path / "netlog.json"
    dumped = _run_chromium(binary, refusing_proxy, f"--log-net-log={netlog}", "--dump-dom", url)
    assert dumped.returncode == 0, dumped.stderr[-2000:]
    dom = _SwaggerDom()
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
    shot = _run_chromium(binary, refusing_proxy, f"--screenshot={screenshot}", url)
    assert shot.returncode == 0, shot.stderr[-2000:]
    png = screenshot.read_bytes()
    size, variety = _png_size_and_variety(png)
    assert size == WINDOW, size
    # A blank page decodes to a handful of byte values; a rendered one to hundreds.
    assert len(png) > 10_000 and variety > 16, f"the screenshot looks blank ({len(png)} bytes, {variety} values)"
