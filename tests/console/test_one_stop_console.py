"""The console's one-stop pages over plain HTTP (issue 27): the matters catalogue, cases with
their history and the deadline warnings, follow-ups of bad ratings, statistics and the
national export; each page refused to the roles it is not for. (The browser test walks
the follow-up journey with axe.)"""

from __future__ import annotations

import csv
import io
import json

from tests.support.audit import audit_rows
from tests.support.citizens import citizen_at
from tests.support.one_stop import bad_rating, counter_case, matter_body
from tests.support.staff import create_staff, sign_in_staff

from .conftest import console_sign_in, csrf

ADMIN = "/api/v1/admin/one-stop"
API_OPERATOR = "13900139031"
OPERATOR_PAGES = ["/console/one-stop/matters", "/console/one-stop/matters/new", "/console/one-stop/cases",
                  "/console/one-stop/case-warnings", "/console/one-stop/followups"]
READER_PAGES = ["/console/one-stop/stats"]


def api_operator(app):
    create_staff(app, API_OPERATOR, "operator")
    return sign_in_staff(app, app.test_client(), API_OPERATOR)


def add_matter(operator, **kw) -> dict:
    answer = operator.post(f"{ADMIN}/matters", json=matter_body(**kw))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def page_text(answer) -> str:
    return answer.get_data(as_text=True)


def test_each_role_sees_its_one_stop_pages_and_is_refused_the_others(app, client, make_app):
    console_sign_in(app, client, "operator")
    home = page_text(client.get("/console/"))
    assert "办事事项" in home and "差评整改" in home and "好差评统计" in home
    for path in OPERATOR_PAGES + READER_PAGES:
        answer = client.get(path)
        assert answer.status_code == 200, (path, page_text(answer))
        page = page_text(answer)
        assert page.count('method="post"') == page.count('name="csrf_token"')
    for role in ("auditor", "policy_editor"):
        other = app.test_client()
        console_sign_in(app, other, role)
        for path in OPERATOR_PAGES:
            refused = other.get(path)
            assert refused.status_code == 403 and "无权访问" in page_text(refused), (role, path)
        reader = other.get("/console/one-stop/stats")
        assert reader.status_code == (200 if role == "auditor" else 403), role
    denials = audit_rows(app, action="authorization.denied")
    assert {json.loads(r.details)["action"] for r in denials} == {"admin:one_stop.manage", "admin:one_stop.read"}


def test_operator_adds_edits_and_retires_a_matter(app, client):
    console_sign_in(app, client, "operator")
    form = page_text(client.get("/console/one-stop/matters/new"))
    fields = {"csrf_token": csrf(form), "code": "NH-SC-0901", "name": "食品经营许可证新办", "audience": "enterprise",
              "department": "佛山市南海区市场监督管理局", "centres": ["guicheng", "dali"],
              "materials": "营业执照｜原件核验\n食品安全管理制度", "legal_days": "20", "promised_days": "5",
              "fee_yuan": "0", "visits": "1", "slot_capacity": "3", "online": "1"}
    made = client.post("/console/one-stop/matters/new", data=fields)
    assert made.status_code == 302, page_text(made)
    page = page_text(client.get(made.headers["Location"]))
    assert "已保存" in page and "食品经营许可证新办" in page and "原件核验" in page
    listed = api_operator(app).get(f"{ADMIN}/matters", query_string={"q": "食品经营"}).get_json()["items"]
    [matter] = [m for m in listed if m["code"] == "NH-SC-0901"]
    assert matter["centres"] == ["dali", "guicheng"] and matter["materials"][0] == {
        "name": "营业执照", "copies": 1, "note": "原件核验"} and matter["online"] is True

    edit_form = {k: v for k, v in fields.items() if k != "code"}  # the edit form has no code to send
    edited = client.post(f"/console/one-stop/matters/{matter['id']}", data={
        **edit_form, "name": "食品经营许可证（新办）", "legal_days": "15"})
    assert edited.status_code == 302, page_text(edited)
    page = page_text(client.get(f"/console/one-stop/matters/{matter['id']}"))
    assert "食品经营许可证（新办）" in page and 'value="NH-SC-0901"' in page and 'value="15"' in page
    smuggled = client.post(f"/console/one-stop/matters/{matter['id']}", data={
        **edit_form, "name": "食品经营许可证（新办）", "legal_days": "15", "code": "NH-SC-0999"})
    assert smuggled.status_code == 302
    assert 'value="NH-SC-0901"' in page_text(client.get(f"/console/one-stop/matters/{matter['id']}"))

    bad = client.post("/console/one-stop/matters/new", data={**fields, "code": "NH-SC-0902", "centres": []})
    assert bad.status_code == 422 and "输入有误" in page_text(bad)

    listing = page_text(client.get("/console/one-stop/matters", query_string={"q": "食品经营"}))
    retired = client.post("/console/one-stop/matters", data={"csrf_token": csrf(listing), "matter_id": matter["id"],
                                                             "action": "retire"})
    assert retired.status_code == 200 and "已停用事项：食品经营许可证（新办）" in page_text(retired)
    assert "恢复 食品经营许可证（新办）" in page_text(retired)
    changes = [(r.action, r.actor) for r in audit_rows(app, prefix="one_stop.matter_") if r.object_id == matter["id"]]
    assert [a for a, _ in changes] == ["one_stop.matter_created", "one_stop.matter_updated", "one_stop.matter_updated",
                                      "one_stop.matter_retired"]
    assert len({actor for _, actor in changes}) == 1


def test_operator_moves_a_case_on_and_sees_its_history_and_the_deadline_warning(app, client, sign_in):
    operator = api_operator(app)
    citizen, _ = citizen_at(sign_in, level=2)
    soon = add_matter(operator, name="再生育服务登记", legal_days=1, promised_days=1)
    case = counter_case(operator, soon["id"], citizen.phone)
    console_sign_in(app, client, "operator")
    warnings = page_text(client.get("/console/one-stop/case-warnings"))
    assert case["number"] in warnings and "再生育服务登记" in warnings
    listed = page_text(client.get("/console/one-stop/cases", query_string={"status": case["status"]}))
    assert case["number"] in listed
    page = page_text(client.get(f"/console/one-stop/cases/{case['id']}"))
    assert "再生育服务登记" in page and case["deadline"] in page and citizen.phone not in page
    done = client.post(f"/console/one-stop/cases/{case['id']}", data={
        "csrf_token": csrf(page), "status": "completed", "note": "材料齐全，当场办结"})
    assert done.status_code == 200, page_text(done)
    page = page_text(done)
    assert "办件已更新为：已办结" in page and "材料齐全，当场办结" in page
    assert case["number"] not in page_text(client.get("/console/one-stop/case-warnings"))
    history = citizen.get(f"/api/v1/one-stop/cases/{case['id']}").get_json()["history"]
    assert history[-1]["status"] == "completed" and history[-1]["note"] == "材料齐全，当场办结"
    again = client.post(f"/console/one-stop/cases/{case['id']}", data={"csrf_token": csrf(page), "status": "rejected"})
    assert again.status_code == 409


def test_operator_answers_a_bad_rating_and_readers_see_statistics_and_export(app, client, sign_in):
    operator = api_operator(app)
    citizen, _ = citizen_at(sign_in, level=2)
    matter = add_matter(operator, name="机动车驾驶证换证")
    rated = bad_rating(operator, citizen, matter["id"], text="窗口排队太久")
    followup = rated["followup"]
    console_sign_in(app, client, "operator")
    queue = page_text(client.get("/console/one-stop/followups"))
    assert "窗口排队太久" in queue and "办理时间过长或超时办结" in queue and "不满意" in queue
    answered = client.post("/console/one-stop/followups", data={
        "csrf_token": csrf(queue), "followup_id": followup["id"], "answer": "已增开窗口，高峰期分流。"})
    assert answered.status_code == 200 and "已回复" in page_text(answered)
    assert "窗口排队太久" not in page_text(answered)  # the open queue no longer holds it
    seen = citizen.get(f"/api/v1/one-stop/cases/{rated['case_id']}/evaluation").get_json()["followup"]
    assert seen["answer"] == "已增开窗口，高峰期分流。"
    twice = client.post("/console/one-stop/followups", data={
        "csrf_token": csrf(queue), "followup_id": followup["id"], "answer": "再答一次"})
    assert twice.status_code == 409
    assert "已增开窗口" in page_text(client.get("/console/one-stop/followups", query_string={"status": "answered"}))

    auditor = app.test_client()
    console_sign_in(app, auditor, "auditor")
    for by, name in (("centre", "桂城街道行政服务中心"), ("matter", "机动车驾驶证换证"),
                     ("department", "佛山市公安局南海分局")):
        stats = page_text(auditor.get("/console/one-stop/stats", query_string={"by": by}))
        assert name in stats and "0.0%" in stats, by  # one rating, 不满意
    assert auditor.get("/console/one-stop/stats", query_string={"from": "2026-13"}).status_code == 422
    from nanhaitong.timeutil import china_today

    today = china_today().isoformat()
    exported = auditor.get("/console/one-stop/export.csv", query_string={"from_day": today, "to_day": today})
    assert exported.status_code == 200 and exported.mimetype == "text/csv"
    assert f"evaluations-{today}-{today}.csv" in exported.headers["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(exported.get_data(as_text=True).lstrip("\ufeff"))))
    assert rows[0][:4] == ["assessNumber", "projectNo", "taskCode", "taskName"] and rows[1][0] == "评价编号"
    [row] = [dict(zip(rows[0], r)) for r in rows[2:]]
    assert (row["taskName"], row["alternate"], row["writingEvaluation"], row["rectifyResult"]) == (
        "机动车驾驶证换证", "2", "窗口排队太久", "已增开窗口，高峰期分流。")
    assert citizen.phone not in exported.get_data(as_text=True)
    assert auditor.get("/console/one-stop/export.csv").status_code == 422
    editor = app.test_client()
    console_sign_in(app, editor, "policy_editor")
    assert editor.get("/console/one-stop/export.csv", query_string={"from_day": today, "to_day": today}
                      ).status_code == 403
