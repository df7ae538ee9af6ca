"""The staff console in a real browser: Playwright for Python driving Debian's Chromium
(never a downloaded browser), at phone width. ``Console`` is one staff member's tab: it
signs in with password and SMS code (read from the sandbox SMS gateway), and checks every
page it visits with axe-core (vendored under tests/console/vendor, evaluated in the page)
for serious or critical violations, for content wider than the phone, and for
Content-Security-Policy violations. Screenshots are kept under the test's tmp dir.

Test modules take the fixtures with ``from tests.support.console_browser import browser, console``
and mark themselves with ``BROWSER_MARKS``.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from tests.support.citizens import read_code
from tests.support.staff import STAFF_PASSWORD, STAFF_PHONES, create_staff

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PHONE = {"width": 390, "height": 844}
AXE = Path(__file__).resolve().parents[1] / "console" / "vendor" / "axe-4.14.1.min.js"

BROWSER_MARKS = [pytest.mark.browser,
              pytest.mark.skipif(not os.access(CHROMIUM, os.X_OK), reason="Debian's chromium is not installed")]


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield chromium
        chromium.close()


class Console:
    """One staff member's browser tab, with the checks every page gets."""

    def __init__(self, browser, app, live_server, shots: Path, role: str):
        self.app, self.base, self.shots, self.role = app, f"{live_server.url}/console", shots, role
        self.context = browser.new_context(viewport=PHONE, is_mobile=True, locale="zh-CN")
        self.context.set_default_timeout(15_000)
        self.page = self.context.new_page()
        self.csp_violations: list[str] = []
        self.page.on("console", self._console)
        self.shot_count = 0

    def _console(self, message):
        if "Content Security Policy" in message.text or "Refused to" in message.text:
            self.csp_violations.append(message.text)

    def check(self, name: str) -> None:
        """Screenshot, axe-core, phone width, CSP: what every page visited must pass."""
        self.shot_count += 1
        self.page.screenshot(path=str(self.shots / f"{self.role}-{self.shot_count:02d}-{name}.png"), full_page=True)
        results = self.page.evaluate(AXE.read_text(encoding="utf-8") + """
            ;axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]}})
              .then(r => r.violations.map(v => ({id: v.id, impact: v.impact, help: v.help,
                                                  nodes: v.nodes.map(n => n.target.join(" ")).slice(0, 3)})))""")
        serious = [v for v in results if v["impact"] in ("serious", "critical")]
        assert not serious, f"{self.role} {name}: axe found {serious}"
        overflow = self.page.evaluate(f"document.documentElement.scrollWidth - {PHONE['width']}")
        assert overflow <= 0, f"{self.role} {name}: the page is {overflow}px wider than the phone"
        assert not self.csp_violations, f"{self.role} {name}: {self.csp_violations}"

    def go(self, path: str, name: str):
        answer = self.page.goto(self.base + path)
        self.check(name)
        return answer

    def sign_in(self, phone: str) -> None:
        page = self.page
        page.goto(self.base + "/login")
        self.check("login")
        page.fill("#code-phone", phone)
        page.click("#send-code")
        page.wait_for_url("**/console/login?*sent=1*")
        page.fill("#password", STAFF_PASSWORD)
        page.fill("#code", read_code(self.app, phone))
        page.click("#sign-in")
        page.wait_for_url("**/console/")
        assert page.locator("h1").inner_text().startswith("您好")
        assert page.evaluate("typeof window.htmx") == "object"  # the vendored htmx ran under the CSP
        self.check("home")

    def refused(self, path: str) -> None:
        answer = self.page.goto(self.base + path)
        assert answer.status == 403
        assert self.page.locator("h1").inner_text() == "无权访问"
        self.check("refused")

    def text(self, selector: str = "main") -> str:
        return self.page.locator(selector).inner_text()

    def close(self):
        self.context.close()


@pytest.fixture
def console(browser, app, live_server, tmp_path):
    opened = []

    def _open(role: str, phone_key: str | None = None) -> Console:
        key = phone_key or role
        create_staff(app, STAFF_PHONES[key], role)
        tab = Console(browser, app, live_server, tmp_path, key)
        tab.sign_in(STAFF_PHONES[key])
        opened.append(tab)
        return tab

    yield _open
    for tab in opened:
        tab.close()
    assert list(tmp_path.glob("*.png")), "no screenshots kept"
