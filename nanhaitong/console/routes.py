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
    g,
    make_response,
    redirect,
    render_template,
    request,
    send_from_directory,
    url_for,
)

from schemas.identity import Phone

from ..errors import AppError, Forbidden, NotFound, RateLimited, ValidationFailed
from ..identity import service as identity_service
from ..identity import staff
from ..timeutil import CHINA_STANDARD_TIME, china_today
from . import auth

blp = Blueprint("console", __name__, url_prefix="/console", template_folder="templates")
STATIC = Path(__file__).parent / "static"

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


def today() -> str:
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
    return render("error.html", error.status, title=_error_title(error), text=text, code=error.code,
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


def render(template: str, status: int = 200, **context):
    return make_response(render_template(f"console/{template}", **context), status)


def form(name: str, default: str = "") -> str:
    return (request.form.get(name) or default).strip()


def arg(name: str) -> str | None:
    value = (request.args.get(name) or "").strip()
    return value or None


def parse(field: ma.fields.Field, value: str | None, name: str):
    if not value:
        return None
    try:
        return field.deserialize(value)
    except ma.ValidationError as error:
        raise ValidationFailed({name: error.messages}) from None


def parse_date(value: str | None, name: str) -> date | None:
    return parse(ma.fields.Date(), value, name)


# -- signing in ------------------------------------------------------------------------------

@blp.route("/login", methods=["GET"])
@auth.public
def login():
    if g.principal is not None:
        return redirect(url_for("console.home"))
    return render("login.html", phone=arg("phone") or "", sent=bool(arg("sent")))


@blp.route("/login/code", methods=["POST"])
@auth.public
def login_code():
    phone = parse(Phone(), form("phone"), "phone")
    if not phone:
        raise ValidationFailed({"phone": ["请输入手机号。"]})
    # As the admin API: texted (to an active staff phone only) once the redirect has been
    # sent, so neither its timing nor a gateway failure tells whose phone it is.
    staff.send_login_code(phone)
    return redirect(url_for("console.login", phone=phone, sent=1))


@blp.route("/login", methods=["POST"])
@auth.public
def login_post():
    phone = parse(Phone(), form("phone"), "phone")
    try:
        session_id = staff.console_sign_in(phone or "", form("password"), form("code"))
    except AppError as error:
        return render("login.html", error.status, phone=phone or "", sent=True,
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
    return render("home.html")
