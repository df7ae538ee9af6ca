"""The catalogue of provincial services: what each is, who it is for, and its administration."""

from __future__ import annotations

import json
from functools import lru_cache
from pathlib import Path

from sqlalchemy import bindparam, or_, select

from schemas.gov_services import APPLICATION_STATUSES as STATUSES  # noqa: F401  (the service exports it)
from schemas.gov_services import KINDS
from schemas.gov_services import PROVIDER_NAMES as PROVIDERS

from .. import db
from ..audit.service import record as audit
from ..driver_reads import DriverRead
from ..errors import Conflict, NotFound, ValidationFailed
from ..timeutil import utcnow
from . import forms
from .models import GovServiceItem

CATALOGUE_FILE = Path(__file__).with_name("catalogue.json")
AUDIENCE_OF = {"yueshengshi": "citizen", "yueshangtong": "enterprise"}
CALLBACK_APP_KEYS = {"yueshengshi": "yueshengshi", "yueshangtong_gateway": "yueshangtong"}
MAX_ATTACHMENTS = 10
ITEM_FIELDS = ("provider", "kind", "category", "name", "department", "description", "eligibility", "materials",
               "fee_fen", "fee_note", "legal_time_limit_days", "promised_time_limit_days", "form_schema",
               "attachable_licence_types", "cacheable", "cache_ttl_seconds", "status")
_JSON_FIELDS = ("materials", "form_schema", "attachable_licence_types")


# -- the catalogue ---------------------------------------------------------------------------

def get_item(code: str, *, include_retired: bool = False) -> GovServiceItem:
    item = db.session().get(GovServiceItem, code) if isinstance(code, str) and len(code) <= 64 else None
    if item is None or (item.status != "active" and not include_retired):
        raise NotFound("No such service.", code="gov_service_not_found")
    return item


def list_items(*, audience=None, provider=None, category=None, kind=None, q=None, include_retired=False,
               limit: int, cursor: str | None) -> tuple[list, str | None]:
    """A page of the catalogue, by code: rows with the item's columns (only shown)."""
    filters = {"audience": audience, "provider": provider, "category": category, "kind": kind}
    params = {name: value for name, value in filters.items() if value}
    if q:
        params["pattern"] = "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
    if cursor:
        params["cursor"] = cursor
    params["limit"] = limit + 1
    rows = _page(tuple(sorted(params)), include_retired).rows(params)
    return rows[:limit], (rows[limit - 1].code if len(rows) > limit else None)


_ITEMS = GovServiceItem.__table__


@lru_cache(maxsize=None)
def _page(given: tuple[str, ...], include_retired: bool) -> DriverRead:
    """The page's SELECT for each combination of filters given, built once."""
    items = _ITEMS
    query = select(items)
    if not include_retired:
        query = query.where(items.c.status == "active")
    for name in ("audience", "provider", "category", "kind"):
        if name in given:
            query = query.where(items.c[name] == bindparam(name))
    if "pattern" in given:
        pattern = bindparam("pattern")
        query = query.where(or_(items.c.name.like(pattern, escape="\\"), items.c.description.like(pattern, escape="\\"),
                                items.c.code.like(pattern, escape="\\")))
    if "cursor" in given:
        query = query.where(items.c.code > bindparam("cursor"))
    return DriverRead(query.order_by(items.c.code).limit(bindparam("limit")))


def _apply_fields(item: GovServiceItem, data: dict) -> None:
    if "form_schema" in data:
        try:
            forms.check_schema(data["form_schema"])
        except forms.SchemaError as exc:
            raise ValidationFailed({"form_schema": [str(exc)]}) from None
    for name in ITEM_FIELDS:
        if name in data:
            value = data[name]
            setattr(item, name, json.dumps(value, ensure_ascii=False, sort_keys=True) if name in _JSON_FIELDS
                    else value)
    if "provider" in data:
        item.audience = AUDIENCE_OF[data["provider"]]
    if item.cacheable and not item.cache_ttl_seconds:
        raise ValidationFailed({"cache_ttl_seconds": ["A cacheable service needs a cache time."]})
    item.updated_at = utcnow()


@db.unit_of_work()
def create_item(data: dict, *, actor: str | None = None) -> GovServiceItem:
    session = db.session()
    if data["code"].split(".")[0] != {"yueshengshi": "yss", "yueshangtong": "ysst"}[data["provider"]]:
        raise ValidationFailed({"code": ["The code's prefix must name the provider (yss. or ysst.)."]})
    if session.get(GovServiceItem, data["code"]) is not None:
        raise Conflict("A service with this code exists.", code="gov_service_exists")
    item = GovServiceItem(code=data["code"], status="active")
    _apply_fields(item, {"attachable_licence_types": [], "cacheable": False, "cache_ttl_seconds": 0,
                         "fee_fen": 0, **data})
    session.add(item)
    audit("gov_services.item.created", actor=actor, object_type="gov_service", object_id=item.code)
    return item


@db.unit_of_work()
def update_item(code: str, data: dict, *, actor: str | None = None) -> GovServiceItem:
    item = get_item(code, include_retired=True)
    _apply_fields(item, data)
    audit("gov_services.item.updated", actor=actor, object_type="gov_service", object_id=item.code,
          details={"fields": sorted(data)})
    return item


@db.unit_of_work()
def load_catalogue(path: Path | None = None, *, actor: str = "system:catalogue-load") -> dict:
    """Create or update the items of a catalogue file (by code); items not in it are kept."""
    document = json.loads((path or CATALOGUE_FILE).read_text(encoding="utf-8"))
    session = db.session()
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for entry in document["items"]:
        forms.check_schema(entry["form_schema"])
        if entry["provider"] not in PROVIDERS or entry["kind"] not in KINDS:
            raise ValueError(f"{entry['code']}: unknown provider or kind")
        data = {k: v for k, v in entry.items() if k in ITEM_FIELDS}
        item = session.get(GovServiceItem, entry["code"])
        if item is None:
            item = GovServiceItem(code=entry["code"], status="active")
            session.add(item)
            counts["created"] += 1
        elif _unchanged(item, entry):
            counts["unchanged"] += 1
            continue
        else:
            counts["updated"] += 1
        _apply_fields(item, data)
    audit("gov_services.catalogue.loaded", actor=actor, details=counts)
    return counts


def _unchanged(item: GovServiceItem, entry: dict) -> bool:
    """Whether loading ``entry`` would leave ``item`` as it is."""
    stored = {name: json.loads(getattr(item, name)) if name in _JSON_FIELDS else getattr(item, name)
              for name in (*ITEM_FIELDS, "code", "audience")}
    return all(stored[name] == value for name, value in entry.items() if name in stored)
