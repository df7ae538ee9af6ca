"""One-stop services for staff (/api/v1/admin/one-stop, role ``operator``): the catalogue,
the counter, cases and their deadlines, follow-ups of bad ratings, statistics, bundles
and benefits without application."""

from flask import g
from flask.views import MethodView

from schemas.one_stop import (
    AdminMatterListArgsSchema,
    CheckInResultSchema,
    CheckInSchema,
    MatterListSchema,
    MatterSchema,
    MatterStatusSchema,
    MatterWriteSchema,
)

from ..api import Blueprint
from . import appointments, catalogue
from .views import appointment_view, matter_view, matter_views

OPERATORS = ("operator",)

admin_blp = Blueprint("admin_one_stop", __name__, url_prefix="/api/v1/admin/one-stop",
                      description="Managing matters, counter cases, deadlines, follow-ups, bundles and benefits "
                                  "(staff: operator).")


def _matter(matter):
    return matter_view(matter, catalogue.centre_codes_of(matter.id))


@admin_blp.route("/matters")
class AdminMatters(MethodView):
    @admin_blp.login_required("staff", roles=OPERATORS)
    @admin_blp.arguments(AdminMatterListArgsSchema, location="query")
    @admin_blp.response(200, MatterListSchema)
    def get(self, args):
        """Every matter, active or retired, by code (same filters and search as the public list)."""
        items, next_cursor = catalogue.search_matters(
            q=args.get("q"), department=args.get("department"), centre=args.get("centre"),
            audience=args.get("audience"), online=args.get("online"), status=args.get("status"),
            limit=args["limit"], cursor=args.get("cursor"))
        return {"items": matter_views(items), "next_cursor": next_cursor}

    @admin_blp.login_required("staff", roles=OPERATORS)
    @admin_blp.arguments(MatterWriteSchema)
    @admin_blp.response(201, MatterSchema)
    @admin_blp.alt_response(409, response="CONFLICT", description="`matter_code_taken`")
    def post(self, body):
        """Add a matter to the catalogue."""
        return _matter(catalogue.create_matter(g.principal, body))


@admin_blp.route("/matters/<ulid:matter_id>")
class AdminMatter(MethodView):
    @admin_blp.login_required("staff", roles=OPERATORS)
    @admin_blp.arguments(MatterWriteSchema)
    @admin_blp.response(200, MatterSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def put(self, body, matter_id):
        """Replace a matter's content (its code stays)."""
        return _matter(catalogue.update_matter(g.principal, matter_id, body))


@admin_blp.route("/matters/<ulid:matter_id>/status")
class AdminMatterStatus(MethodView):
    @admin_blp.login_required("staff", roles=OPERATORS)
    @admin_blp.arguments(MatterStatusSchema)
    @admin_blp.response(200, MatterSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def post(self, body, matter_id):
        """Retire a matter (hidden from the public, no new bookings or cases) or bring it back."""
        return _matter(catalogue.set_matter_status(g.principal, matter_id, body["status"]))


@admin_blp.route("/centres/<centre_code>/check-ins")
class AdminCheckIns(MethodView):
    @admin_blp.login_required("staff", roles=OPERATORS)
    @admin_blp.arguments(CheckInSchema)
    @admin_blp.response(200, CheckInResultSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(409, response="CONFLICT", description="`wrong_day`, `appointment_closed`")
    def post(self, body, centre_code):
        """The centre's queue machine scanned a check-in QR: check in and answer the queue number (取号)."""
        appointment = appointments.check_in(g.principal, centre_code, body["payload"])
        return {"appointment": appointment_view(appointment), "queue_number": appointment.queue_number}
