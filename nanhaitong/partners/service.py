"""The partner API (/open/v1): what a partner reads with a user's consent, and what it checks alone.

User data is read through the owning domains' services, with the partner as the
principal: ``authorize`` finds its standing in the consent grant behind the token (on
every call), and each read lands in the user's access log and the audit log.
"""

from __future__ import annotations

from ..authorizations import Resource, authorize
from ..errors import NotFound
from ..gov_services import service as gov_services
from ..identity import consented_profile
from ..kernel import Principal
from ..licences import service as licences
from ..licences import verify_presentation as verify_licence_presentation
from .models import Partner
from .oauth_clients import pairwise_subject


def userinfo(principal: Principal, partner: Partner, scopes: frozenset[str]) -> dict:
    info = {"sub": pairwise_subject(partner, principal.for_citizen)}
    if "profile:read" in scopes:
        authorize(principal, "profile:read", Resource(type="profile", owner_kind="citizen",
                                                      owner_id=principal.for_citizen, id=principal.for_citizen))
        identity = consented_profile(principal.for_citizen)
        if identity is None:
            raise NotFound("The user no longer exists.", code="user_not_found")
        info.update(identity)
    return info


def consented_licences(principal: Principal, *, type_code: str | None, limit: int, cursor: str | None):
    return licences.list_licences(principal, type_code=type_code, status=None, limit=limit, cursor=cursor)


def verify_presentation(principal: Principal, token: str) -> dict:
    return verify_licence_presentation(principal, token)


def gov_service_catalogue(filters: dict) -> tuple[list, str | None]:
    """The provincial services catalogue, the same as the app's: public data."""
    return gov_services.list_items(
        audience=filters.get("audience"), provider=filters.get("provider"), category=filters.get("category"),
        kind=filters.get("kind"), q=filters.get("q"), limit=filters["limit"], cursor=filters.get("cursor"))
