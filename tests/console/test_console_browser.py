"""Each role's journey through the console in a real browser: Playwright for Python driving
Debian's Chromium (never a downloaded browser), at phone width.

Each journey signs in with password and SMS code (read from the sandbox SMS gateway),
does the role's main job, sees the result, and is refused another role's page. Every
page visited is checked by axe-core (vendored under tests/console/vendor, evaluated in
the page) for serious or critical violations, for content wider than the phone, and for
Content-Security-Policy violations (the page must work under its own strict policy).
Screenshots are kept under the test's tmp dir (pytest's basetemp) as artefacts.
Skipped when /usr/bin/chromium is missing (`.ci/run` installs it).
"""

from __future__ import annotations

import csv
import io
import os
from pathlib import Path

import pytest
import requests

from nanhaitong.timeutil import china_today
from tests.support.citizens import CHEN, LI, citizen_at, read_code, verified
from tests.support.enterprises import GUICHENG, registered
from tests.support.payments import order, sandbox, stuck_in_refunding, wait_for
from tests.support.staff import STAFF_PASSWORD, STAFF_PHONES, create_staff

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"]
PHONE = {"width": 390, "height": 844}
AXE = Path(__file__).parent / "vendor" / "axe-4.14.1.min.js"

pytestmark = [pytest.mark.browser,
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


def test_operator_looks_up_a_citizen_with_a_reason_and_manages_staff(app, console, sign_in, runner):
    li = verified(sign_in, LI)
    created = runner.invoke(args=["partners", "create", "--name", "佛山政务助手", "--redirect-uri",
                                  "https://partner.example/cb", "--scope", "openid", "--purpose", "办事提醒"])
    assert created.exit_code == 0, created.output
    operator = console("operator")
    page = operator.page

    operator.go("/people", "people")
    page.fill("#value", LI.phone)
    page.fill("#reason", "市民来电咨询社保业务")
    page.click("#lookup")
    page.wait_for_selector("#results")
    operator.check("people-found")
    found = operator.text()
    assert LI.phone[-4:] in found and LI.phone not in found and LI.id_number not in found
    [entry] = [e for e in li.get("/api/v1/me/access-log").get_json()["items"] if e["accessor"]["kind"] == "staff"]
    assert entry["reason"] == "市民来电咨询社保业务"

    operator.go("/partners", "partners")
    page.fill("#partner-name", "南海农商银行")
    page.fill("#partner-redirect", "https://bank.example.com/cb")
    page.check("input[name=scopes][value='licences:read']")
    page.click("#register-partner")
    page.wait_for_selector("#partner-secrets")
    operator.check("partner-registered")
    client_id = page.locator("#partner-secrets dd code").first.inner_text()
    assert client_id.startswith("nhtp_") and "南海农商银行" in operator.text("table")
    page.click("text=更换 南海农商银行 的密钥")
    page.wait_for_selector("#partner-secrets")
    assert page.locator("#partner-secrets dd code").first.inner_text() == client_id  # same client, new secrets
    page.click("text=停用 佛山政务助手")
    page.wait_for_selector(".notice")
    assert "已停用" in operator.text() and "恢复 佛山政务助手" in operator.text()

    assert runner.invoke(args=["gov-services", "catalogue", "load"]).exit_code == 0
    operator.go("/catalogue", "catalogue")
    first = page.locator("table tbody tr:first-child button.danger")
    name = first.inner_text().removeprefix("下架 ")
    first.click()
    page.wait_for_selector(".notice")
    assert f"已下架：{name}" in operator.text() and f"上架 {name}" in operator.text()

    operator.go("/staff", "staff")
    page.fill("#new-phone", "13900139011")
    page.select_option("#new-role", "auditor")
    page.fill("#new-password", STAFF_PASSWORD)
    page.click("#create-staff")
    page.wait_for_selector(".notice")
    operator.check("staff-created")
    assert "139****9011" in operator.text()

    operator.refused("/orders")
    operator.refused("/audit")


def test_policy_editor_previews_publishes_and_watches_the_fan_out(app, console, sign_in):
    registered(verified(sign_in, CHEN), GUICHENG)  # one enterprise to match
    editor = console("policy_editor")
    page = editor.page
    editor.go("/policies", "policies")
    page.fill("#title", "南海区中小企业数字化转型补贴")
    page.fill("#issuer", "南海区工业和信息化局")
    page.fill("#summary", "对完成数字化改造的中小企业给予补贴。")
    page.fill("#eligibility", "在南海区登记注册的中小企业。")
    page.fill("#how_to_apply", "通过南海通企业端在线申报。")
    page.fill("#body", "具体以正式文件为准。")
    page.click("#preview-button")  # htmx posts the form and swaps in the count
    page.wait_for_selector("#match-count")
    assert "1" in page.locator("#match-count strong").inner_text()
    assert page.url.endswith("/console/policies")  # swapped in place, no navigation
    editor.check("preview")
    page.click("#save-draft")
    page.wait_for_url("**/console/policies/*")
    assert editor.text("#policy-status") == "草稿"
    page.click("#publish")
    page.wait_for_selector("#fanout-bar")
    wait_for(lambda: "已完成" in editor.text("#progress"))
    bar = page.locator("#fanout-bar")
    assert bar.get_attribute("value") == bar.get_attribute("max") == "1"
    editor.check("published")
    assert editor.text("#policy-status") == "已发布"
    page.click("#withdraw")
    page.wait_for_selector(".notice")
    assert editor.text("#policy-status") == "已撤回"
    editor.refused("/people")
    editor.refused("/stuck")


def test_payments_ops_refund_needs_a_second_person_and_ends_refunded(app, console, sign_in):
    payer, _ = citizen_at(sign_in, level=2)
    stuck = stuck_in_refunding(app, payer, amount_fen=2500)  # above the 2000 fen threshold
    ops = console("payments_ops")
    page = ops.page

    ops.go("/stuck", "stuck")
    assert page.locator("#stuck-alert").is_visible() and stuck["out_trade_no"] in ops.text()
    ops.go("/orders", "orders")
    page.fill("#phone", payer.phone)
    page.click("#search")
    page.wait_for_url("**/console/orders?*")
    ops.check("orders-found")
    page.click(f"text={stuck['out_trade_no']}")
    page.wait_for_url(f"**/console/orders/{stuck['id']}")
    ops.check("order")
    assert "支付渠道通知" in ops.text(".timeline")
    page.fill("#reason", "渠道退款被拒，人工重新退款")
    page.click("#refund")
    page.wait_for_selector(".notice")
    assert "等待另一位支付运营人员审批" in ops.text()
    assert order(payer, stuck["id"])["status"] == "refunding"

    ops.go("/refunds", "refunds-own")
    page.click("button.approve")
    assert page.locator("h1").inner_text() == "无权访问" and "另一位" in ops.text()

    second = console("payments_ops", "payments_ops_2")
    second.go("/refunds", "refunds")
    second.page.fill("input[name=note]", "已电话核实")
    second.page.click("button.approve")
    second.page.wait_for_selector(".notice")
    assert "已批准" in second.text()
    wait_for(lambda: order(payer, stuck["id"])["status"] == "refunded")
    ops.go(f"/orders/{stuck['id']}", "order-refunded")
    assert ops.text("#order-status") == "已退款"

    # today's statement has a payment we never saw: reconcile, then say how it was resolved
    planted = requests.post(f"{sandbox(app)}/wechat/_control/trades", timeout=10, json={
        "date": china_today().isoformat(), "out_trade_no": "NHTFOREIGN000000000001", "amount_fen": 999})
    assert planted.status_code == 201
    ops.go("/reconciliation", "reconciliation")
    page.select_option("#channel", "wechat")
    page.click("#reconcile")
    page.wait_for_url("**/console/reconciliation/*")
    ops.check("run")
    assert "NHTFOREIGN000000000001" in ops.text() and ops.text("#unresolved") == "1"
    page.fill("input[name=note]", "非本平台订单，已与微信支付核实")
    page.click("text=保存说明")
    page.wait_for_selector(".notice")
    assert ops.text("#unresolved") == "0" and "已与微信支付核实" in ops.text()
    ops.refused("/staff")
    ops.refused("/policies")


def test_auditor_filters_events_verifies_the_chain_exports_csv_and_reads_access_logs(app, console, sign_in):
    li = verified(sign_in, LI)
    auditor = console("auditor")
    page = auditor.page
    auditor.go("/audit?action=auth.", "audit")
    assert "auth.login" in auditor.text() and "staff.created" not in auditor.text()
    page.click("table tbody tr:first-child a")
    page.wait_for_url("**/console/audit/events/*")
    auditor.check("event")
    assert auditor.text("#event-action").startswith("auth.")

    auditor.go("/audit/verify", "verify")
    page.click("#verify")
    page.wait_for_selector("#verify-result")
    auditor.check("verified")
    assert "审计链完整" in auditor.text("#verify-result")

    auditor.go("/audit", "audit-all")
    with page.expect_download() as download:
        page.click("#export")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert {"staff.created", "auth.login", "audit.chain_verified"} <= {r["action"] for r in rows}
    assert download.value.suggested_filename == f"audit-{china_today()}-{china_today()}.csv"

    operator_api = app.test_client()
    from tests.support.staff import STAFF_PHONES as PHONES
    from tests.support.staff import sign_in_staff

    create_staff(app, PHONES["operator"], "operator")
    operator = sign_in_staff(app, operator_api, PHONES["operator"])
    assert operator.post("/api/v1/admin/people/lookups", json={"phone": LI.phone, "reason": "核对办件材料"}
                         ).status_code == 200
    auditor.go("/access-log?accessor_kind=staff", "access-log")
    assert "核对办件材料" in auditor.text() and li.phone not in auditor.text()
    auditor.refused("/orders")
    auditor.refused("/staff")


def test_operator_manages_a_partners_keys_and_webhooks(app, console, runner, live_server):
    import json

    from cryptography.hazmat.primitives.asymmetric import ec
    from joserfc.jwk import ECKey

    made = runner.invoke(args=["partners", "create", "--name", "佛山税务助手", "--redirect-uri",
                               "https://partner.example/cb", "--scope", "openid"])
    assert made.exit_code == 0, made.output
    partner = json.loads(made.stdout)
    key = ECKey.import_key(ec.generate_private_key(ec.SECP256R1()))
    public = {**key.as_dict(private=False), "kid": key.thumbprint()}
    hook = f"{live_server.url}/partner-hooks/tax"  # loopback http: allowed in tests
    operator = console("operator")
    page = operator.page

    operator.go("/partners", "partners-list")
    page.click("a:text('佛山税务助手')")
    page.wait_for_url(f"**/console/partners/{partner['id']}")
    operator.check("partner")

    page.select_option("#auth-method", "private_key_jwt")
    page.fill("#jwks", json.dumps({"keys": [public]}))
    page.click("#save-keys")
    page.wait_for_selector(".notice")
    operator.check("partner-keys-saved")
    assert "已保存公钥设置" in operator.text(".notice")

    page.fill("#new-webhook-url", hook)
    page.check("form:has(#add-webhook) input[value='consent.revoked']")
    page.click("#add-webhook")
    page.wait_for_selector("form.subscription")
    operator.check("webhook-added")
    page.click(f"text=停用订阅 {hook}")
    page.wait_for_selector(f"text=启用订阅 {hook}")
    assert operator.text("form.subscription .subscription-state") == "已停用"
    operator.check("webhook-off")

    page.click("#rotate-secrets")
    page.wait_for_selector("#partner-secrets")
    assert page.locator("#partner-secrets dd code").first.inner_text() == partner["client_id"]
    assert page.locator("#partner-secrets dd code").nth(1).inner_text() != partner["client_secret"]
    page.click("#disable-partner")
    page.wait_for_selector("#enable-partner")
    assert operator.text("#partner-status") == "已停用"
    operator.check("partner-disabled")

    # What the page did is what the registry holds (read back by the operators' CLI).
    [listed] = [p for p in json.loads(runner.invoke(args=["partners", "list"]).stdout) if p["id"] == partner["id"]]
    assert listed["auth_method"] == "private_key_jwt" and listed["jwks"] == {"keys": [public]}
    assert listed["status"] == "suspended" and listed["credentials_rotated_at"]

    # A bad key set is refused with the field named, and nothing changes.
    page.fill("#jwks", '{"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}')
    page.click("#save-keys")
    page.wait_for_selector("h1:text('输入有误')")
    operator.check("partner-keys-refused")
