"""The consent page at /oauth/authorize: sign in with phone and SMS code, then approve or refuse.

Server-rendered (Jinja templates in this package), Chinese UI, usable on a phone, no
scripts and no external assets. Each form carries a CSRF token bound to the browser's
session cookie (HttpOnly, SameSite=Lax); answers forbid framing and caching. The
signed-in state lasts ``LOGIN_TTL_SECONDS`` and serves only this page.
"""

from __future__ import annotations

import hmac
import json
import re
import secrets
import time
from urllib.parse import urlsplit

from authlib.oauth2 import OAuth2Error
from authlib.oauth2.rfc6749.authorization_server import scope_to_list
from flask import Blueprint, current_app, g, make_response, render_template, request, session

from .. import db, events
from ..api import AUTH_ATTR, PUBLIC
from ..audit.service import record as audit
from ..authorizations import service as authorizations
from ..errors import N_, AppError
from ..i18n import in_language
from ..identity import consume_code, find_citizen, party, send_code
from ..messages import service as messages
from ..sms_templates import inbox_text, phrase
from . import oauth_errors, registry
from .oauth import server
from .oauth_clients import ConsentingUser

blp = Blueprint("partners_consent", __name__, template_folder="templates")

LOGIN_TTL_SECONDS = 600
_PHONE = re.compile(r"^1[3-9]\d{9}$")
_CODE = re.compile(r"^\d{6}$")

# What each scope means to the user, in their words.
SCOPE_LABELS = {
    "openid": ("您的南海通账号标识", "用于确认是您本人登录（每个合作方看到的标识各不相同）"),
    "profile:read": ("实名身份信息", "姓名、身份证号（部分隐藏）、认证等级"),
    "licences:read": ("电子证照", "您电子证照包中的证照（敏感字段部分隐藏）"),
    "gov_services:query": ("办事进度", "您在南海通办理事项的状态变化"),
    "offline_access": ("持续访问", "您不在合作方应用时，合作方仍可读取以上数据，直到您撤回授权"),
}
_NOT_DATA = ("openid", "offline_access")  # what the consent grant itself does not list


def _public(view):
    setattr(view, AUTH_ATTR, PUBLIC)
    return view


def _csrf_token() -> str:
    if "csrf" not in session:
        session["csrf"] = secrets.token_urlsafe(32)
    return session["csrf"]


def _csrf_ok() -> bool:
    sent = request.form.get("csrf_token", "")
    return bool(session.get("csrf")) and hmac.compare_digest(sent, session["csrf"])


_PHONE_CONTEXT = "partners.consent_phone"


def _remember_phone(phone: str) -> None:
    """The cookie is signed, not secret: the phone travels in it encrypted (AES-GCM, field keys)."""
    session["consent_phone"] = current_app.extensions["nht.cipher"].encrypt(phone, context=_PHONE_CONTEXT)


def _remembered_phone() -> str:
    sealed = session.get("consent_phone")
    if not sealed:
        return ""
    try:
        return current_app.extensions["nht.cipher"].decrypt(sealed, context=_PHONE_CONTEXT)
    except Exception:  # noqa: BLE001 - a cookie from before a key change, or tampered: forget it
        return ""


def _signed_in_user() -> str | None:
    login = session.get("consent_login")
    if not login or time.time() - login.get("at", 0) > LOGIN_TTL_SECONDS:
        return None
    return login.get("user_id")


def _page(template: str, status: int = 200, *, form_origin: str | None = None, **context):
    nonce = secrets.token_urlsafe(16)
    response = make_response(render_template(template, csp_nonce=nonce, csrf_token=_csrf_token(), **context), status)
    # A form posted here may be redirected to the partner: form-action allows its origin.
    form_action = "'self'" + (f" {form_origin}" if form_origin else "")
    response.headers["Content-Security-Policy"] = (
        f"default-src 'none'; style-src 'nonce-{nonce}'; img-src 'self' data:; form-action {form_action}; "
        "frame-ancestors 'none'; base-uri 'none'")
    return response


def _error_page(title: str, message: str, status: int = 400, code: str = "invalid_request"):
    # "detail", not "message": base.html shows a message as a banner, and it was said twice.
    return _page("partners/error.html", status, title=title, detail=message, code=code)


def _origin(uri: str) -> str:
    parts = urlsplit(uri)
    return f"{parts.scheme}://{parts.netloc}"


@blp.after_request
def _security_headers(response):
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers["Cache-Control"] = "no-store"
    response.headers["Content-Language"] = "zh-CN"  # the page is Chinese, whatever the browser asks
    response.headers.setdefault("Content-Security-Policy", "default-src 'none'; frame-ancestors 'none'")
    return response


# OpenID Connect Core 3.1.2.6: with prompt=none these go back to the client as a redirect.
_PROMPT_ERRORS = ("login_required", "consent_required", "interaction_required", "account_selection_required")


def _redirect_error(error: OAuth2Error):
    return server().handle_error_response(None, error)


def _consent_grant():
    """Authlib's validated authorization request, or an error page (or redirect) to answer instead."""
    try:
        grant = server().get_consent_grant(end_user=_signed_in_user())
    except OAuth2Error as error:
        if error.error in _PROMPT_ERRORS and error.redirect_uri:
            return None, _redirect_error(error)  # the redirect URI was checked before these are raised
        # The page is Chinese: so is what it says about the error (never Authlib's English).
        with in_language("zh_CN"):
            text = oauth_errors.describe(error.error, error.description)
        return None, _error_page("授权请求无效", f"{text}请返回合作方应用重新发起授权。", code=error.error)
    partner = grant.client.partner
    requested = scope_to_list(grant.request.payload.scope) or []
    allowed = set(json.loads(partner.scopes))
    bad = [s for s in requested if s not in allowed or s in registry.PARTNER_ONLY_SCOPES]
    if bad or not requested:
        return None, _error_page("授权请求无效", "合作方请求了未经登记的数据范围：" + "、".join(bad or ["（无）"]),
                                 code="invalid_scope")
    return grant, None


def _items(partner, requested: list[str]) -> list[dict]:
    optional = set(json.loads(partner.optional_scopes))
    return [{"scope": s, "label": SCOPE_LABELS.get(s, (s, ""))[0], "detail": SCOPE_LABELS.get(s, (s, ""))[1],
             "optional": s in optional} for s in requested]


@blp.route("/oauth/authorize", methods=["GET", "POST"])
@_public
def authorize():
    """The consent page: sign in, then approve or refuse what the partner asks for."""
    grant, problem = _consent_grant()
    if problem is not None:
        return problem
    partner = grant.client.partner
    requested = scope_to_list(grant.request.payload.scope)
    context = {"partner": partner, "items": _items(partner, requested), "message": None,
               "phone": _remembered_phone()}
    origin = _origin(grant.redirect_uri or grant.client.get_default_redirect_uri())

    if request.method == "POST":
        if not _csrf_ok():
            return _error_page("页面已过期", "请刷新页面后重试。", 403, code="csrf_failed")
        action = request.form.get("action")
        if action == "send_code":
            return _send_code(context, origin)
        if action == "login":
            return _login(context, origin)
        if action == "switch":
            session.pop("consent_login", None)
            return _page("partners/login.html", form_origin=origin, **context)
        user_id = _signed_in_user()
        if user_id is None:
            context["message"] = "登录已过期，请重新登录。"
            return _page("partners/login.html", form_origin=origin, **context)
        if action == "approve":
            return _approve(grant, partner, requested, user_id)
        if action == "refuse":
            db.keep_as_evidence(audit, "partner.consent_refused", actor=f"citizen:{user_id}", object_type="partner",
                                object_id=partner.id)
            return server().create_authorization_response(grant_user=None, grant=grant)
        return _error_page("无法识别的操作", "请返回重试。")

    if "none" in (request.args.get("prompt") or "").split():
        # Signed in, yet each authorization needs the user's approval on this page.
        from authlib.oidc.core.errors import ConsentRequiredError

        return _redirect_error(ConsentRequiredError(redirect_uri=grant.redirect_uri,
                                                    state=grant.request.payload.state))
    if _signed_in_user() is None:
        return _page("partners/login.html", form_origin=origin, **context)
    return _page("partners/consent.html", form_origin=origin, user=_user_label(_signed_in_user()), **context)


def _code_purpose(context: dict) -> str:
    # Its own purpose (and so its own SMS template), not an app login code; at most 20
    # characters (one_time_codes.purpose), so the partner is named in the SMS, not here.
    return "partner_consent"


def _user_label(user_id: str) -> str:
    return party("citizen", user_id)["display"]


def _send_code(context: dict, origin: str):
    phone = (request.form.get("phone") or "").strip()
    if not _PHONE.match(phone):
        context["message"] = "请输入11位手机号码。"
        return _page("partners/login.html", 422, form_origin=origin, **context)
    _remember_phone(phone)
    context["phone"] = phone
    try:
        # The SMS names the partner and the data it asks for, so the code approves that.
        send_code(phone, _code_purpose(context), details={
            "partner": context["partner"].name,
            "data": "、".join(item["label"] for item in context["items"] if item["scope"] != "openid") or "账号标识"})
    except AppError as error:
        context["message"] = ("验证码发送过于频繁，请稍后再试。" if error.status == 429 else "验证码发送失败，请稍后再试。")
        return _page("partners/login.html", error.status, form_origin=origin, **context)
    context["message"] = "验证码已发送，请查收短信。"
    context["code_sent"] = True
    return _page("partners/login.html", form_origin=origin, **context)


def _login(context: dict, origin: str):
    phone = _remembered_phone() or (request.form.get("phone") or "").strip()
    code = (request.form.get("code") or "").strip()
    context["code_sent"] = True
    if not _PHONE.match(phone or "") or not _CODE.match(code):
        context["message"] = "请输入手机号和6位验证码。"
        return _page("partners/login.html", 422, form_origin=origin, **context)
    try:
        with db.unit_of_work():  # the code is spent whether or not the phone has an account
            consume_code(phone, _code_purpose(context), code)
            citizen = find_citizen(phone=phone)
            if citizen is not None:
                audit("auth.login", actor=f"citizen:{citizen.id}",
                      details={"method": "sms_code", "via": "partner_consent_page"})
                events.citizen_signed_in.send(__name__, user_id=citizen.id, channel="partner_consent_page")
    except AppError:  # a wrong try counts (kept as evidence by consume_code)
        context["message"] = "验证码错误或已过期，请重新获取。"
        return _page("partners/login.html", 401, form_origin=origin, **context)
    if citizen is None:
        context["message"] = "该手机号尚未注册南海通，请先在南海通App注册并完成实名认证。"
        return _page("partners/login.html", 404, form_origin=origin, **context)
    session["consent_login"] = {"user_id": citizen.id, "at": int(time.time())}
    return _page("partners/consent.html", form_origin=origin, user=_user_label(citizen.id), **context)


class _NoCodeIssued(Exception):
    """The authorization server answered without a code: the consent must not be kept."""

    def __init__(self, response):
        super().__init__()
        self.response = response


def _approve(grant, partner, requested: list[str], user_id: str):
    try:
        with db.unit_of_work():  # the consent and the code it backs land together, or neither
            response = _record_consent(grant, partner, requested, user_id)
    except _NoCodeIssued as refused:
        response = refused.response
    # The sign-in served this one authorization.
    session.pop("consent_login", None)
    return response


def _record_consent(grant, partner, requested: list[str], user_id: str):
    optional = set(json.loads(partner.optional_scopes))
    ticked = set(request.form.getlist("scope_item"))
    approved = [s for s in requested if s not in optional or s in ticked]
    data_scopes = [s for s in approved if s not in _NOT_DATA]
    consent = authorizations.create_partner_consent(user_id, partner.id, data_scopes, partner.purpose)
    g.nht_consent = {"user_id": user_id, "grant_id": consent.id, "scope": " ".join(approved),
                     "auth_time": session["consent_login"]["at"]}
    response = server().create_authorization_response(
        grant_user=ConsentingUser(user_id, consent.id, session["consent_login"]["at"]), grant=grant)
    if not (response.status_code in (302, 303) and "code=" in response.headers.get("Location", "")):
        raise _NoCodeIssued(response)
    audit("partner.consent_given", actor=f"citizen:{user_id}", object_type="grant", object_id=consent.id,
          details={"partner": partner.id, "scopes": approved})
    labels = "、".join(SCOPE_LABELS.get(s, (s,))[0] for s in data_scopes) or phrase(N_("your account identifier"))
    title, body = inbox_text("partner_consent_given", partner=partner.name, data=labels)
    messages.notify_user(user_id, topic="security", title=title, body=body,
                         data={"grant_id": consent.id, "partner_id": partner.id, "scopes": data_scopes},
                         dedupe_key=f"partner-consent:{consent.id}")
    return response
