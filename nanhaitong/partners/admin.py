"""The partner registry as staff use it, through the admin API and the console alike.

Every operation asks ``authorize`` first (``admin:partners.manage``: operators), then the
registry or the webhook outbox does the work, audited under the staff member's name.
"""

from __future__ import annotations

from schemas.common import With

from ..authorizations import authorize, district
from ..errors import ValidationFailed
from ..kernel import Principal
from . import registry, webhooks
from .models import Partner, WebhookSubscription

MANAGE = "admin:partners.manage"


def _may(principal: Principal, partner_id: str | None = None) -> None:
    authorize(principal, MANAGE, district("partner", partner_id) if partner_id else district("partners"))


def list_partners(principal: Principal, *, limit: int, cursor: str | None) -> tuple[list[Partner], str | None]:
    _may(principal)
    return registry.list_partners(limit=limit, cursor=cursor)


def get(principal: Principal, partner_id: str) -> Partner:
    _may(principal, partner_id)
    return registry.get(partner_id)


def register(principal: Principal, body: dict) -> tuple[Partner, dict]:
    """Register a partner; the credentials are returned this once."""
    _may(principal)
    return registry.create(body, actor=principal.audit_name)


def update(principal: Principal, partner_id: str, body: dict) -> Partner:
    """Change a registration: redirect URIs, scopes, its public keys (jwks, jwks_uri, auth
    method), limits, the webhook URL."""
    _may(principal, partner_id)
    return registry.update(partner_id, body, actor=principal.audit_name)


def rotate(principal: Principal, partner_id: str) -> tuple[Partner, dict]:
    _may(principal, partner_id)
    return registry.rotate(partner_id, actor=principal.audit_name)


def set_status(principal: Principal, partner_id: str, status: str) -> Partner:
    _may(principal, partner_id)
    return registry.set_status(partner_id, status, actor=principal.audit_name)


def subscriptions(principal: Principal, partner_id: str) -> list[WebhookSubscription]:
    _may(principal, partner_id)
    registry.get(partner_id)
    return webhooks.subscriptions(partner_id)


def _checked_url(url: str) -> str:
    problem = registry.check_partner_url(url)
    if problem:
        raise ValidationFailed({"url": [problem]})
    return url


def subscribe(principal: Principal, partner_id: str, url: str, events: list[str]) -> WebhookSubscription:
    _may(principal, partner_id)
    registry.get(partner_id)
    return webhooks.subscribe(partner_id, _checked_url(url), events, actor=principal.audit_name)


def update_subscription(principal: Principal, partner_id: str, subscription_id: str,
                        changes: dict) -> WebhookSubscription:
    """Change a subscription's URL or events, or switch it off (``active``: false) and on."""
    _may(principal, partner_id)
    if "url" in changes:
        _checked_url(changes["url"])
    return webhooks.update_subscription(partner_id, subscription_id, changes, actor=principal.audit_name)


def deliveries(principal: Principal, partner_id: str, *, status: str | None, limit: int,
               cursor: str | None) -> tuple[list[With], str | None]:
    """Deliveries with their attempts, newest first."""
    _may(principal, partner_id)
    registry.get(partner_id)
    items, next_cursor = webhooks.list_deliveries(partner_id, status=status, limit=limit, cursor=cursor)
    return [webhooks.with_attempts(d) for d in items], next_cursor


def replay(principal: Principal, partner_id: str, delivery_id: str) -> With:
    _may(principal, partner_id)
    registry.get(partner_id)
    return webhooks.with_attempts(webhooks.replay(delivery_id, partner_id=partner_id, actor=principal.audit_name))
