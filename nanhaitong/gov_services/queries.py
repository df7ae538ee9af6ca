"""Proxied queries: decided, forwarded with the verified identity, cached where allowed, audited."""

from __future__ import annotations

import hashlib
import json

from .. import db
from ..audit.service import record as audit
from ..authorizations import Resource, authorize
from ..errors import AppError, Conflict
from ..kernel import Principal
from ..timeutil import isoformat, utcnow
from ..upstream import upstream_errors
from . import stores
from .catalogue import PROVIDERS, get_item
from .forwarding import check_fields, forwarded_identity, service_resource, upstream_client
from .models import GovServiceItem


def _proxied(action: str, item: GovServiceItem, resource: Resource, **details):
    """Audit a proxied call that failed (as evidence, kept when the operation fails)."""
    db.keep_as_evidence(audit, action, result="failure", object_type="gov_service", object_id=item.code,
                        on_behalf_of=f"{resource.owner_kind}:{resource.owner_id}", details=details)


# -- queries --------------------------------------------------------------------------------------

@db.unit_of_work()
def query(principal: Principal, code: str, params: dict) -> dict:
    item = get_item(code)
    if item.kind != "query":
        raise Conflict("This service is applied for, not queried.", code="not_a_query_service")
    resource = service_resource(principal, item)
    check_fields(item, params, "params")
    authorize(principal, "gov_services:query", resource)
    identity = forwarded_identity(resource.owner_kind, resource.owner_id, principal.account_id)
    canonical = json.dumps(params, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    key = hashlib.sha256(f"{resource.owner_kind}:{resource.owner_id}|{item.code}|{canonical}".encode()).hexdigest()
    cached = stores.cache_get(key) if item.cacheable else None
    if cached is None:
        try:
            with upstream_errors(PROVIDERS[item.provider]):
                answer = upstream_client(item.provider).query(item.code, params, identity)
        except AppError as failure:
            _proxied("gov_services.query", item, resource, service_code=item.code, error=failure.code)
            raise
        cached = {"summary": answer.summary, "fields": answer.fields, "records": answer.records,
                  "upstream_request_id": answer.request_id, "queried_at": isoformat(utcnow())}
        if item.cacheable:
            stores.cache_put(key, cached, item.cache_ttl_seconds)
        from_cache = False
    else:
        from_cache = True
    audit("gov_services.query", object_type="gov_service", object_id=item.code,
          on_behalf_of=f"{resource.owner_kind}:{resource.owner_id}",
          details={"service_code": item.code, "provider": item.provider, "cached": from_cache,
                   "upstream_request_id": cached["upstream_request_id"]})
    return {"service_code": item.code, "provider": item.provider, "cached": from_cache, **cached}
