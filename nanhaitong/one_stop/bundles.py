"""Bundled life events (一件事一次办)."""

from __future__ import annotations

from .. import db
from ..errors import NotFound
from .models import Bundle


def get_bundle_by_id(bundle_id: str) -> Bundle:
    bundle = db.session().get(Bundle, bundle_id)
    if bundle is None:
        raise NotFound("No such bundle.", code="bundle_not_found")
    return bundle


def follow_parts(parent_id: str, actor: str) -> None:
    raise NotImplementedError
