"""The consent page in a real headless Chromium, driven over the DevTools protocol.

Chromium runs with ``--remote-debugging-pipe`` (no extra package: the protocol's JSON
messages travel over file descriptors 3 and 4) on a phone-sized viewport. The test types
the phone, asks for a code (read from the sandbox SMS gateway as other tests do), signs
in, unticks an optional item and approves; the page redirects to the partner with a
code, which Authlib's client exchanges: the token lacks the unticked scope. It also
checks that the page loads nothing but itself (no CDN, no scripts) and fits the phone's
width. Skipped when Chromium is not installed (``make browser``).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import tempfile
import threading
import time
from urllib.parse import parse_qs, urlsplit

import pytest

from tests.support.browser import CHROMIUM_FLAGS, chromium
from tests.support.citizens import LI, read_code, verified
from tests.support.partners import REDIRECT_URI, authorize_url, oauth_session, register

PHONE_VIEWPORT = {"width": 390, "height": 844, "deviceScaleFactor": 2, "mobile": True}
# The docs test's flags, minus those that only suit one-shot --dump-dom runs.
FLAGS = [f for f in CHROMIUM_FLAGS if not f.startswith(("--virtual-time-budget", "--window-size"))]


class DevTools:
    """A Chromium driven over --remote-debugging-pipe (NUL-separated JSON messages)."""

    def __init__(self, binary: str, profile: str):
        to_browser_r, self._to_browser = os.pipe()
        self._from_browser, from_browser_w = os.pipe()
        # bash places the pipe ends at fds 3 and 4 (where Chromium expects them) and execs it.
        script = f'exec "$0" "$@" 3<&{to_browser_r} 4>&{from_browser_w} {to_browser_r}<&- {from_browser_w}>&-'
        self.process = subprocess.Popen(
            ["bash", "-c", script, binary, *FLAGS, "--remote-debugging-pipe", f"--user-data-dir={profile}",
             "about:blank"],
            pass_fds=(to_browser_r, from_browser_w), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True)
        os.close(to_browser_r)
        os.close(from_browser_w)
        self._next_id = 0
        self._buffer = b""
        self.events: list[dict] = []
        self._lock = threading.Lock()

    def _read_message(self, deadline: float) -> dict:
        while b"\0" not in self._buffer:
            if time.monotonic() > deadline:
                raise TimeoutError("no answer from chromium")
            chunk = os.read(self._from_browser, 65536)
            if not chunk:
                raise RuntimeError("chromium closed the pipe")
            self._buffer += chunk
        raw, self._buffer = self._buffer.split(b"\0", 1)
        return json.loads(raw)

    def send(self, method: str, params: dict | None = None, session: str | None = None, timeout: float = 20):
        self._next_id += 1
        message = {"id": self._next_id, "method": method, "params": params or {}}
        if session:
            message["sessionId"] = session
        os.write(self._to_browser, json.dumps(message).encode() + b"\0")
        deadline = time.monotonic() + timeout
        while True:
            answer = self._read_message(deadline)
            if answer.get("id") == self._next_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer.get("result", {})
            self.events.append(answer)

    def wait_for(self, predicate, timeout: float = 20) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            for index, event in enumerate(self.events):
                if predicate(event):
                    return self.events.pop(index)
            self.events.append(self._read_message(deadline))

    def close(self):
        try:
            os.killpg(self.process.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.process.wait(timeout=10)
        os.close(self._to_browser)
        os.close(self._from_browser)


class Page:
    def __init__(self, tools: DevTools):
        self.tools = tools
        target = tools.send("Target.createTarget", {"url": "about:blank"})["targetId"]
        self.session = tools.send("Target.attachToTarget", {"targetId": target, "flatten": True})["sessionId"]
        for domain in ("Page", "Runtime", "Network"):
            self.send(f"{domain}.enable")
        self.send("Emulation.setDeviceMetricsOverride", PHONE_VIEWPORT)

    def send(self, method, params=None):
        return self.tools.send(method, params, session=self.session)

    def _loaded(self, event):
        return event.get("method") == "Page.loadEventFired" and event.get("sessionId") == self.session

    def goto(self, url: str):
        self.tools.events.clear()
        self.send("Page.navigate", {"url": url})
        self.tools.wait_for(self._loaded)

    def js(self, expression: str):
        result = self.send("Runtime.evaluate", {"expression": expression, "returnByValue": True})
        if "exceptionDetails" in result:
            raise AssertionError(f"{expression}: {result['exceptionDetails']}")
        return result["result"].get("value")

    def click_and_wait(self, selector: str):
        self.tools.events.clear()
        self.js(f"document.querySelector({json.dumps(selector)}).click()")
        self.tools.wait_for(self._loaded)

    def requests(self) -> list[str]:
        return [e["params"]["request"]["url"] for e in self.tools.events
                if e.get("method") == "Network.requestWillBeSent" and e.get("sessionId") == self.session]


@pytest.mark.browser
def test_consent_page_in_headless_chromium(app, live_server, operator, sign_in):
    binary = chromium()
    if binary is None:
        pytest.skip("no chromium binary on PATH (chromium / chromium-browser); install Debian's chromium")
    owner = verified(sign_in, LI)
    assert owner.post("/api/v1/licences/sync").status_code == 200
    partner = register(operator)
    session = oauth_session(live_server, partner, scope="openid profile:read licences:read")
    verifier = secrets.token_urlsafe(48)
    url = authorize_url(live_server, session, verifier)

    with tempfile.TemporaryDirectory(prefix="nht-chromium-", ignore_cleanup_errors=True) as profile:
        tools = DevTools(binary, profile)
        try:
            page = Page(tools)
            page.goto(url)
            seen = page.requests()
            assert page.js("document.title") == "登录 - 南海通授权"
            assert "佛山农商银行" in page.js("document.body.innerText")
            assert page.js("document.querySelector('meta[name=viewport]').content").startswith("width=device-width")
            assert page.js("document.scripts.length") == 0
            assert page.js("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]

            page.js(f"document.getElementById('phone').value = {json.dumps(LI.phone)}")
            page.click_and_wait("#send-code")
            seen += page.requests()
            assert "验证码已发送" in page.js("document.getElementById('message').innerText")
            page.js(f"document.getElementById('code').value = {json.dumps(read_code(app, LI.phone))}")
            page.click_and_wait("#login")
            seen += page.requests()

            assert page.js("document.title") == "授权确认 - 南海通"
            text = page.js("document.body.innerText")
            assert "开立账户时核验身份与证照" in text and "实名身份信息" in text and "电子证照" in text
            # Required items cannot be unticked; optional ones can.
            assert page.js("document.querySelector('input[data-scope=\"profile:read\"]').disabled") is True
            assert page.js("document.querySelector('input[data-scope=\"licences:read\"]').disabled") is False
            assert page.js("document.documentElement.scrollWidth") <= PHONE_VIEWPORT["width"]
            shot = page.send("Page.captureScreenshot", {"format": "png"})["data"]
            assert len(shot) > 10_000

            page.js("document.querySelector('input[data-scope=\"licences:read\"]').click()")
            assert page.js("document.querySelector('input[data-scope=\"licences:read\"]').checked") is False
            tools.events.clear()
            page.js("document.getElementById('approve').click()")
            redirect = tools.wait_for(lambda e: e.get("method") == "Network.requestWillBeSent"
                                      and e["params"]["request"]["url"].startswith(REDIRECT_URI))
            callback = redirect["params"]["request"]["url"]
        finally:
            tools.close()

    # Everything the page loaded came from our own server.
    foreign = [u for u in seen if not u.startswith(live_server.url) and not u.startswith("about:")]
    assert not foreign, foreign
    query = parse_qs(urlsplit(callback).query)
    assert "code" in query and query["state"] == [parse_qs(urlsplit(url).query)["state"][0]]
    token = session.fetch_token(f"{live_server.url}/oauth/token", authorization_response=callback,
                                code_verifier=verifier)
    assert set(token["scope"].split()) == {"openid", "profile:read"}
    refused = session.get(f"{live_server.url}/open/v1/licences", timeout=10)
    assert refused.status_code == 403 and refused.json()["code"] == "insufficient_scope"
