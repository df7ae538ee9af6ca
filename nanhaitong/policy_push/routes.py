"""Policy interpretations: public reading (/api/v1/policies), editing (/api/v1/admin/policies,
staff with policy_editor) and an enterprise's matches (/api/v1/enterprises/{id}/policy-matches)."""

from flask import g
from flask.views import MethodView

from schemas.admin import PolicyPreviewResultSchema, PolicyPreviewSchema
from schemas.common import Page, With
from schemas.policy_push import (
    AdminPolicyListArgsSchema,
    AdminPolicyListSchema,
    AdminPolicySchema,
    FanOutListSchema,
    MatchListArgsSchema,
    PolicyListArgsSchema,
    PolicyListSchema,
    PolicyMatchListSchema,
    PolicySchema,
    PolicyWriteSchema,
)

from ..api import Blueprint
from . import service

EDITORS = ("policy_editor",)

blp = Blueprint("policies", __name__, url_prefix="/api/v1/policies",
                description="Published policy interpretations (subsidies, tax relief, talent programmes), searchable.")
admin_blp = Blueprint("admin_policies", __name__, url_prefix="/api/v1/admin/policies",
                      description="Drafting, publishing, amending and withdrawing policies (staff: policy_editor).")
matches_blp = Blueprint("policy_matches", __name__, url_prefix="/api/v1/enterprises",
                        description="Which published policies are meant for an enterprise, and why.")


@blp.route("")
class Policies(MethodView):
    @blp.public
    @blp.arguments(PolicyListArgsSchema, location="query")
    @blp.response(200, PolicyListSchema)
    def get(self, args):
        """Published policies; `q` searches title and text (Chinese by character pairs: 补贴)."""
        rows, next_cursor = service.search(q=args.get("q"), category=args.get("category"),
                                           open_only=args["open_only"], limit=args["limit"], cursor=args.get("cursor"))
        return Page([version for _, version in rows], next_cursor)


@blp.route("/<ulid:policy_id>")
class PolicyItem(MethodView):
    @blp.public
    @blp.response(200, PolicySchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, policy_id):
        """One published policy, its current version (drafts and withdrawn policies are 404)."""
        return service.get_published(policy_id)[1]


@admin_blp.route("/preview")
class AdminPolicyPreview(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.arguments(PolicyPreviewSchema)
    @admin_blp.response(200, PolicyPreviewResultSchema)
    def post(self, body):
        """How many enterprises a draft's targeting rules match today (role policy_editor), before publishing."""
        return {"matched": service.preview_match_count(g.principal, body["rules"])}


@admin_blp.route("")
class AdminPolicies(MethodView):
    @admin_blp.login_required("staff", roles=EDITORS)
    @admin_blp.arguments(AdminPolicyListArgsSchema, location="query")
    @admin_blp.response(200, AdminPolicyListSchema)
    def get(self, args):
        """Every policy, any status, newest first."""
        items, next_cursor = service.list_admin(status=args.get("status"), limit=args["limit"],
                                                cursor=args.get("cursor"))
        return Page([service.with_versions(p) for p in items], next_cursor)

    @admin_blp.login_required("staff", roles=EDITORS)
    @admin_blp.arguments(PolicyWriteSchema)
    @admin_blp.response(201, AdminPolicySchema)
    def post(self, body):
        """Draft a policy (version 1) with its interpretation and targeting rules."""
        return service.with_versions(service.create_policy(g.principal, body))


@admin_blp.route("/<ulid:policy_id>")
class AdminPolicy(MethodView):
    @admin_blp.login_required("staff", roles=EDITORS)
    @admin_blp.response(200, AdminPolicySchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def get(self, policy_id):
        """A policy: its versions, the newest one's content, its fan-outs."""
        return service.with_versions(service.get_admin(policy_id))

    @admin_blp.login_required("staff", roles=EDITORS)
    @admin_blp.arguments(PolicyWriteSchema)
    @admin_blp.response(200, AdminPolicySchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def put(self, body, policy_id):
        """Replace the draft; on a published policy, amend: draft the next version (published ones never change)."""
        return service.with_versions(service.save(g.principal, policy_id, body))


@admin_blp.route("/<ulid:policy_id>/publish")
class AdminPublish(MethodView):
    @admin_blp.login_required("staff", roles=EDITORS)
    @admin_blp.response(200, AdminPolicySchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def post(self, policy_id):
        """Publish the newest draft (or the current version again) and queue its fan-out to matching enterprises.

        Each version reaches each enterprise's inbox once: publishing the same version
        again records a fan-out that sends nothing new.
        """
        policy, _ = service.publish(g.principal, policy_id)
        return service.with_versions(policy)


@admin_blp.route("/<ulid:policy_id>/withdraw")
class AdminWithdraw(MethodView):
    @admin_blp.login_required("staff", roles=EDITORS)
    @admin_blp.response(200, AdminPolicySchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(409, response="CONFLICT", description="`policy_not_published`")
    def post(self, policy_id):
        """Withdraw: hidden from the public and from matches; messages already sent stay."""
        return service.with_versions(service.withdraw(g.principal, policy_id))


@admin_blp.route("/<ulid:policy_id>/fanouts")
class AdminFanOuts(MethodView):
    @admin_blp.login_required("staff", roles=EDITORS)
    @admin_blp.response(200, FanOutListSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def get(self, policy_id):
        """The fan-outs of the policy, newest first: matched, processed, delivered, status."""
        return Page(service.fanouts_of(policy_id))


@matches_blp.route("/<ulid:enterprise_id>/policy-matches")
class PolicyMatches(MethodView):
    @matches_blp.login_required("citizen")
    @matches_blp.arguments(MatchListArgsSchema, location="query")
    @matches_blp.response(200, PolicyMatchListSchema)
    @matches_blp.alt_response(404, response="NOT_FOUND")
    def get(self, args, enterprise_id):
        """Published policies meant for the enterprise, newest first, each with every rule it met."""
        enterprise, items, next_cursor = service.matches_for(g.principal, enterprise_id, limit=args["limit"],
                                                             cursor=args.get("cursor"))
        return With(Page([With(explanation, policy=version) for _, version, explanation in items], next_cursor),
                    enterprise=enterprise)
