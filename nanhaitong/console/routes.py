"""The staff console's pages (/console): server-rendered, in Chinese, calling the domain services.

Each page is for one role; the service behind it asks ``authorize``, so a page of
another role answers 403 with the console's own error page. Forms post back to the
page with a CSRF token; htmx (vendored, static/) refreshes the fan-out progress bar.
"""

from __future__ import annotations

import secrets
from datetime import date, datetime, timezone
from pathlib import Path

import marshmallow as ma
from flask import (
    Blueprint,
    Response,
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)

from schemas.admin import (
    AuditAccessLogEntrySchema,
    AuditEventSchema,
    PeopleFoundSchema,
    RefundRequestSchema,
    RunSchema,
)
from schemas.identity import Phone, ResidentIdNumber, Uscc
from schemas.policy_push import CATEGORIES, SIZES, TOWNS, PolicyWriteSchema

from ..audit import browse as audit_browse
from ..authorizations import authorize, district
from ..authorizations import service as access_logs
from ..errors import AppError, Forbidden, NotFound, RateLimited, ValidationFailed
from ..identity import STAFF_ROLES, people, staff
from ..identity import service as identity_service
from ..payments import admin as payments
from ..timeutil import CHINA_STANDARD_TIME, china_today
from . import actions, auth

blp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
STATIC = Path(__file__).parent / "static"
_ACCESS_LOG, _PEOPLE = AuditAccessLogEntrySchema(), PeopleFoundSchema()  # masked as the admin API shows them
_REFUND_REQUEST, _RUN, _AUDIT_EVENT = RefundRequestSchema(), RunSchema(), AuditEventSchema()

ROLE_NAMES = {"operator": "运营人员", "policy_editor": "政策编辑", "payments_ops": "支付运营", "auditor": "审计人员"}
# Each role's pages, in the navigation (label, endpoint).
PAGES = {
    "operator": [("合作方", "console.partners"), ("办事目录", "console.catalogue"), ("市民/企业查询", "console.people"),
                 ("工作人员账号", "console.staff")],
    "policy_editor": [("政策", "console.policies")],
    "payments_ops": [("订单查询", "console.orders"), ("待审批退款", "console.refunds"),
                     ("对账", "console.reconciliation"), ("异常订单", "console.stuck")],
    "auditor": [("审计事件", "console.audit"), ("校验审计链", "console.audit_verify"),
                ("访问记录", "console.access_log")],
}
STATUS_NAMES = {"awaiting_payment": "待支付", "paid": "已支付", "fulfilled": "已完成", "fulfilment_failed": "履约失败",
                "refunding": "退款中", "refunded": "已退款", "cancelled": "已取消", "expired": "已过期",
                "pending_approval": "待审批", "rejected": "已驳回", "executed": "已执行", "draft": "草稿",
                "published": "已发布", "withdrawn": "已撤回", "active": "正常", "suspended": "已停用",
                "queued": "排队中", "running": "进行中", "done": "已完成", "failed": "失败"}
# What the console says for the codes staff meet (the API's messages are English until translated).
ERROR_TEXTS = {
    "staff_role_required": "您的岗位无权访问此页面。",
    "second_person_required": "退款须由另一位支付运营人员审批。",
    "invalid_credentials": "手机号、密码或验证码有误，请重新获取验证码后再试。",
    "rate_limited": "操作过于频繁，请稍后再试。",
    "csrf_failed": "表单已过期，请刷新页面后重试。",
    "console_sign_in_required": "请先登录。",
    "order_not_refundable": "只有卡在“退款中”或“履约失败”的订单可以人工退款。",
    "refund_already_requested": "该订单已有待审批的退款申请。",
    "refund_request_decided": "该退款申请已处理。",
    "staff_phone_taken": "该手机号已有工作人员账号。",
    "policy_not_published": "只有已发布的政策可以撤回。",
}


def _today() -> str:
    return china_today().isoformat()


@blp.app_template_filter("china_time")
def china_time(value) -> str:
    if not value:
        return "—"
    moment = datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(CHINA_STANDARD_TIME).strftime("%Y-%m-%d %H:%M:%S")


@blp.app_template_filter("yuan")
def yuan(fen) -> str:
    if fen is None:
        return "—"
    return f"¥{fen // 100}.{fen % 100:02d}"


@blp.app_template_filter("status_name")
def status_name(status) -> str:
    return STATUS_NAMES.get(status, status or "—")


@blp.route("/static/<path:filename>", methods=["GET"])
@auth.public
def static(filename):
    """The console's stylesheet and the vendored htmx (pinned; its licence beside it)."""
    return send_from_directory(STATIC, filename, max_age=3600)


@blp.before_request
def _load_session():
    if request.endpoint == "console.static":
        g.console = None
        return
    g.console = auth.load()
    g.principal = auth.current_principal(g.console)
    if g.principal is None and g.console.get("sid"):
        g.console = {"csrf": g.console["csrf"]}
    auth.check_csrf(g.console)


@blp.after_request
def _finish(response):
    if g.get("console") is not None:
        auth.save(response, g.console)
    return auth.security_headers(response)


@blp.context_processor
def _context():
    principal = g.get("principal")
    return {"csrf_token": g.console["csrf"] if g.get("console") else "", "me": principal,
            "role_name": ROLE_NAMES.get(principal.role) if principal else None,
            "nav": PAGES.get(principal.role, []) if principal else [], "ERROR_TEXTS": ERROR_TEXTS}


@blp.errorhandler(AppError)
def _app_error(error: AppError):
    if isinstance(error, auth.SignInRequired):
        return redirect(url_for("console.login"))
    text = ERROR_TEXTS.get(error.code, error.message)
    fields = (error.details or {}).get("fields") if isinstance(error, ValidationFailed) else None
    return _render("error.html", error.status, title=_error_title(error), text=text, code=error.code,
                   fields=fields)


def _error_title(error: AppError) -> str:
    if isinstance(error, Forbidden):
        return "无权访问"
    if isinstance(error, NotFound):
        return "未找到"
    if isinstance(error, ValidationFailed):
        return "输入有误"
    if isinstance(error, RateLimited):
        return "请稍后再试"
    return "操作未完成"


def _render(template: str, status: int = 200, **context):
    return make_response(render_template(f"console/{template}", **context), status)


def _form(name: str, default: str = "") -> str:
    return (request.form.get(name) or default).strip()


def _arg(name: str) -> str | None:
    value = (request.args.get(name) or "").strip()
    return value or None


def _parse(field: ma.fields.Field, value: str | None, name: str):
    if not value:
        return None
    try:
        return field.deserialize(value)
    except ma.ValidationError as error:
        raise ValidationFailed({name: error.messages}) from None


def _date(value: str | None, name: str) -> date | None:
    return _parse(ma.fields.Date(), value, name)


# -- signing in ------------------------------------------------------------------------------

@blp.route("/login", methods=["GET"])
@auth.public
def login():
    if g.principal is not None:
        return redirect(url_for("console.home"))
    return _render("login.html", phone=_arg("phone") or "", sent=bool(_arg("sent")))


@blp.route("/login/code", methods=["POST"])
@auth.public
def login_code():
    phone = _parse(Phone(), _form("phone"), "phone")
    if not phone:
        raise ValidationFailed({"phone": ["请输入手机号。"]})
    # As the admin API: texted (to an active staff phone only) once the redirect has been
    # sent, so neither its timing nor a gateway failure tells whose phone it is.
    staff.send_login_code(phone)
    return redirect(url_for("console.login", phone=phone, sent=1))


@blp.route("/login", methods=["POST"])
@auth.public
def login_post():
    phone = _parse(Phone(), _form("phone"), "phone")
    try:
        session_id = staff.console_sign_in(phone or "", _form("password"), _form("code"))
    except AppError as error:
        return _render("login.html", error.status, phone=phone or "", sent=True,
                       error=ERROR_TEXTS.get(error.code, error.message))
    g.console = {"sid": session_id, "csrf": secrets.token_urlsafe(32)}  # a new token with the new session
    return redirect(url_for("console.home"))


@blp.route("/logout", methods=["POST"])
@auth.signed_in
def logout():
    identity_service.logout(g.principal)
    g.console = {}
    return redirect(url_for("console.login"))


@blp.route("/", methods=["GET"])
@auth.signed_in
def home():
    return _render("home.html")


# -- operator --------------------------------------------------------------------------------

@blp.route("/partners", methods=["GET", "POST"])
@auth.signed_in
def partners():
    notice, secrets_shown = None, None
    if request.method == "POST":
        action = _form("action")
        if action == "register":
            redirect_uris = [u.strip() for u in _form("redirect_uris").split() if u.strip()]
            body = {"name": _form("name"), "purpose": _form("purpose") or None, "redirect_uris": redirect_uris,
                    "scopes": request.form.getlist("scopes"), "webhook_url": _form("webhook_url") or None}
            if not body["name"]:
                raise ValidationFailed({"name": ["请输入合作方名称。"]})
            secrets_shown = actions.register_partner(g.principal, body)
            notice = f"已登记合作方：{secrets_shown['name']}。以下密钥只显示这一次，请立即安全交付。"
        elif action == "rotate":
            secrets_shown = actions.rotate_partner_secrets(g.principal, _form("partner_id"))
            notice = f"已更换 {secrets_shown['name']} 的密钥，旧密钥立即失效。以下新密钥只显示这一次。"
        else:
            status = "suspended" if action == "disable" else "active"
            changed = actions.set_partner_status(g.principal, _form("partner_id"), status)
            notice = f"已{'停用' if status == 'suspended' else '恢复'}：{changed['name']}"
    return _render("partners.html", partners=actions.list_partners(g.principal), notice=notice,
                   shown=secrets_shown, scopes=actions.partner_scopes())


@blp.route("/catalogue", methods=["GET", "POST"])
@auth.signed_in
def catalogue():
    notice = None
    if request.method == "POST":
        status = "retired" if _form("action") == "retire" else "active"
        changed = actions.set_catalogue_status(g.principal, _form("code"), status)
        notice = f"已{'下架' if status == 'retired' else '上架'}：{changed['name']}"
    return _render("catalogue.html", items=actions.list_catalogue(g.principal), notice=notice)


@blp.route("/people", methods=["GET", "POST"], endpoint="people")
@auth.signed_in
def people_page():
    found = None
    if request.method == "POST":
        kind, value = _form("kind"), _form("value")
        field = {"phone": Phone(), "id_number": ResidentIdNumber(), "uscc": Uscc()}.get(kind)
        if field is None or not value:
            raise ValidationFailed({"value": ["请选择查询方式并输入号码。"]})
        found = _PEOPLE.dump(people.lookup(g.principal, reason=_form("reason"), **{kind: _parse(field, value, "value")}))
    else:  # the empty form is the operators' page too
        authorize(g.principal, people.LOOKUP, district("people"), record_use=False)
    return _render("people.html", found=found)


@blp.route("/staff", methods=["GET", "POST"], endpoint="staff")
@auth.signed_in
def staff_page():
    notice = None
    if request.method == "POST":
        action = _form("action")
        if action == "create":
            phone = _parse(Phone(), _form("phone"), "phone")
            role = _form("role")
            if role not in STAFF_ROLES:
                raise ValidationFailed({"role": ["请选择岗位。"]})
            made = staff.create_by(g.principal, phone or "", role, _form("password"))
            notice = f"已创建账号 {staff.staff_view(made)['phone']}"
        elif action == "disable":
            staff.deactivate_by(g.principal, _form("staff_id"))
            notice = "账号已停用，其登录已全部失效。"
        elif action == "reset":
            phone = _parse(Phone(), _form("phone"), "phone")
            if not phone:
                raise ValidationFailed({"phone": ["请输入新的手机号。"]})
            staff.reset_second_factor_by(g.principal, _form("staff_id"), phone)
            notice = "已重置第二因素：验证码将发送到新手机号，原有登录已全部失效。"
    accounts = [staff.staff_view(a, full=True) for a in staff.list_by(g.principal)]
    return _render("staff.html", accounts=accounts, roles=ROLE_NAMES, notice=notice)



# -- policy_editor ---------------------------------------------------------------------------

def _policy_fields() -> dict:
    rules = {"towns": request.form.getlist("towns"), "sizes": request.form.getlist("sizes"),
             "industry_codes": [c.strip() for c in _form("industry_codes").replace("，", ",").split(",") if c.strip()]}
    rules = {name: value for name, value in rules.items() if value}
    body = {name: _form(name) for name in ("title", "category", "issuer", "summary", "eligibility", "how_to_apply",
                                           "body")}
    body["rules"] = rules
    try:
        return PolicyWriteSchema().load(body)
    except ma.ValidationError as error:
        raise ValidationFailed(error.messages) from None


@blp.route("/policies", methods=["GET", "POST"])
@auth.signed_in
def policies():
    if request.method == "POST":
        policy_id = actions.draft_policy(g.principal, _policy_fields())
        return redirect(url_for("console.policy", policy_id=policy_id))
    return _render("policies.html", policies=actions.list_policies(g.principal), categories=CATEGORIES,
                   towns=TOWNS, sizes=SIZES)


@blp.route("/policies/preview", methods=["POST"])
@auth.signed_in
def policy_preview():
    fields = _policy_fields()
    count = actions.preview_match_count(g.principal, fields["rules"])
    # htmx swaps the count into the form; without scripts it is a page of its own
    return _render("policy_preview.html", count=count, fragment=request.headers.get("HX-Request") == "true")


@blp.route("/policies/<policy_id>", methods=["GET", "POST"])
@auth.signed_in
def policy(policy_id):
    notice = None
    if request.method == "POST":
        action = _form("action")
        if action == "save":
            actions.save_policy(g.principal, policy_id, _policy_fields())
            notice = "已保存草稿。"
        elif action == "publish":
            actions.publish_policy(g.principal, policy_id)
            notice = "已发布，正在推送。"
        elif action == "withdraw":
            actions.withdraw_policy(g.principal, policy_id)
            notice = "已撤回。"
    item = actions.get_policy(g.principal, policy_id)
    return _render("policy.html", policy=item, notice=notice, categories=CATEGORIES, towns=TOWNS, sizes=SIZES)


@blp.route("/policies/<policy_id>/progress", methods=["GET"])
@auth.signed_in
def policy_progress(policy_id):
    """The newest fan-out's progress bar. htmx polls it every two seconds; once the fan-out
    has finished (or there is none) the answer is 286, htmx's "stop polling"."""
    item = actions.get_policy(g.principal, policy_id)
    fanout = (item["fanouts"] or [None])[0]
    running = fanout is not None and fanout["status"] in ("queued", "running")
    return _render("policy_progress.html", 200 if running else 286, policy=item, fanout=fanout)


# -- payments_ops ----------------------------------------------------------------------------

@blp.route("/orders", methods=["GET"])
@auth.signed_in
def orders():
    filters = {"out_trade_no": _arg("out_trade_no"), "phone": _parse(Phone(), _arg("phone"), "phone"),
               "status": _arg("status"), "channel": _arg("channel"),
               "date_from": _date(_arg("date_from"), "date_from"), "date_to": _date(_arg("date_to"), "date_to")}
    items, next_cursor = payments.search_orders(g.principal, limit=20, cursor=_arg("cursor"), **filters)
    return _render("orders.html", orders=payments.order_summaries(items), next_cursor=next_cursor,
                   args=request.args, statuses=STATUS_NAMES)


@blp.route("/orders/<order_id>", methods=["GET", "POST"])
@auth.signed_in
def order(order_id):
    notice = None
    if request.method == "POST":
        made = payments.request_refund(g.principal, order_id, _form("reason"))
        notice = ("退款申请已提交，等待另一位支付运营人员审批。" if made.status == "pending_approval"
                  else "已向支付渠道发起退款。")
    return _render("order.html", order=payments.order_timeline(g.principal, order_id), notice=notice,
                   threshold=payments.approval_threshold_fen())


@blp.route("/refunds", methods=["GET", "POST"])
@auth.signed_in
def refunds():
    notice = None
    if request.method == "POST":
        approve = _form("action") == "approve"
        decided = payments.decide_refund(g.principal, _form("request_id"), approve=approve,
                                         note=_form("note") or None)
        notice = "已批准，已向支付渠道发起退款。" if decided.status == "executed" else "已驳回。"
    items = _REFUND_REQUEST.dump(payments.pending_refunds(g.principal), many=True)
    return _render("refunds.html", requests=items, notice=notice)


@blp.route("/reconciliation", methods=["GET", "POST"])
@auth.signed_in
def reconciliation():
    if request.method == "POST":
        day = _date(_form("date"), "date") or date.fromisoformat(_today())
        run = payments.run_reconciliation(g.principal, day, _form("channel") or None)
        return redirect(url_for("console.reconciliation_run", run_id=run.id))
    runs, _ = payments.list_runs(g.principal, limit=50)
    return _render("reconciliation.html", runs=_RUN.dump(runs, many=True), today=_today())


@blp.route("/reconciliation/<run_id>", methods=["GET", "POST"])
@auth.signed_in
def reconciliation_run(run_id):
    notice = None
    if request.method == "POST":
        payments.resolve_mismatch(g.principal, _form("mismatch_id"), _form("note"))
        notice = "已记录处理说明。"
    return _render("run.html", run=_RUN.dump(payments.with_mismatches(*payments.get_run(g.principal, run_id))),
                   notice=notice)


@blp.route("/stuck", methods=["GET"])
@auth.signed_in
def stuck():
    return _render("stuck.html", queue=payments.stuck_orders(g.principal))


# -- auditor ---------------------------------------------------------------------------------

def _audit_filters() -> dict:
    return {"action": _arg("action"), "actor": _arg("actor"), "result": _arg("result"),
            "date_from": _date(_arg("date_from"), "date_from"), "date_to": _date(_arg("date_to"), "date_to")}


@blp.route("/audit", methods=["GET"])
@auth.signed_in
def audit():
    cursor = _arg("cursor")
    items, next_cursor = audit_browse.list_events(g.principal, limit=50, cursor=int(cursor) if cursor and
                                                  cursor.isdigit() else None, **_audit_filters())
    return _render("audit.html", events=_AUDIT_EVENT.dump(items, many=True), next_cursor=next_cursor,
                   args=request.args, today=_today())


@blp.route("/audit/events/<event_id>", methods=["GET"])
@auth.signed_in
def audit_event(event_id):
    return _render("audit_event.html", event=_AUDIT_EVENT.dump(audit_browse.get_event(g.principal, event_id)))


@blp.route("/audit/verify", methods=["GET", "POST"])
@auth.signed_in
def audit_verify():
    report = staff.verify_audit_chain(g.principal) if request.method == "POST" else None
    if report is None:  # the page itself is the auditors'
        authorize(g.principal, audit_browse.READ, district("audit_log"), record_use=False)
    return _render("verify.html", report=report)


@blp.route("/audit/export", methods=["GET"])
@auth.signed_in
def audit_export():
    date_from, date_to = _date(_arg("date_from"), "date_from"), _date(_arg("date_to"), "date_to")
    if not date_from or not date_to:
        raise ValidationFailed({"date_from": ["请选择起止日期。"]})
    text = audit_browse.export_csv(g.principal, date_from=date_from, date_to=date_to, action=_arg("action"))
    return Response("\ufeff" + text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="audit-{date_from}-{date_to}.csv"'})


@blp.route("/access-log", methods=["GET"])
@auth.signed_in
def access_log():
    filters = {"owner_id": _arg("owner_id"), "accessor_kind": _arg("accessor_kind"), "action": _arg("action")}
    items, next_cursor = access_logs.search_access_log(g.principal, limit=50, cursor=_arg("cursor"), **filters)
    return _render("access_log.html", entries=_ACCESS_LOG.dump(access_logs.with_accessors(items, owners=True), many=True), next_cursor=next_cursor,
                   args=request.args)
