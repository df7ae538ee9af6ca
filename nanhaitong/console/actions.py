"""What the console does in domains whose services take no staff principal (policies, the
catalogue): ``authorize`` decides first, then the domain's own service does the work. The
partner registry's staff operations (``partners.admin``) authorize themselves, as the admin
API uses them."""

from __future__ import annotations

from schemas.gov_services import ServiceItemSchema
from schemas.partners import PartnerSchema
from schemas.policy_push import AdminPolicySchema

from ..authorizations import authorize, district
from ..gov_services import service as gov_services
from ..kernel import Principal
from ..partners import admin as partners
from ..partners import registry
from ..policy_push import service as policies

POLICIES = "admin:policies.manage"
_ITEM = ServiceItemSchema()  # the catalogue as the admin API shows it
_POLICY = AdminPolicySchema()
_PARTNER = PartnerSchema()  # a partner as the admin API shows it (no secrets)


def list_partners(principal: Principal) -> list[dict]:
    items, _ = partners.list_partners(principal, limit=100, cursor=None)
    return _PARTNER.dump(items, many=True)


def set_partner_status(principal: Principal, partner_id: str, status: str) -> dict:
    return _PARTNER.dump(partners.set_status(principal, partner_id, status))


def register_partner(principal: Principal, body: dict) -> dict:
    """Register a partner; its secrets are in the answer, once."""
    partner, credentials = partners.register(principal, body)
    return {**_PARTNER.dump(partner), **credentials}


def rotate_partner_secrets(principal: Principal, partner_id: str) -> dict:
    """New client, HMAC and webhook secrets (the old ones stop at once); in the answer, once."""
    partner, credentials = partners.rotate(principal, partner_id)
    return {**_PARTNER.dump(partner), **credentials}


def partner_scopes() -> tuple[str, ...]:
    return registry.ALL_SCOPES


def list_catalogue(principal: Principal) -> list[dict]:
    """The gov-service catalogue, retired items included (operators manage it)."""
    authorize(principal, "admin:catalogue.manage", district("gov_services"))
    items, _ = gov_services.list_items(include_retired=True, limit=200, cursor=None)
    return _ITEM.dump(items, many=True)


def set_catalogue_status(principal: Principal, code: str, status: str) -> dict:
    authorize(principal, "admin:catalogue.manage", district("gov_service", code))
    return _ITEM.dump(gov_services.update_item(code, {"status": status}, actor=principal.audit_name))


def list_policies(principal: Principal) -> list[dict]:
    authorize(principal, POLICIES, district("policies"))
    items, _ = policies.list_admin(status=None, limit=100, cursor=None)
    return _POLICY.dump([policies.with_versions(p) for p in items], many=True)


def get_policy(principal: Principal, policy_id: str) -> dict:
    authorize(principal, POLICIES, district("policy", policy_id))
    return _POLICY.dump(policies.with_versions(policies.get_admin(policy_id)))


def draft_policy(principal: Principal, fields: dict) -> str:
    authorize(principal, POLICIES, district("policies"))
    return policies.create_policy(principal, fields).id


def save_policy(principal: Principal, policy_id: str, fields: dict) -> None:
    authorize(principal, POLICIES, district("policy", policy_id))
    policies.save(principal, policy_id, fields)


def publish_policy(principal: Principal, policy_id: str) -> None:
    authorize(principal, POLICIES, district("policy", policy_id))
    policies.publish(principal, policy_id)


def withdraw_policy(principal: Principal, policy_id: str) -> None:
    authorize(principal, POLICIES, district("policy", policy_id))
    policies.withdraw(principal, policy_id)


def preview_match_count(principal: Principal, rules: dict) -> int:
    """How many enterprises the targeting rules match today (before publishing)."""
    return policies.preview_match_count(principal, rules)
