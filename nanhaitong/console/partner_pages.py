"""The operator's page of one partner (/console/partners/<id>): its keys, its webhooks and
their deliveries, new secrets, suspension. The same operations as the admin API's
/api/v1/admin/partners/<id>/... (``partners.admin``: ``authorize`` first, audited under the
operator's name)."""

from __future__ import annotations

import json

from flask import g, render_template, request

from schemas.partners import DeliverySchema, PartnerSchema, SubscriptionSchema

from ..errors import ValidationFailed
from ..partners import admin as partners
from . import auth
from .routes import blp

EVENT_NAMES = {"application.status_changed": "办件状态变化", "consent.revoked": "用户撤回授权",
               "esign.envelope_changed": "签署流程变化"}
AUTH_METHOD_NAMES = {"client_secret_basic": "client_secret（密钥）", "private_key_jwt": "private_key_jwt（公钥签名）"}
DELIVERY_NAMES = {"pending": "待发送", "delivered": "已送达", "failed": "失败"}


def _form(name: str) -> str:
    return (request.form.get(name) or "").strip()


def _events() -> list[str]:
    chosen = [name for name in request.form.getlist("events") if name in EVENT_NAMES]
    if not chosen:
        raise ValidationFailed({"events": ["请至少选择一种事件。"]})
    return chosen


def _url(name: str = "url") -> str:
    url = _form(name)
    if not url:
        raise ValidationFailed({name: ["请输入地址。"]})
    return url


def _keys() -> dict:
    """The partner's public keys, as the registration's fields (checked by the registry)."""
    body = {"auth_method": _form("auth_method"), "jwks_uri": _form("jwks_uri") or None, "jwks": None}
    if body["auth_method"] not in AUTH_METHOD_NAMES:
        raise ValidationFailed({"auth_method": ["请选择客户端认证方式。"]})
    text = _form("jwks")
    if text:
        try:
            body["jwks"] = json.loads(text)
        except ValueError:
            raise ValidationFailed({"jwks": ["公钥须为JSON格式的JWKS（含keys列表）。"]}) from None
    return body


def _act(partner_id: str, action: str) -> tuple[str, dict | None]:
    """Do what the form asked; the notice to show and any credentials (shown this once)."""
    if action == "keys":
        partners.update(g.principal, partner_id, _keys())
        return "已保存公钥设置。", None
    if action == "webhook-add":
        partners.subscribe(g.principal, partner_id, _url(), _events())
        return "已添加 Webhook 订阅。", None
    if action == "webhook-edit":
        partners.update_subscription(g.principal, partner_id, _form("subscription_id"),
                                     {"url": _url(), "events": _events()})
        return "已保存 Webhook 订阅。", None
    if action in ("webhook-off", "webhook-on"):
        active = action == "webhook-on"
        partners.update_subscription(g.principal, partner_id, _form("subscription_id"), {"active": active})
        return ("已启用 Webhook 订阅。" if active else "已停用 Webhook 订阅：不再产生新的推送。"), None
    if action == "replay":
        partners.replay(g.principal, partner_id, _form("delivery_id"))
        return "已重新推送。", None
    if action == "rotate":
        partner, credentials = partners.rotate(g.principal, partner_id)
        return "已更换密钥，旧密钥立即失效。以下新密钥只显示这一次，请立即安全交付。", {
            **PartnerSchema().dump(partner), **credentials}
    if action in ("disable", "enable"):
        partners.set_status(g.principal, partner_id, "suspended" if action == "disable" else "active")
        return ("已停用，其令牌和签名请求即刻失效。" if action == "disable" else "已恢复。"), None
    raise ValidationFailed({"action": ["未知操作。"]})


@blp.route("/partners/<partner_id>", methods=["GET", "POST"])
@auth.signed_in
def partner(partner_id):
    notice, shown = _act(partner_id, _form("action")) if request.method == "POST" else (None, None)
    view = PartnerSchema().dump(partners.get(g.principal, partner_id))
    subscriptions = SubscriptionSchema(many=True).dump(partners.subscriptions(g.principal, partner_id))
    deliveries, _ = partners.deliveries(g.principal, partner_id, status=None, limit=10, cursor=None)
    return render_template("console/partner.html", partner=view, notice=notice, shown=shown, subscriptions=subscriptions,
                   deliveries=DeliverySchema(many=True).dump(deliveries), events=EVENT_NAMES,
                   auth_methods=AUTH_METHOD_NAMES, delivery_names=DELIVERY_NAMES,
                   jwks_text=json.dumps(view["jwks"], ensure_ascii=False, indent=2) if view["jwks"] else "")
