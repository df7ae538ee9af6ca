"""Plain factories for the authorization tests: citizens at a level, grants, acting tokens,
and asking the one decision point directly with a caller's token.

Most things go through the API, as a client would. A few shortcuts go through the ORM
where the API has no way (moving a grant's expiry into the past) or where the API's way
needs a demo identity the sandbox has only six of (raising a test account's assurance
level, adding throw-away members and sessions to act on).
"""

from __future__ import annotations

import itertools
import json
from datetime import datetime, timedelta, timezone

import jwt
from flask import g
from sqlalchemy import select

from nanhaitong import db
from nanhaitong.audit.models import AuditEvent
from nanhaitong.authorizations.decide import Resource, authorize
from nanhaitong.authorizations.models import Grant
from nanhaitong.identity import codes, sessions
from nanhaitong.identity.models import EnterpriseMember, User
from tests.identity.conftest import Citizen
from tests.identity.test_enterprises import (  # noqa: F401  (re-exported for the test modules)
    CHEN,
    DANZAO,
    GUICHENG,
    HE,
    HUANG,
    LI,
    LIANG,
    OU,
    SHISHAN,
    registered,
    user_id,
    verified,
)

# Settings for apps in these tests: many sign-ins of the same phones, many requests.
APP_SETTINGS = {"SMS_RESEND_SECONDS": 0, "SMS_DAILY_PER_PHONE": 1000, "SMS_DAILY_PER_IP": 100_000,
                "RATELIMIT_DEFAULT": "100000 per minute"}

NO_SUCH_ID = "01ARZ3NDEKTSV4RRFFQ69G5FAV"  # a well-formed ULID nothing has

_phones = itertools.count(1)


def fresh_phone() -> str:
    """A phone no demo citizen has (137 prefix), different on every call."""
    return f"137{next(_phones):08d}"


def in_days(days: float, *, base: datetime | None = None) -> str:
    moment = (base or datetime.now(timezone.utc)) + timedelta(days=days)
    return moment.isoformat().replace("+00:00", "Z")


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}


def claims(access_token: str) -> dict:
    return jwt.decode(access_token, options={"verify_signature": False})


def acting(citizen: Citizen, pair: dict) -> Citizen:
    return Citizen(citizen.client, citizen.app, citizen.phone, pair)


def act_for(citizen: Citizen, enterprise_id: str) -> Citizen:
    """The citizen's token acting for an enterprise they belong to."""
    answer = citizen.post("/api/v1/auth/act-as", json={"enterprise_id": enterprise_id})
    assert answer.status_code == 200, answer.get_json()
    return acting(citizen, answer.get_json())


def act_under(citizen: Citizen, grant_id: str) -> Citizen:
    """The citizen's token acting under a grant they received."""
    answer = citizen.post("/api/v1/auth/act-as", json={"authorization_id": grant_id})
    assert answer.status_code == 200, answer.get_json()
    return acting(citizen, answer.get_json())


def refresh(client, refresh_token: str):
    return client.post("/api/v1/auth/tokens", json={"grant_type": "refresh_token", "refresh_token": refresh_token})


def set_level(app, user_id_: str, level: int) -> None:
    """Raise a test account's assurance level (the sandbox IDV knows only the six demo citizens)."""
    with app.app_context():
        db.session().get(User, user_id_).assurance_level = level
        db.session().commit()


def citizen_at(sign_in, level: int = 1, phone: str | None = None) -> tuple[Citizen, str]:
    """A signed-in non-demo citizen at ``level``; returns it and its user id."""
    citizen = sign_in(phone or fresh_phone())
    ident = user_id(citizen)
    if level > 1:
        set_level(citizen.app, ident, level)
    return citizen, ident


def account(app, level: int = 1) -> tuple[str, str]:
    """A registered citizen account that never signs in: (user id, phone)."""
    phone = fresh_phone()
    with app.app_context():
        user = User(phone=phone, phone_index=codes.phone_index(phone), assurance_level=level)
        db.session().add(user)
        db.session().commit()
        return user.id, phone


def add_member(app, enterprise_id: str, role: str = "handler", level: int = 1) -> str:
    """A new account made a member of the enterprise straight in the database; its user id."""
    ident, _ = account(app, level)
    with app.app_context():
        db.session().add(EnterpriseMember(enterprise_id=enterprise_id, user_id=ident, role=role))
        db.session().commit()
    return ident


def open_session(app, user_id_: str) -> str:
    """Another signed-in device of the citizen (a session), straight in the database."""
    with app.test_request_context():
        auth_session = sessions.open_session(account_kind="citizen", account_id=user_id_, audience="app")
        db.session().commit()
        return auth_session.id


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


def audit_rows(app, action: str | None = None, prefix: str | None = None) -> list[AuditEvent]:
    with app.app_context():
        query = select(AuditEvent).order_by(AuditEvent.seq)
        if action:
            query = query.where(AuditEvent.action == action)
        if prefix:
            query = query.where(AuditEvent.action.like(prefix + "%"))
        return list(db.session().execute(query).scalars())


def details(event: AuditEvent) -> dict:
    return json.loads(event.details)
