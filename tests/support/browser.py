"""Headless Chromium for the browser tests: the flags (offline, no sandbox as root in CI),
where the binary is, a proxy refusing every request, running Chromium with it, reading
the DOM Swagger UI rendered and the screenshot painted, Chinese locale, kept screenshots."""

from __future__ import annotations

import os
import shutil
import signal
import socket
import struct
import subprocess
import tempfile
import threading
import zlib
from html.parser import HTMLParser

import pytest

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


BROWSER_TIMEOUT_SECONDS = 60


class RefusingProxy:
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


def run_chromium(binary: str, proxy: RefusingProxy, *args: str) -> subprocess.CompletedProcess:
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


class SwaggerDom(HTMLParser):
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


def png_size_and_variety(png: bytes) -> tuple[tuple[int, int], int]:
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


CHINESE = ("--lang=zh-CN", "--accept-lang=zh-CN")


def cjk_font_installed() -> bool:
    listing = subprocess.run(["fc-list", ":lang=zh", "file"], capture_output=True, text=True, timeout=30)
    return bool(listing.stdout.strip())


def keep(screenshot, name: str) -> None:
    target = os.environ.get("NHT_SCREENSHOT_DIR")
    if target:
        os.makedirs(target, exist_ok=True)
        shutil.copy(screenshot, os.path.join(target, name))


def browser_or_skip() -> str:
    binary = chromium()
    if binary is None:
        pytest.skip("no chromium binary on PATH; install Debian's chromium (make browser)")
    assert shutil.which("fc-list") and cjk_font_installed(), (
        "no font with Chinese glyphs: Chromium would paint boxes (Debian: fonts-droid-fallback or fonts-wqy-zenhei)")
    return binary
