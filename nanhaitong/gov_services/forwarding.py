"""Who a proxied call is for: the resource a decision is about, the verified identity the
upstream receives in signed headers, the form checked before it leaves, and the client."""

from __future__ import annotations

import json
from typing import Any

from integrations.gov_gateway import (
    ForwardedIdentity,
)

from ..authorizations import Resource
from ..clients import clients
from ..errors import Forbidden, NotFound, ValidationFailed
from ..identity import enterprise_registration, verified_identity
from ..kernel import Principal
from . import forms
from .models import GovServiceItem


def upstream_client(provider: str):
    every = clients()
    return every.yueshengshi if provider == "yueshengshi" else every.yueshangtong_services


# -- acting ---------------------------------------------------------------------------------------

def service_resource(principal: Principal, item: GovServiceItem) -> Resource:
    """The service as used for whom the caller acts; its ``audience`` (personal or
    enterprise) is checked against that by the one decision."""
    kind, ident = principal.subject
    return Resource(type="gov_service", owner_kind=kind, owner_id=ident, id=item.code,
                    attrs={"service_code": item.code, "audience": item.audience})


def forwarded_identity(subject_kind: str, subject_id: str, acting_user_id: str) -> ForwardedIdentity:
    if subject_kind == "citizen":
        verified = verified_identity(subject_id)
        if verified is None:
            raise Forbidden("Provincial services need a real-name verified identity.",
                            code="assurance_level_required", details={"required": 2})
        return ForwardedIdentity("citizen", verified[0], verified[1])
    registration = enterprise_registration(subject_id)
    if registration is None:
        raise NotFound("No such enterprise.", code="enterprise_not_found")
    member = verified_identity(acting_user_id)
    return ForwardedIdentity("enterprise", member[0] if member else None, member[1] if member else None,
                             registration[0], registration[1])


def check_fields(item: GovServiceItem, values: Any, prefix: str) -> None:
    problems = forms.validate(json.loads(item.form_schema), values)
    if problems:
        raise ValidationFailed({f"{prefix}.{name}": messages for name, messages in problems.items()})
