"""One-stop services for staff (/api/v1/admin/one-stop): the catalogue, the counter, cases
and their deadlines, follow-ups of bad ratings, statistics, bundles and benefits without
application. Any staff member is let in; each operation is decided by ``authorize`` in
``admin`` (operators manage, auditors read the statistics and the export too, policy
editors grant benefits), so a wrong role gets the decision's 403, audited."""

from flask import g
from flask.views import MethodView

from schemas.common import Page
from schemas.one_stop import (
    AdminCaseListArgsSchema,
    AdminMatterListArgsSchema,
    AppointmentCaseSchema,
    BenefitListArgsSchema,
    BenefitListSchema,
    BenefitSchema,
    BenefitWriteSchema,
    BundleSchema,
    BundleWriteSchema,
    CaseListSchema,
    CaseSchema,
    CaseStatusSchema,
    CheckInResultSchema,
    CheckInSchema,
    CounterCaseSchema,
    ExportArgsSchema,
    ExportListSchema,
    FollowUpAnswerSchema,
    FollowUpListArgsSchema,
    FollowUpListSchema,
    FollowUpSchema,
    MatterListSchema,
    MatterSchema,
    MatterStatusSchema,
    MatterWriteSchema,
    StatsArgsSchema,
    StatsSchema,
    WarningListArgsSchema,
)

from ..api import Blueprint
from . import admin, evaluations
from .served import with_centre_codes, with_centres, with_confirmed, with_matters, with_progress, with_rating

admin_blp = Blueprint("admin_one_stop", __name__, url_prefix="/api/v1/admin/one-stop",
                      description="Managing matters, counter cases, deadlines, follow-ups, bundles and benefits "
                                  "(staff: operators; auditors read the statistics, policy editors grant benefits).")


@admin_blp.route("/matters")
class AdminMatters(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.arguments(AdminMatterListArgsSchema, location="query")
    @admin_blp.response(200, MatterListSchema)
    def get(self, args):
        """Every matter, active or retired, by code (same filters and search as the public list)."""
        items, next_cursor = admin.matters(
            g.principal, q=args.get("q"), department=args.get("department"), centre=args.get("centre"),
            audience=args.get("audience"), online=args.get("online"), status=args.get("status"),
            limit=args["limit"], cursor=args.get("cursor"))
        return Page(with_centres(items), next_cursor)

    @admin_blp.login_required("staff")
    @admin_blp.arguments(MatterWriteSchema)
    @admin_blp.response(201, MatterSchema)
    @admin_blp.alt_response(409, response="CONFLICT", description="`matter_code_taken`")
    def post(self, body):
        """Add a matter to the catalogue."""
        return with_centre_codes(admin.create_matter(g.principal, body))


@admin_blp.route("/matters/<ulid:matter_id>")
class AdminMatter(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.arguments(MatterWriteSchema)
    @admin_blp.response(200, MatterSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def put(self, body, matter_id):
        """Replace a matter's content (its code stays)."""
        return with_centre_codes(admin.update_matter(g.principal, matter_id, body))


@admin_blp.route("/matters/<ulid:matter_id>/status")
class AdminMatterStatus(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.arguments(MatterStatusSchema)
    @admin_blp.response(200, MatterSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def post(self, body, matter_id):
        """Retire a matter (hidden from the public, no new bookings or cases) or bring it back."""
        return with_centre_codes(admin.set_matter_status(g.principal, matter_id, body["status"]))


@admin_blp.route("/centres/<centre_code>/check-ins")
class AdminCheckIns(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.arguments(CheckInSchema)
    @admin_blp.response(200, CheckInResultSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(409, response="CONFLICT", description="`wrong_day`, `appointment_closed`")
    def post(self, body, centre_code):
        """The centre's queue machine scanned a check-in QR: check in and answer the queue number (取号)."""
        appointment = admin.check_in(g.principal, centre_code, body["payload"])
        return {"appointment": appointment, "queue_number": appointment.queue_number}


@admin_blp.route("/appointments/<ulid:appointment_id>/case")
class AdminAppointmentCase(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.arguments(AppointmentCaseSchema)
    @admin_blp.response(201, CaseSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(409, response="CONFLICT", description="`appointment_not_checked_in`, `case_exists`")
    def post(self, body, appointment_id):
        """Accept the case of a checked-in appointment (受理); its legal deadline starts today."""
        return with_progress(admin.open_from_appointment(g.principal, appointment_id, body["form"]))


@admin_blp.route("/cases")
class AdminCases(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.arguments(AdminCaseListArgsSchema, location="query")
    @admin_blp.response(200, CaseListSchema)
    def get(self, args):
        """Every case (bundle parts too), newest first."""
        items, next_cursor = admin.staff_cases(g.principal, status=args.get("status"), centre=args.get("centre"),
                                                    limit=args["limit"], cursor=args.get("cursor"))
        return Page([with_progress(c) for c in items], next_cursor)

    @admin_blp.login_required("staff")
    @admin_blp.arguments(CounterCaseSchema)
    @admin_blp.response(201, CaseSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def post(self, body):
        """Accept a case at the counter for a citizen (by phone) or an enterprise."""
        return with_progress(admin.open_at_counter(g.principal, body))


@admin_blp.route("/cases/<ulid:case_id>")
class AdminCase(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.response(200, CaseSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def get(self, case_id):
        """One case with its history."""
        return with_progress(admin.staff_case(g.principal, case_id))


@admin_blp.route("/cases/<ulid:case_id>/status")
class AdminCaseStatus(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.arguments(CaseStatusSchema)
    @admin_blp.response(200, CaseSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(409, response="CONFLICT", description="`invalid_transition`, `bundle_follows_parts`")
    def post(self, body, case_id):
        """Move a case on: accept (the deadline starts), complete (办结) or reject; the person is told."""
        return with_progress(admin.set_case_status(g.principal, case_id, body["status"], body["note"]))


@admin_blp.route("/case-warnings")
class AdminCaseWarnings(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.arguments(WarningListArgsSchema, location="query")
    @admin_blp.response(200, CaseListSchema)
    def get(self, args):
        """Accepted cases whose legal deadline is near (NHT_ONE_STOP_DEADLINE_WARNING_DAYS working days) or past,
        earliest deadline first."""
        items, next_cursor = admin.deadline_warnings(g.principal, limit=args["limit"], cursor=args.get("cursor"))
        return Page([with_progress(c) for c in items], next_cursor)


def _followup(followup):
    return with_rating(followup, evaluations.evaluation_by_id(followup.evaluation_id))


@admin_blp.route("/followups")
class AdminFollowUps(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.arguments(FollowUpListArgsSchema, location="query")
    @admin_blp.response(200, FollowUpListSchema)
    def get(self, args):
        """Follow-ups of bad ratings (差评整改), newest first; `escalated=true` for the overdue ones escalated."""
        items, next_cursor = admin.followups(g.principal, status=args.get("status"), escalated=args.get("escalated"),
                                                        limit=args["limit"], cursor=args.get("cursor"))
        return Page([_followup(f) for f in items], next_cursor)


@admin_blp.route("/followups/<ulid:followup_id>/answer")
class AdminFollowUpAnswer(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.arguments(FollowUpAnswerSchema)
    @admin_blp.response(200, FollowUpSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(409, response="CONFLICT", description="`followup_answered`")
    def post(self, body, followup_id):
        """Answer a bad rating; the person is told and may appraise the answer."""
        return _followup(admin.answer_followup(g.principal, followup_id, body["answer"]))


@admin_blp.route("/evaluations/stats")
class AdminEvaluationStats(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.arguments(StatsArgsSchema, location="query")
    @admin_blp.response(200, StatsSchema)
    def get(self, args):
        """Ratings per centre, matter or department (`by`), optionally between two months (China time)."""
        items, next_cursor = admin.statistics(g.principal, args["by"], from_month=args.get("from_month"),
                                                    to_month=args.get("to_month"), limit=args["limit"],
                                                    cursor=args.get("cursor"))
        return Page(items, next_cursor)


@admin_blp.route("/evaluations/export")
class AdminEvaluationExport(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.arguments(ExportArgsSchema, location="query")
    @admin_blp.response(200, ExportListSchema)
    def get(self, args):
        """Ratings in the national platform's data items (全国一体化政务服务平台好差评), oldest first."""
        items, next_cursor = admin.export(g.principal, from_day=args.get("from_day"), to_day=args.get("to_day"),
                                                limit=args["limit"], cursor=args.get("cursor"))
        return Page(items, next_cursor)


@admin_blp.route("/bundles")
class AdminBundles(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.arguments(BundleWriteSchema)
    @admin_blp.response(201, BundleSchema)
    @admin_blp.alt_response(409, response="CONFLICT", description="`bundle_code_taken`")
    def post(self, body):
        """Define a life event's bundle: its matters and the combined form feeding each."""
        return with_matters(admin.create_bundle(g.principal, body))


@admin_blp.route("/benefits")
class AdminBenefits(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.arguments(BenefitListArgsSchema, location="query")
    @admin_blp.response(200, BenefitListSchema)
    def get(self, args):
        """Policies granted without application, newest first, with offers made and confirmed."""
        items, next_cursor = admin.list_benefits(g.principal, limit=args["limit"], cursor=args.get("cursor"))
        return Page([with_confirmed(b) for b in items], next_cursor)

    @admin_blp.login_required("staff")
    @admin_blp.arguments(BenefitWriteSchema)
    @admin_blp.response(201, BenefitSchema)
    @admin_blp.alt_response(409, response="CONFLICT", description="`policy_not_published`, `benefit_exists`")
    def post(self, body):
        """Grant a published policy without application (免申即享): every matching enterprise is offered it now."""
        benefit, new = admin.create_benefit(g.principal, body["policy_id"], body["amount_fen"])
        return with_confirmed(benefit, new)


@admin_blp.route("/benefits/<ulid:benefit_id>/offers")
class AdminBenefitOffers(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.response(200, BenefitSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    @admin_blp.alt_response(409, response="CONFLICT", description="`policy_not_published`")
    def post(self, benefit_id):
        """Match again (after the policy was amended and republished): new matches are offered, nobody twice."""
        benefit, new = admin.run_offers(g.principal, benefit_id)
        return with_confirmed(benefit, new)
