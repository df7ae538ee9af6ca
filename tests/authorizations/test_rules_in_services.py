"""Grant rules tested at the service level: the service functions are called directly, as
a view calls them, with the caller as ``g.principal`` (tests/support/service.py). No HTTP,
no token, no sign-in: each rule is asked in a few lines, and what the unit of work kept
or dropped is read straight from the tables.

The same rules are also tested over the API in test_grants.py; these pin them where
they live, so a change to the routes cannot hide a change to a rule.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from nanhaitong.audit.models import AuditEvent
from nanhaitong.authorizations import service
from nanhaitong.authorizations.decide import Decision, Resource, authorize
from nanhaitong.authorizations.models import AccessLogEntry, Grant, GrantEvent
from nanhaitong.errors import Forbidden, NotFound, ValidationFailed
from nanhaitong.timeutil import utcnow
from tests.support.service import citizen_account, principal, service_context

FIRM = "01JDZ0000000000000000FIRM0"  # the enterprise a principal acts for (the rules read only its id)


def body(grantee_id: str, scopes: list[str], *, days: float = 30, **extra) -> dict:
    """A grant request as the input schema loads it."""
    return {"grantee": {"user_id": grantee_id}, "scopes": scopes, "purpose": "代办测试",
            "expires_at": utcnow() + timedelta(days=days), **extra}


def count(ctx, model, *where) -> int:
    return ctx.session.execute(select(func.count()).select_from(model).where(*where)).scalar_one()


def audit_actions(ctx) -> list[tuple[str, str]]:
    return [(e.action, e.result) for e in ctx.session.execute(select(AuditEvent).order_by(AuditEvent.seq)).scalars()]


def test_a_citizen_grants_only_once_real_name_verified(app):
    with service_context(app) as ctx:
        grantor, grantee = citizen_account(level=1), citizen_account(level=2)

        ctx.acting(principal(grantor, level=1))
        with pytest.raises(Forbidden) as refused:
            service.create_grant(ctx.principal, body(grantee, ["licences:read"]))
        assert (refused.value.code, refused.value.details) == ("assurance_level_required", {"required": 2, "current": 1})
        assert count(ctx, Grant) == 0 and count(ctx, GrantEvent) == 0 and audit_actions(ctx) == []

        ctx.acting(principal(grantor, level=2))
        grant = service.create_grant(ctx.principal, body(grantee, ["licences:read"]))
        assert (grant.grantor_kind, grant.grantor_id, grant.grantee_id) == ("citizen", grantor, grantee)
        assert json.loads(grant.scopes) == ["licences:read"]
        # The grant, its history and its audit event were one unit: all committed together.
        ctx.session.rollback()
        assert count(ctx, Grant) == 1
        assert [e.event for e in service.history(grant)] == ["created"]
        assert audit_actions(ctx) == [("authorization.granted", "success")]


def test_a_refused_grant_leaves_nothing_behind(app):
    with service_context(app) as ctx:
        grantor = citizen_account(level=2)
        ctx.acting(principal(grantor))
        with pytest.raises(ValidationFailed) as refused:
            service.create_grant(ctx.principal, body(grantor, ["licences:read"]))
        assert refused.value.details["fields"]["grantee"] == ["You cannot grant to yourself."]
        ctx.session.rollback()
        assert count(ctx, Grant) == 0 and count(ctx, GrantEvent) == 0 and audit_actions(ctx) == []


@pytest.mark.parametrize(("role", "scopes", "refused_scopes"), [
    ("handler", ["licences:read"], None),  # a handler never grants for the enterprise
    ("admin", ["esign:seal"], ["esign:seal"]),  # an admin grants, but not what only the legal representative may
    ("admin", ["licences:read", "members:manage"], ["members:manage"]),
])
def test_who_grants_for_the_enterprise(app, role, scopes, refused_scopes):
    with service_context(app) as ctx:
        member, grantee = citizen_account(level=3), citizen_account(level=3)
        ctx.acting(principal(member, level=3, enterprise_id=FIRM, role=role))
        with pytest.raises(Forbidden) as refused:
            service.create_grant(ctx.principal, body(grantee, scopes))
        assert refused.value.code == "member_role_required"
        assert refused.value.details.get("scopes") == refused_scopes
        assert count(ctx, Grant) == 0

        ctx.acting(principal(member, level=3, enterprise_id=FIRM, role="legal_representative"))
        grant = service.create_grant(ctx.principal, body(grantee, scopes))
        assert (grant.grantor_kind, grant.grantor_id, grant.created_by) == ("enterprise", FIRM, f"citizen:{member}")


def test_a_delegate_sees_what_it_holds_never_what_the_grantor_granted(app):
    with service_context(app) as ctx:
        grantor, delegate, other = citizen_account(level=2), citizen_account(level=2), citizen_account(level=2)
        ctx.acting(principal(grantor))
        held = service.create_grant(ctx.principal, body(delegate, ["licences:read"]))
        to_other = service.create_grant(ctx.principal, body(other, ["licences:read"]))

        ctx.acting(principal(delegate, grant_id=held.id, for_citizen=grantor))
        with pytest.raises(Forbidden) as refused:
            service.list_grants(ctx.principal, direction="granted", status=None, limit=10, cursor=None)
        assert refused.value.code == "not_authorized"
        with pytest.raises(NotFound) as hidden:
            service.get_grant(ctx.principal, to_other.id)  # acting for the grantor is standing on no side of it
        assert hidden.value.code == "authorization_not_found"
        assert service.get_grant(ctx.principal, held.id) is not None  # the grant it holds, it sees
        received, _ = service.list_grants(principal(delegate), direction="received", status=None, limit=10,
                                          cursor=None)
        assert [g.id for g in received] == [held.id]


def test_a_use_outside_the_grants_constraints_is_refused_and_the_refusal_kept(app):
    with service_context(app) as ctx:
        grantor, delegate = citizen_account(level=2), citizen_account(level=2)
        ctx.acting(principal(grantor))
        grant = service.create_grant(ctx.principal, body(delegate, ["licences:read"],
                                                         constraints={"licence_types": ["business_licence"]}))
        ctx.acting(principal(delegate, grant_id=grant.id, for_citizen=grantor))

        def licence(licence_type: str) -> Resource:
            return Resource(type="licence", owner_kind="citizen", owner_id=grantor, id="licence-1",
                            attrs={"licence_type": licence_type})

        with pytest.raises(Forbidden) as refused, ctx.unit():
            authorize(ctx.principal, "licences:read", licence("driving_licence"))
        assert refused.value.code == "outside_grant_constraints"
        assert refused.value.details == {"constraint": "licence_type", "grant_id": grant.id}
        # The unit rolled back, the denial outlived it as evidence.
        [denied] = ctx.session.execute(select(AuditEvent).where(AuditEvent.action == "authorization.denied")).scalars()
        assert denied.result == "denied" and denied.actor == f"citizen:{delegate}"
        assert json.loads(denied.details) == {"action": "licences:read", "constraint": "licence_type",
                                              "grant_id": grant.id}
        assert count(ctx, AccessLogEntry) == 0

        with ctx.unit():
            decision = authorize(ctx.principal, "licences:read", licence("business_licence"))
        assert decision == Decision("delegate", grant.id)
        assert count(ctx, AccessLogEntry, AccessLogEntry.grant_id == grant.id) == 1
