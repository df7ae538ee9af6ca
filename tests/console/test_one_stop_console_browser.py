"""The one-stop staff journeys in a real browser (issue 27), with the checks every console
page gets (axe-core, phone width, the strict CSP; see tests/support/console_browser.py):
an operator finds a bad rating in the follow-up queue, answers it and the person sees the
answer; the operator moves a case on from the deadline warnings; an auditor reads the
statistics and exports the ratings, and is refused the operators' pages."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from nanhaitong.timeutil import china_today
from tests.support.citizens import citizen_at
from tests.support.console_browser import BROWSER_MARKS
from tests.support.one_stop import bad_rating, counter_case, matter_body
from tests.support.staff import create_staff, sign_in_staff

pytestmark = BROWSER_MARKS
ADMIN = "/api/v1/admin/one-stop"


def api_operator(app):
    create_staff(app, "13900139031", "operator")
    return sign_in_staff(app, app.test_client(), "13900139031")


def test_operator_answers_a_bad_rating_and_moves_a_warned_case_on(app, console, sign_in):
    operator_api = api_operator(app)
    citizen, _ = citizen_at(sign_in, level=2)
    matter = operator_api.post(f"{ADMIN}/matters", json=matter_body(name="不动产登记", legal_days=1,
                                                                    promised_days=1)).get_json()
    rated = bad_rating(operator_api, citizen, matter["id"], text="材料被退回三次")
    warned = counter_case(operator_api, matter["id"], citizen.phone)

    operator = console("operator")
    page = operator.page
    page.click("text=差评整改")
    page.wait_for_url("**/console/one-stop/followups")
    operator.check("followups")
    assert "材料被退回三次" in operator.text("#followups") and "多次跑动" in operator.text("#followups")
    page.fill(f"#answer-{rated['followup']['id']}", "已指定专人预审材料，一次告知所需补正内容。")
    page.click("button.answer")
    page.wait_for_selector(".notice")
    operator.check("followup-answered")
    assert "已回复" in operator.text(".notice") and "材料被退回三次" not in operator.text("#followups")
    seen = citizen.get(f"/api/v1/one-stop/cases/{rated['case_id']}/evaluation").get_json()["followup"]
    assert seen["status"] == "answered" and seen["answer"] == "已指定专人预审材料，一次告知所需补正内容。"

    operator.go("/one-stop/case-warnings", "warnings")
    page.click(f"text={warned['number']}")
    page.wait_for_url(f"**/console/one-stop/cases/{warned['id']}")
    operator.check("case")
    page.check("input[name=status][value=completed]")
    page.fill("#note", "已办结，证书可邮寄")
    page.click("#set-status")
    page.wait_for_selector(".notice")
    operator.check("case-completed")
    assert operator.text("#case-status") == "已办结" and "已办结，证书可邮寄" in operator.text("#case-history")

    operator.go("/one-stop/matters", "matters")
    page.click("#new-matter")
    page.wait_for_url("**/console/one-stop/matters/new")
    operator.check("matter-form")
    page.fill("#code", "NH-MZ-0901")
    page.fill("#name", "婚姻登记预约")
    page.fill("#department", "佛山市南海区民政局")
    page.check("input[name=centres][value=guicheng]")
    page.fill("#legal_days", "1")
    page.fill("#promised_days", "1")
    page.click("#save-matter")
    page.wait_for_selector("#matter-saved")
    operator.check("matter-saved")
    page.fill("#name", "婚姻登记（预约办理）")  # edit it: the code stays as it was
    page.click("#save-matter")
    page.wait_for_selector("#matter-saved")
    assert page.locator("h1").inner_text() == "婚姻登记（预约办理）" and page.input_value("#code") == "NH-MZ-0901"
    operator.refused("/audit")


def test_auditor_reads_statistics_exports_and_is_refused_the_operators_pages(app, console, sign_in):
    operator_api = api_operator(app)
    citizen, _ = citizen_at(sign_in, level=2)
    matter = operator_api.post(f"{ADMIN}/matters", json=matter_body(name="出生医学证明补发")).get_json()
    bad_rating(operator_api, citizen, matter["id"], level=1, reasons=["attitude"], text="态度生硬")

    auditor = console("auditor")
    page = auditor.page
    page.click("text=好差评统计")
    page.wait_for_url("**/console/one-stop/stats")
    auditor.check("stats")
    assert "桂城街道行政服务中心" in auditor.text("#stats")
    page.select_option("#by", "matter")
    page.click("#show-stats")
    page.wait_for_url("**/console/one-stop/stats?*by=matter*")
    auditor.check("stats-by-matter")
    assert "出生医学证明补发" in auditor.text("#stats")
    today = china_today().isoformat()
    page.fill("#from_day", today)
    page.fill("#to_day", today)
    with page.expect_download() as download:
        page.click("#export")
    rows = list(csv.DictReader(io.StringIO(Path(download.value.path()).read_text(encoding="utf-8-sig"))))
    assert [(r["taskName"], r["alternateName"], r["writingEvaluation"]) for r in rows[1:]] == [
        ("出生医学证明补发", "非常不满意", "态度生硬")]
    auditor.refused("/one-stop/followups")
    auditor.refused("/one-stop/matters")
