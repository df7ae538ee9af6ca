"""Enterprises and their members (/api/v1/enterprises).

Every route works from the personal token or from a token acting for the same
enterprise; a token acting for one enterprise reaches no other (404).
"""

from flask import g
from flask.views import MethodView

from schemas.common import Page, With
from schemas.identity import (
    EnterpriseCreateSchema,
    EnterpriseListSchema,
    EnterpriseSchema,
    ListArgsSchema,
    MemberAddSchema,
    MemberListSchema,
    MemberSchema,
)

from ..api import Blueprint
from . import enterprises

enterprises_blp = Blueprint("enterprises", __name__, url_prefix="/api/v1/enterprises",
                            description="Enterprises verified against the registry, and their members.")


@enterprises_blp.route("")
class Enterprises(MethodView):
    @enterprises_blp.login_required("citizen")
    @enterprises_blp.arguments(ListArgsSchema, location="query")
    @enterprises_blp.response(200, EnterpriseListSchema)
    def get(self, args):
        """Your enterprises and your role in each (acting for one: that one only)."""
        rows, next_cursor = enterprises.list_enterprises(g.principal, limit=args["limit"], cursor=args.get("cursor"))
        return Page([With(enterprise, role=role) for enterprise, role in rows], next_cursor)

    @enterprises_blp.login_required("citizen", level=2)
    @enterprises_blp.arguments(EnterpriseCreateSchema)
    @enterprises_blp.response(201, EnterpriseSchema)
    @enterprises_blp.alt_response(200, schema=EnterpriseSchema, success=True,
                                  description="You had already registered it: the same enterprise (idempotent).")
    @enterprises_blp.alt_response(409, response="CONFLICT", description=(
        "`enterprise_not_active` (revoked or cancelled at the registry) or "
        "`enterprise_already_registered` (by its legal representative, who can add you)."))
    @enterprises_blp.alt_response(502, response="BAD_GATEWAY", description="The enterprise registry failed.")
    @enterprises_blp.alt_response(503, response="SERVICE_UNAVAILABLE",
                                  description="The enterprise registry is unavailable; see Retry-After when given.")
    @enterprises_blp.alt_response(504, response="GATEWAY_TIMEOUT", description="The enterprise registry did not answer.")
    def post(self, body):
        """Register an enterprise you are the legal representative of (needs real-name verification).

        The unified social credit code is checked locally (GB 32100), then looked up at
        the enterprise registry (Yueshangtong): unknown there is a 422
        `enterprise_not_registered`; it must be active (else 409 `enterprise_not_active`);
        its legal representative's ID number must be the one you verified (else 403
        `not_legal_representative`). You become its legal representative member.
        Registering it again answers 200 with it.
        """
        enterprise, role, created = enterprises.register(g.principal, body["uscc"])
        return With(enterprise, role=role), 201 if created else 200


@enterprises_blp.route("/<enterprise_id>")
class EnterpriseItem(MethodView):
    @enterprises_blp.login_required("citizen")
    @enterprises_blp.response(200, EnterpriseSchema)
    @enterprises_blp.alt_response(404, response="NOT_FOUND", description="No such enterprise among yours.")
    def get(self, enterprise_id):
        """One of your enterprises."""
        enterprise, role = enterprises.get_enterprise(g.principal, enterprise_id)
        return With(enterprise, role=role)


@enterprises_blp.route("/<enterprise_id>/members")
class Members(MethodView):
    @enterprises_blp.login_required("citizen")
    @enterprises_blp.arguments(ListArgsSchema, location="query")
    @enterprises_blp.response(200, MemberListSchema)
    @enterprises_blp.alt_response(404, response="NOT_FOUND", description="No such enterprise among yours.")
    def get(self, args, enterprise_id):
        """The enterprise's members, phone and name masked (any member may look)."""
        rows, next_cursor = enterprises.list_members(g.principal, enterprise_id, limit=args["limit"],
                                                     cursor=args.get("cursor"))
        return Page([_member(m, u) for m, u in rows], next_cursor)

    @enterprises_blp.login_required("citizen", level=2)
    @enterprises_blp.arguments(MemberAddSchema)
    @enterprises_blp.response(201, MemberSchema)
    @enterprises_blp.alt_response(404, response="NOT_FOUND", description="No such enterprise among yours.")
    @enterprises_blp.alt_response(409, response="CONFLICT", description="`member_exists`: already a member.")
    @enterprises_blp.alt_response(429, response="TOO_MANY_REQUESTS", description="Too many additions; see Retry-After.")
    def post(self, body, enterprise_id):
        """Add a registered citizen, by phone or user id, as admin or handler.

        The legal representative or an admin may (a handler gets 403
        `member_role_required`); it takes real-name verification. A phone or user id
        without an account is a 422 `grantee_not_registered` naming the field.
        """
        member, user = enterprises.add_member(g.principal, enterprise_id, role=body["role"],
                                              phone=body.get("phone"), user_id=body.get("user_id"))
        return _member(member, user)


@enterprises_blp.route("/<enterprise_id>/members/<user_id>")
class MemberItem(MethodView):
    @enterprises_blp.login_required("citizen", level=2)
    @enterprises_blp.response(204)
    @enterprises_blp.alt_response(404, response="NOT_FOUND", description="No such enterprise among yours, or no such member.")
    @enterprises_blp.alt_response(409, response="CONFLICT",
                                  description="`legal_representative_not_removable`: there is always exactly one.")
    def delete(self, enterprise_id, user_id):
        """Remove a member; their tokens acting for the enterprise stop working at once.

        The legal representative or an admin may; removing an admin takes the legal
        representative (403 `legal_representative_required`), though an admin may
        remove themselves. The legal representative is never removed.
        """
        enterprises.remove_member(g.principal, enterprise_id, user_id)


def _member(member, user) -> With:
    return With(user, role=member.role, added_at=member.created_at)
