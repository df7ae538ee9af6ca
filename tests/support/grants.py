"""Authorizations (grants): making, revoking and expiring them, acting under one, and
asking the one decision point directly with a caller's token."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from flask import g

from nanhaitong import db
from nanhaitong.authorizations.decide import Resource, authorize
from nanhaitong.authorizations.models import Grant

from .citizens import Citizen, acting


def in_days(days: float, *, base: datetime | None = None) -> str:
    moment = (base or datetime.now(timezone.utc)) + timedelta(days=days)
    return moment.isoformat().replace("+00:00", "Z")


def act_under(citizen: Citizen, grant_id: str) -> Citizen:
    """The citizen's token acting under a grant they received."""
    answer = citizen.post("/api/v1/auth/act-as", json={"authorization_id": grant_id})
    assert answer.status_code == 200, answer.get_json()
    return acting(citizen, answer.get_json())


def grant_body(grantee: dict | str, scopes, *, days: float = 30, **extra) -> dict:
    if isinstance(grantee, str):
        grantee = {"user_id": grantee}
    return {"grantee": grantee, "scopes": list(scopes), "purpose": extra.pop("purpose", "代办测试"),
            "expires_at": in_days(days), **extra}


def create_grant(grantor: Citizen, grantee: dict | str, scopes, *, days: float = 30, **extra) -> dict:
    """POST /api/v1/authorizations; asserts 201 and returns the grant."""
    answer = grantor.post("/api/v1/authorizations", json=grant_body(grantee, scopes, days=days, **extra))
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def revoke(citizen: Citizen, grant_id: str) -> dict:
    answer = citizen.post(f"/api/v1/authorizations/{grant_id}/revoke")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def expire(app, grant_id: str) -> None:
    """Move a grant's expiry into the past (as time passing would)."""
    with app.app_context():
        grant = db.session().get(Grant, grant_id)
        grant.not_before = datetime.now(timezone.utc) - timedelta(days=2)
        grant.expires_at = datetime.now(timezone.utc) - timedelta(seconds=1)
        db.session().commit()


def authorize_as(app, citizen: Citizen, action: str, resource: Resource):
    """Ask the one decision point as a request carrying ``citizen``'s token would.

    Inside one unit of work, as a service operation asks it: the use or the refusal is
    kept as evidence when the unit ends. Returns the Decision or raises what
    ``authorize`` raised.
    """
    with app.test_request_context(headers=citizen.headers), db.unit_of_work():
        g.principal = app.extensions["nht.authenticators"]["citizen"]()
        return authorize(g.principal, action, resource)


def citizen_resource(owner_id: str, type_: str = "licence", **attrs) -> Resource:
    return Resource(type=type_, owner_kind="citizen", owner_id=owner_id, id=f"{type_}-1", attrs=attrs)


def enterprise_resource(enterprise_id: str, type_: str = "document", **attrs) -> Resource:
    return Resource(type=type_, owner_kind="enterprise", owner_id=enterprise_id, id=f"{type_}-1", attrs=attrs)
