"""The console's one-stop pages (/console/one-stop, issue 27): operators manage the matters
catalogue, move cases on and watch the deadline warnings, answer the follow-ups of bad
ratings; operators and auditors read the evaluation statistics and export the ratings in
the national platform's data items (CSV). Every page asks the one-stop face, which asks
``authorize``; a page of another role answers the console's 403 page."""

from __future__ import annotations

import csv
import io

import marshmallow as ma
from flask import Response, g, make_response, redirect, render_template, request, stream_with_context, url_for

from schemas.one_stop import MatterWriteSchema, StatsArgsSchema

from ..errors import ValidationFailed
from ..one_stop import service as one_stop
from . import auth
from .routes import PAGES, STATUS_NAMES, blp

PAGE_SIZE = 30
# The one-stop pages join the operators' and auditors' navigation.
PAGES["operator"].extend([("办事事项", "console.one_stop_matters"), ("办件", "console.one_stop_cases"),
                          ("办件超期预警", "console.one_stop_warnings"), ("差评整改", "console.one_stop_followups"),
                          ("好差评统计", "console.one_stop_stats")])
PAGES["auditor"].append(("好差评统计", "console.one_stop_stats"))
for _status, _name in {"retired": "已停用", "open": "待整改", "answered": "已回复", "closed": "已评价"}.items():
    STATUS_NAMES.setdefault(_status, _name)
CASE_STATUSES = {"submitted": "已提交", "accepted": "已受理", "completed": "已办结", "rejected": "不予受理"}
AUDIENCE_NAMES = {"citizen": "个人", "enterprise": "企业", "both": "个人和企业"}
DIMENSIONS = {"centre": "按服务中心", "matter": "按事项", "department": "按部门"}
# The national platform's data items, in the order of its specification, with their Chinese headings.
EXPORT_COLUMNS = {
    "assessNumber": "评价编号", "projectNo": "办件编号", "taskCode": "事项编码", "taskName": "事项名称",
    "deptName": "部门名称", "areaCode": "行政区划代码", "hallName": "服务大厅名称", "pf": "评价渠道",
    "alternate": "评价等级", "alternateName": "评价等级名称", "appraisald": "评价原因代码",
    "appraisaldName": "评价原因", "writingEvaluation": "文字评价", "assessTime": "评价时间",
    "userProp": "评价人类型", "rectifyStatus": "整改状态", "rectifyResult": "整改结果", "rectifyAppraisal": "整改评价",
}


def _page(template: str, **context):
    return make_response(render_template(f"console/{template}", **context))


def _form(name: str) -> str:
    return (request.form.get(name) or "").strip()


def _arg(name: str) -> str | None:
    return (request.args.get(name) or "").strip() or None


def _matter_fields(code: str | None = None) -> dict:
    """The matter form as the admin API's body, checked by the same schema (an edited
    matter keeps its ``code``: the form does not send it)."""
    materials = []
    for line in _form("materials").splitlines():
        name, _, note = line.strip().partition("｜")
        if name.strip():
            materials.append({"name": name.strip(), "copies": 1, "note": note.strip() or None})
    body = {"code": code or _form("code"), "name": _form("name"), "department": _form("department"),
            "audience": _form("audience") or "citizen", "centres": request.form.getlist("centres"),
            "materials": materials, "fee_note": _form("fee_note") or None,
            "online": bool(request.form.get("online")), "by_post": bool(request.form.get("by_post"))}
    for name in ("legal_days", "promised_days", "visits", "slot_capacity"):
        value = _form(name)
        body[name] = int(value) if value.isdigit() else value or None
    fee = _form("fee_yuan")
    try:
        body["fee_fen"] = round(float(fee) * 100) if fee else 0
    except ValueError:
        raise ValidationFailed({"fee_yuan": ["请输入金额（元）。"]}) from None
    body = {name: value for name, value in body.items() if value is not None or name == "fee_note"}
    try:
        return MatterWriteSchema().load(body)
    except ma.ValidationError as error:
        raise ValidationFailed(error.messages) from None


# -- the matters catalogue -------------------------------------------------------------------

@blp.route("/one-stop/matters", methods=["GET", "POST"])
@auth.signed_in
def one_stop_matters():
    notice = None
    if request.method == "POST":
        status = "retired" if _form("action") == "retire" else "active"
        changed = one_stop.set_matter_status(g.principal, _form("matter_id"), status)
        notice = f"已{'停用' if status == 'retired' else '恢复'}事项：{changed['name']}"
    status = _arg("status")
    items, next_cursor = one_stop.matters(g.principal, q=_arg("q"), status=status if status != "all" else None,
                                          department=_arg("department"), limit=PAGE_SIZE, cursor=_arg("cursor"))
    return _page("one_stop_matters.html", items=items, next_cursor=next_cursor, args=request.args, notice=notice,
                 departments=one_stop.departments(g.principal),
                 centre_names={c["code"]: c["town"] for c in one_stop.centres()})


def _matter_form(matter: dict | None):
    return _page("one_stop_matter.html", matter=matter, centres=one_stop.centres(), audiences=AUDIENCE_NAMES,
                 materials="\n".join(m["name"] + (f"｜{m['note']}" if m.get("note") else "")
                                     for m in (matter or {}).get("materials", [])))


@blp.route("/one-stop/matters/new", methods=["GET", "POST"])
@auth.signed_in
def one_stop_matter_new():
    if request.method == "POST":
        made = one_stop.create_matter(g.principal, _matter_fields())
        return redirect(url_for("console.one_stop_matter", matter_id=made["id"], saved=1))
    one_stop.departments(g.principal)  # the empty form is the operators' page too
    return _matter_form(None)


@blp.route("/one-stop/matters/<matter_id>", methods=["GET", "POST"])
@auth.signed_in
def one_stop_matter(matter_id):
    if request.method == "POST":
        code = one_stop.matter(g.principal, matter_id)["code"]  # a matter's code never changes
        one_stop.update_matter(g.principal, matter_id, _matter_fields(code))
        return redirect(url_for("console.one_stop_matter", matter_id=matter_id, saved=1))
    return _matter_form(one_stop.matter(g.principal, matter_id))


@blp.context_processor
def _one_stop_context():
    return {"one_stop_saved": request.args.get("saved") == "1", "audience_names": AUDIENCE_NAMES}


# -- cases and the deadline warnings ---------------------------------------------------------

@blp.route("/one-stop/cases", methods=["GET"])
@auth.signed_in
def one_stop_cases():
    items, next_cursor = one_stop.staff_cases(g.principal, status=_arg("status"), centre=_arg("centre"),
                                              limit=PAGE_SIZE, cursor=_arg("cursor"))
    return _page("one_stop_cases.html", items=items, next_cursor=next_cursor, args=request.args,
                 centres=one_stop.centres(), statuses=CASE_STATUSES, warnings=False)


@blp.route("/one-stop/case-warnings", methods=["GET"])
@auth.signed_in
def one_stop_warnings():
    items, next_cursor = one_stop.deadline_warnings(g.principal, limit=PAGE_SIZE, cursor=_arg("cursor"))
    return _page("one_stop_cases.html", items=items, next_cursor=next_cursor, args=request.args,
                 centres=one_stop.centres(), statuses=CASE_STATUSES, warnings=True)


@blp.route("/one-stop/cases/<case_id>", methods=["GET", "POST"])
@auth.signed_in
def one_stop_case(case_id):
    notice = None
    if request.method == "POST":
        status = _form("status")
        if status not in ("accepted", "completed", "rejected"):
            raise ValidationFailed({"status": ["请选择办理结果。"]})
        changed = one_stop.set_case_status(g.principal, case_id, status, _form("note") or None)
        notice = f"办件已更新为：{CASE_STATUSES[changed['status']]}"
    case = one_stop.staff_case(g.principal, case_id)
    nexts = one_stop.NEXT_STATUSES.get(case["status"], ()) if case["matter_id"] and not case[
        "gov_application_id"] else ()
    return _page("one_stop_case.html", case=case, notice=notice, nexts=nexts, statuses=CASE_STATUSES,
                 centre_names={c["code"]: c["name"] for c in one_stop.centres()})


# -- follow-ups of bad ratings ---------------------------------------------------------------

@blp.route("/one-stop/followups", methods=["GET", "POST"])
@auth.signed_in
def one_stop_followups():
    notice = None
    if request.method == "POST":
        text = _form("answer")
        if len(text) < 2:
            raise ValidationFailed({"answer": ["请填写整改回复。"]})
        one_stop.answer_followup(g.principal, _form("followup_id"), text)
        notice = "已回复，评价人将收到通知并可评价整改结果。"
    status = _arg("status") or "open"
    escalated = {"yes": True, "no": False}.get(_arg("escalated") or "")
    items, next_cursor = one_stop.followups(g.principal, status=None if status == "all" else status,
                                            escalated=escalated, limit=PAGE_SIZE, cursor=_arg("cursor"))
    return _page("one_stop_followups.html", items=items, next_cursor=next_cursor, args=request.args, shown=status,
                 notice=notice, reasons=one_stop.REASONS, levels=one_stop.LEVELS)


# -- statistics and the export ---------------------------------------------------------------

@blp.route("/one-stop/stats", methods=["GET"])
@auth.signed_in
def one_stop_stats():
    query = {"by": _arg("by") or "centre", "from": _arg("from"), "to": _arg("to"), "cursor": _arg("cursor")}
    try:
        args = StatsArgsSchema().load({k: v for k, v in query.items() if v})
    except ma.ValidationError as error:
        raise ValidationFailed(error.messages) from None
    rows, next_cursor = one_stop.statistics(g.principal, args["by"], from_month=args.get("from_month"),
                                            to_month=args.get("to_month"), limit=50, cursor=args.get("cursor"))
    return _page("one_stop_stats.html", rows=rows, next_cursor=next_cursor, args=request.args, by=args["by"],
                 dimensions=DIMENSIONS, levels=list(one_stop.LEVELS.values()))


@blp.route("/one-stop/export.csv", methods=["GET"])
@auth.signed_in
def one_stop_export():
    """The ratings between two days (China time) as CSV in the national platform's data items,
    streamed a page at a time; the first row names the items, the second says them in Chinese."""
    from_day, to_day = _arg("from_day"), _arg("to_day")
    try:
        days = ma.fields.Date()
        from_day = days.deserialize(from_day).isoformat() if from_day else None
        to_day = days.deserialize(to_day).isoformat() if to_day else None
    except ma.ValidationError:
        raise ValidationFailed({"from_day": ["请选择起止日期。"]}) from None
    if not from_day or not to_day:
        raise ValidationFailed({"from_day": ["请选择起止日期。"]})
    rows = one_stop.export(g.principal, from_day=from_day, to_day=to_day)

    def lines():
        buffer = io.StringIO()
        writer = csv.writer(buffer)
        buffer.write("\ufeff")
        writer.writerow(EXPORT_COLUMNS)
        writer.writerow(EXPORT_COLUMNS.values())
        for row in rows:
            writer.writerow(["" if row.get(k) is None else row[k] for k in EXPORT_COLUMNS])
            if buffer.tell() > 64_000:
                yield buffer.getvalue()
                buffer.seek(0)
                buffer.truncate()
        yield buffer.getvalue()

    return Response(stream_with_context(lines()), mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="evaluations-{from_day}-{to_day}.csv"'})
