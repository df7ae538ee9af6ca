"""Grants (/api/v1/authorizations), the scope vocabulary, and the owner's access log."""

from flask import g
from flask.views import MethodView

from schemas.admin import AccessLogArgsSchema as AdminAccessLogArgsSchema
from schemas.admin import AuditAccessLogSchema
from schemas.authorizations import (
    AccessLogArgsSchema,
    AccessLogSchema,
    GrantCreateSchema,
    GrantListArgsSchema,
    GrantListSchema,
    GrantSchema,
    ScopeListSchema,
)
from schemas.common import Page, With

from ..api import Blueprint
from ..i18n import translate
from . import service
from .scopes import SCOPES

blp = Blueprint("authorizations", __name__, url_prefix="/api/v1/authorizations",
                description="One grant model for delegation (代办), business authorization (业务授权) and consent.")
access_log_blp = Blueprint("access_log", __name__, url_prefix="/api/v1/me/access-log",
                           description="Who used your data, or your enterprise's, and under which grant.")


@blp.route("")
class Grants(MethodView):
    @blp.login_required("citizen", level=2)
    @blp.idempotent
    @blp.arguments(GrantCreateSchema)
    @blp.response(201, GrantSchema)
    def post(self, body):
        """Grant someone scopes on your behalf, or (acting for an enterprise as its legal
        representative or an admin) on the enterprise's behalf."""
        return service.with_parties([service.create_grant(g.principal, body)])[0]

    @blp.login_required("citizen")
    @blp.arguments(GrantListArgsSchema, location="query")
    @blp.response(200, GrantListSchema)
    def get(self, args):
        """Grants you gave (direction=granted) or received (direction=received), newest first."""
        items, next_cursor = service.list_grants(g.principal, direction=args["direction"], status=args.get("status"),
                                                 limit=args["limit"], cursor=args.get("cursor"))
        return Page(service.with_parties(items), next_cursor)


@blp.route("/scopes")
class Scopes(MethodView):
    @blp.public
    @blp.response(200, ScopeListSchema)
    def get(self):
        """The scope vocabulary and its rules: who may grant each, to whom, for how long, which roles hold it."""
        return Page([With(rule, name=name, description=translate(rule.description)) for name, rule in SCOPES.items()])


@blp.route("/<grant_id>")
class GrantItem(MethodView):
    @blp.login_required("citizen")
    @blp.response(200, GrantSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, grant_id):
        """One grant with its history (for its grantor or grantee)."""
        return service.with_parties([service.get_grant(g.principal, grant_id)])[0]


@blp.route("/<grant_id>/revoke")
class GrantRevoke(MethodView):
    @blp.login_required("citizen")
    @blp.response(200, GrantSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, grant_id):
        """Revoke a grant (grantor) or renounce it (grantee); grants passed on from it end too.
        Tokens acting under it stop working on their next request."""
        return service.with_parties([service.revoke_grant(g.principal, grant_id)])[0]


@access_log_blp.route("")
class AccessLog(MethodView):
    @access_log_blp.login_required("citizen")
    @access_log_blp.arguments(AccessLogArgsSchema, location="query")
    @access_log_blp.response(200, AccessLogSchema)
    def get(self, args):
        """Every read or use of your data (or, acting for your enterprise, its data) by someone else."""
        items, next_cursor = service.access_log(g.principal, limit=args["limit"], cursor=args.get("cursor"))
        return Page(service.with_accessors(items), next_cursor)


# -- everyone's access logs, for auditors (issue 24) -----------------------------------------

admin_access_log_blp = Blueprint("admin_access_log", __name__, url_prefix="/api/v1/admin/access-log",
                                 description="Every person's access log, for auditors.")


@admin_access_log_blp.route("")
class AdminAccessLog(MethodView):
    @admin_access_log_blp.login_required("staff")
    @admin_access_log_blp.arguments(AdminAccessLogArgsSchema, location="query")
    @admin_access_log_blp.response(200, AuditAccessLogSchema)
    def get(self, args):
        """Access-log entries newest first, by owner, accessor or action (role auditor)."""
        items, next_cursor = service.search_access_log(g.principal, **args)
        return Page(service.with_accessors(items, owners=True), next_cursor)
