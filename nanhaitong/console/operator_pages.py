"""The operator's pages: partners, the gov-service catalogue, people look-up and staff accounts."""

from __future__ import annotations

from flask import (
    g,
    request,
)

from schemas.admin import PeopleFoundSchema, StaffAccountSchema
from schemas.identity import Phone, ResidentIdNumber, Uscc

from ..authorizations import authorize, district
from ..errors import ValidationFailed
from ..identity import STAFF_ROLES, people, staff
from . import actions, auth
from .routes import ROLE_NAMES, blp, form, parse, render

_PEOPLE = PeopleFoundSchema()  # masked as the admin API shows them
_STAFF = StaffAccountSchema()  # staff accounts as the admin API shows them


@blp.route("/partners", methods=["GET", "POST"])
@auth.signed_in
def partners():
    notice, secrets_shown = None, None
    if request.method == "POST":
        action = form("action")
        if action == "register":
            redirect_uris = [u.strip() for u in form("redirect_uris").split() if u.strip()]
            body = {"name": form("name"), "purpose": form("purpose") or None, "redirect_uris": redirect_uris,
                    "scopes": request.form.getlist("scopes"), "webhook_url": form("webhook_url") or None}
            if not body["name"]:
                raise ValidationFailed({"name": ["请输入合作方名称。"]})
            secrets_shown = actions.register_partner(g.principal, body)
            notice = f"已登记合作方：{secrets_shown['name']}。以下密钥只显示这一次，请立即安全交付。"
        elif action == "rotate":
            secrets_shown = actions.rotate_partner_secrets(g.principal, form("partner_id"))
            notice = f"已更换 {secrets_shown['name']} 的密钥，旧密钥立即失效。以下新密钥只显示这一次。"
        else:
            status = "suspended" if action == "disable" else "active"
            changed = actions.set_partner_status(g.principal, form("partner_id"), status)
            notice = f"已{'停用' if status == 'suspended' else '恢复'}：{changed['name']}"
    return render("partners.html", partners=actions.list_partners(g.principal), notice=notice,
                   shown=secrets_shown, scopes=actions.partner_scopes())


@blp.route("/catalogue", methods=["GET", "POST"])
@auth.signed_in
def catalogue():
    notice = None
    if request.method == "POST":
        status = "retired" if form("action") == "retire" else "active"
        changed = actions.set_catalogue_status(g.principal, form("code"), status)
        notice = f"已{'下架' if status == 'retired' else '上架'}：{changed['name']}"
    return render("catalogue.html", items=actions.list_catalogue(g.principal), notice=notice)


@blp.route("/people", methods=["GET", "POST"], endpoint="people")
@auth.signed_in
def people_page():
    found = None
    if request.method == "POST":
        kind, value = form("kind"), form("value")
        field = {"phone": Phone(), "id_number": ResidentIdNumber(), "uscc": Uscc()}.get(kind)
        if field is None or not value:
            raise ValidationFailed({"value": ["请选择查询方式并输入号码。"]})
        found = _PEOPLE.dump(people.lookup(g.principal, reason=form("reason"), **{kind: parse(field, value, "value")}))
    else:  # the empty form is the operators' page too
        authorize(g.principal, people.LOOKUP, district("people"), record_use=False)
    return render("people.html", found=found)


@blp.route("/staff", methods=["GET", "POST"], endpoint="staff")
@auth.signed_in
def staff_page():
    notice = None
    if request.method == "POST":
        action = form("action")
        if action == "create":
            phone = parse(Phone(), form("phone"), "phone")
            role = form("role")
            if role not in STAFF_ROLES:
                raise ValidationFailed({"role": ["请选择岗位。"]})
            made = staff.create_by(g.principal, phone or "", role, form("password"))
            notice = f"已创建账号 {_STAFF.dump(made)['phone']}"
        elif action == "disable":
            staff.deactivate_by(g.principal, form("staff_id"))
            notice = "账号已停用，其登录已全部失效。"
        elif action == "reset":
            phone = parse(Phone(), form("phone"), "phone")
            if not phone:
                raise ValidationFailed({"phone": ["请输入新的手机号。"]})
            staff.reset_second_factor_by(g.principal, form("staff_id"), phone)
            notice = "已重置第二因素：验证码将发送到新手机号，原有登录已全部失效。"
    accounts = _STAFF.dump(staff.list_by(g.principal), many=True)
    return render("staff.html", accounts=accounts, roles=ROLE_NAMES, notice=notice)
