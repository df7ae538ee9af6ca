"""One-stop services for the public and signed-in people: the matters catalogue and the
centres (/api/v1/one-stop), appointments, cases, evaluations, bundles and benefit offers."""

from datetime import date

from flask import g
from flask.views import MethodView

from schemas.common import Page
from schemas.one_stop import (
    AppointmentListArgsSchema,
    AppointmentListSchema,
    AppointmentSchema,
    AppraisalSchema,
    BookingSchema,
    BundleApplicationSchema,
    BundleListSchema,
    BundleSchema,
    CaseListArgsSchema,
    CaseListSchema,
    CaseSchema,
    CentreListSchema,
    ChangeSchema,
    CheckinQrSchema,
    DepartmentListSchema,
    EvaluationSchema,
    EvaluationVocabularySchema,
    MatterListArgsSchema,
    MatterListSchema,
    MatterSchema,
    OnlineApplicationSchema,
    RatingSchema,
    SlotArgsSchema,
    SlotListSchema,
    StandingSchema,
    TrackApplicationSchema,
)

from ..api import Blueprint
from . import appointments, bundles, cases, catalogue, evaluations, provincial
from .served import with_centre_codes, with_centres, with_followup, with_matters, with_progress

blp = Blueprint("one_stop", __name__, url_prefix="/api/v1/one-stop",
                description="The district's matters (事项) and service centres, searchable in Chinese.")


@blp.route("/centres")
class Centres(MethodView):
    @blp.public
    @blp.response(200, CentreListSchema)
    def get(self):
        """The service centres of Nanhai's seven towns and streets, with their opening hours."""
        return Page(catalogue.list_centres())


@blp.route("/matters")
class Matters(MethodView):
    @blp.public
    @blp.arguments(MatterListArgsSchema, location="query")
    @blp.response(200, MatterListSchema)
    def get(self, args):
        """Active matters by code; `q` searches name, department and materials in Chinese (营业执照)."""
        items, next_cursor = catalogue.search_matters(
            q=args.get("q"), department=args.get("department"), centre=args.get("centre"),
            audience=args.get("audience"), online=args.get("online"), limit=args["limit"], cursor=args.get("cursor"))
        return Page(with_centres(items), next_cursor)


@blp.route("/matters/<ulid:matter_id>")
class MatterItem(MethodView):
    @blp.public
    @blp.response(200, MatterSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, matter_id):
        """One active matter: materials, time limits, fees, channels and centres."""
        return with_centre_codes(catalogue.get_matter(matter_id, active_only=True))


@blp.route("/departments")
class Departments(MethodView):
    @blp.public
    @blp.response(200, DepartmentListSchema)
    def get(self):
        """The departments with active matters, and how many each has."""
        return Page(catalogue.departments())


# -- appointments -------------------------------------------------------------------------

@blp.route("/slots")
class Slots(MethodView):
    @blp.public
    @blp.arguments(SlotArgsSchema, location="query")
    @blp.response(200, SlotListSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, args):
        """A centre's slots for a matter on the coming working days, with the places left."""
        from_day = date.fromisoformat(args["from_day"]) if args.get("from_day") else None
        return Page(appointments.open_slots(args["centre"], args["matter_id"], from_day=from_day, days=args["days"]))


@blp.route("/appointments")
class Appointments(MethodView):
    @blp.login_required("citizen")
    @blp.arguments(AppointmentListArgsSchema, location="query")
    @blp.response(200, AppointmentListSchema)
    def get(self, args):
        """Your appointments (or the enterprise's you act for), newest first."""
        items, next_cursor = appointments.list_appointments(g.principal, status=args.get("status"),
                                                            limit=args["limit"], cursor=args.get("cursor"))
        return Page(items, next_cursor)

    @blp.login_required("citizen")
    @blp.idempotent
    @blp.arguments(BookingSchema)
    @blp.response(201, AppointmentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT",
                      description="`slot_full` (somebody took the last place), `slot_not_offered`, `already_booked`")
    def post(self, body):
        """Book a place; 403 `booking_blocked` after three no-shows within 30 days."""
        return appointments.book(g.principal, body["centre"], body["matter_id"], body["day"], body["start"])


@blp.route("/appointments/<ulid:appointment_id>")
class AppointmentItem(MethodView):
    @blp.login_required("citizen")
    @blp.response(200, AppointmentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, appointment_id):
        """One appointment."""
        return appointments.get_appointment(g.principal, appointment_id)


@blp.route("/appointments/<ulid:appointment_id>/change")
class AppointmentChange(MethodView):
    @blp.login_required("citizen")
    @blp.arguments(ChangeSchema)
    @blp.response(200, AppointmentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT",
                      description="`slot_full`, `slot_not_offered`, `too_many_changes`, `appointment_started`")
    def post(self, body, appointment_id):
        """Move the appointment to another slot of the same centre and matter (at most twice)."""
        return appointments.change(g.principal, appointment_id, body["day"], body["start"])


@blp.route("/appointments/<ulid:appointment_id>/cancel")
class AppointmentCancel(MethodView):
    @blp.login_required("citizen")
    @blp.response(200, AppointmentSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="`appointment_started`, `appointment_closed`")
    def post(self, appointment_id):
        """Cancel before the slot starts; the place is free again."""
        return appointments.cancel(g.principal, appointment_id)


@blp.route("/appointments/<ulid:appointment_id>/checkin-qr")
class AppointmentQr(MethodView):
    @blp.login_required("citizen")
    @blp.response(200, CheckinQrSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="`appointment_closed`")
    def get(self, appointment_id):
        """The check-in QR code to show the centre's queue machine, which answers a queue number."""
        return appointments.checkin_qr(g.principal, appointment_id)


@blp.route("/booking-standing")
class BookingStanding(MethodView):
    @blp.login_required("citizen")
    @blp.response(200, StandingSchema)
    def get(self):
        """Your no-shows in the last 30 days and whether booking is blocked."""
        return appointments.no_show_standing(g.principal)


# -- cases --------------------------------------------------------------------------------

@blp.route("/cases")
class Cases(MethodView):
    @blp.login_required("citizen")
    @blp.arguments(CaseListArgsSchema, location="query")
    @blp.response(200, CaseListSchema)
    def get(self, args):
        """Your cases (or the enterprise's you act for), newest first, with their progress."""
        items, next_cursor = cases.list_cases(g.principal, status=args.get("status"), limit=args["limit"],
                                              cursor=args.get("cursor"))
        return Page([with_progress(c) for c in items], next_cursor)

    @blp.login_required("citizen")
    @blp.idempotent
    @blp.arguments(OnlineApplicationSchema)
    @blp.response(201, CaseSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="`not_online`: the matter needs a visit")
    def post(self, body):
        """Apply online for a matter; the centre accepts it (受理) and the legal deadline starts."""
        return with_progress(cases.apply_online(g.principal, body["matter_id"], body["form"], body.get("centre")))


@blp.route("/cases/provincial")
class ProvincialCases(MethodView):
    @blp.login_required("citizen")
    @blp.arguments(TrackApplicationSchema)
    @blp.response(201, CaseSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="`case_exists`")
    def post(self, body):
        """Follow a provincial application (粤省事, 粤商通) among your cases: its status follows the province."""
        return with_progress(provincial.track(g.principal, body["application_id"]))


@blp.route("/cases/<ulid:case_id>")
class CaseItem(MethodView):
    @blp.login_required("citizen")
    @blp.response(200, CaseSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, case_id):
        """One case: status history, deadline, and a bundle's parts."""
        return with_progress(cases.get_case(g.principal, case_id))


# -- evaluation (好差评) --------------------------------------------------------------------

@blp.route("/evaluation-reasons")
class EvaluationVocabulary(MethodView):
    @blp.public
    @blp.response(200, EvaluationVocabularySchema)
    def get(self):
        """The five levels and the reasons (GB/T 39734 evaluation categories) a rating may give."""
        return {"levels": [{"level": k, "label": v} for k, v in evaluations.LEVELS.items()],
                "reasons": [{"code": k, "label": v} for k, v in evaluations.REASONS.items()]}


@blp.route("/cases/<ulid:case_id>/evaluation")
class CaseEvaluation(MethodView):
    @blp.login_required("citizen")
    @blp.response(200, EvaluationSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, case_id):
        """Your rating of the case and, after a bad one, the follow-up and the staff's answer."""
        return with_followup(evaluations.evaluation_of(g.principal, case_id))

    @blp.login_required("citizen")
    @blp.arguments(RatingSchema)
    @blp.response(201, EvaluationSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="`already_evaluated` (once per case), `case_not_closed`")
    def post(self, body, case_id):
        """Rate a closed case once; 不满意 or worse opens a follow-up staff must answer."""
        return with_followup(evaluations.rate(g.principal, case_id, body["level"], body["reasons"], body["text"]))


@blp.route("/cases/<ulid:case_id>/evaluation/appraisal")
class CaseAppraisal(MethodView):
    @blp.login_required("citizen")
    @blp.arguments(AppraisalSchema)
    @blp.response(200, EvaluationSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    @blp.alt_response(409, response="CONFLICT", description="`followup_not_answered`")
    def post(self, body, case_id):
        """Appraise the staff's answer to your bad rating (once)."""
        return with_followup(evaluations.appraise(g.principal, case_id, body["appraisal"], body["text"]))


# -- bundles (一件事一次办) -------------------------------------------------------------------

@blp.route("/bundles")
class Bundles(MethodView):
    @blp.public
    @blp.response(200, BundleListSchema)
    def get(self):
        """Life events served as one (新生儿出生一件事, 企业开办一件事...): their matters and combined form."""
        return Page([with_matters(b) for b in bundles.list_bundles()])


@blp.route("/bundles/<ulid:bundle_id>")
class BundleItem(MethodView):
    @blp.public
    @blp.response(200, BundleSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def get(self, bundle_id):
        """One bundle and its combined form."""
        return with_matters(bundles.get_bundle_by_id(bundle_id))


@blp.route("/bundles/<ulid:bundle_id>/applications")
class BundleApplications(MethodView):
    @blp.login_required("citizen")
    @blp.idempotent
    @blp.arguments(BundleApplicationSchema)
    @blp.response(201, CaseSchema)
    @blp.alt_response(404, response="NOT_FOUND")
    def post(self, body, bundle_id):
        """Apply for the whole life event with one form: one case, one part per matter, one evaluation."""
        return with_progress(bundles.apply(g.principal, bundle_id, body["answers"], body.get("centre")))
