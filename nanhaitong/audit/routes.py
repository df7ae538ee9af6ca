"""/api/v1/admin/audit/events: the audit log for auditors (browse, read one, export CSV)."""

from flask import Response, g
from flask.views import MethodView

from schemas.admin import AuditEventArgsSchema, AuditEventListSchema, AuditEventSchema, AuditExportArgsSchema
from schemas.common import Page

from ..api import Blueprint
from . import browse

admin_audit_events_blp = Blueprint("admin_audit_events", __name__, url_prefix="/api/v1/admin/audit",
                                   description="The audit log's events, for auditors.")
blp = admin_audit_events_blp


@blp.route("/events")
class AuditEvents(MethodView):
    @blp.login_required("staff")
    @blp.arguments(AuditEventArgsSchema, location="query")
    @blp.response(200, AuditEventListSchema)
    def get(self, args):
        """Events newest first, filtered by action (or its prefix), actor, result, object and China dates."""
        items, next_cursor = browse.list_events(g.principal, **args)
        return Page(items, next_cursor)


@blp.route("/events/<ulid:event_id>")
class AuditEvent(MethodView):
    @blp.login_required("staff")
    @blp.response(200, AuditEventSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, event_id):
        """One event with its details and chain hashes."""
        return browse.get_event(g.principal, event_id)


@blp.route("/export")
class AuditExport(MethodView):
    @blp.login_required("staff")
    @blp.arguments(AuditExportArgsSchema, location="query")
    @blp.response(200, {"type": "string"}, content_type="text/csv")
    def get(self, args):
        """Every event of a China-date range (at most 31 days), oldest first, as CSV. The export is audited."""
        text = browse.export_csv(g.principal, **args)
        name = f"audit-{args['date_from'].isoformat()}-{args['date_to'].isoformat()}.csv"
        return Response(text, mimetype="text/csv",
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
