"""One-stop services (一站式服务): matters and centres, appointments, cases, evaluations
(好差评), bundles (一件事一次办) and benefits without application (免申即享)."""

import re

import marshmallow as ma
from marshmallow import validate

from .common import StrictSchema

AUDIENCES = ("citizen", "enterprise", "both")
_MATTER_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_.-]{1,39}$")
_CENTRE_CODE = re.compile(r"^[a-z][a-z0-9_]{1,19}$")
_DAY = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_TIME = re.compile(r"^(?:[01]\d|2[0-3]):[0-5]\d$")


def _iso_day(value: str) -> None:
    from datetime import date

    try:
        if not _DAY.match(value):
            raise ValueError
        date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ma.ValidationError("Use an ISO date, YYYY-MM-DD (China time).") from None


def _limit():
    return ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))


def _offset_cursor():
    return ma.fields.String(validate=validate.Length(min=1, max=10),
                            metadata={"description": "next_cursor of the previous page"})


def _id_cursor():
    return ma.fields.String(validate=validate.Length(min=26, max=26),
                            metadata={"description": "next_cursor of the previous page"})


# -- centres and matters ------------------------------------------------------------------

class CentreSchema(ma.Schema):
    code = ma.fields.String(required=True, metadata={"example": "guicheng"})
    name = ma.fields.String(required=True, metadata={"example": "桂城街道行政服务中心"})
    town = ma.fields.String(required=True)
    address = ma.fields.String(required=True)
    morning = ma.fields.String(required=True, metadata={"description": "Opening hours, China time", "example": "09:00-12:00"})
    afternoon = ma.fields.String(required=True, metadata={"example": "14:00-17:30"})
    slot_minutes = ma.fields.Integer(required=True)


class CentreListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CentreSchema), required=True)


class MatterMaterialSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=200),
                            metadata={"example": "居民身份证"})
    copies = ma.fields.Integer(load_default=1, validate=validate.Range(min=0, max=20),
                               metadata={"description": "0: shown, not kept"})
    note = ma.fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))


class MatterWriteSchema(StrictSchema):
    """A matter's whole content (PUT sends it whole; the code never changes)."""

    code = ma.fields.String(required=True, validate=validate.Regexp(_MATTER_CODE),
                            metadata={"description": "Matter code (事项编码)", "example": "NH-GA-0001"})
    name = ma.fields.String(required=True, validate=validate.Length(min=2, max=120))
    department = ma.fields.String(required=True, validate=validate.Length(min=2, max=60),
                                  metadata={"example": "佛山市南海区市场监督管理局"})
    audience = ma.fields.String(load_default="citizen", validate=validate.OneOf(AUDIENCES))
    centres = ma.fields.List(ma.fields.String(validate=validate.Regexp(_CENTRE_CODE)), required=True,
                             validate=validate.Length(min=1, max=50),
                             metadata={"description": "Codes of the centres that handle it", "example": ["guicheng"]})
    materials = ma.fields.List(ma.fields.Nested(MatterMaterialSchema), load_default=list, validate=validate.Length(max=50))
    legal_days = ma.fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=365),
                                   metadata={"description": "Legal time limit (法定时限), working days"})
    promised_days = ma.fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=365),
                                      metadata={"description": "Promised time limit (承诺时限), working days"})
    fee_fen = ma.fields.Integer(strict=True, load_default=0, validate=validate.Range(min=0, max=10**10))
    fee_note = ma.fields.String(allow_none=True, load_default=None, validate=validate.Length(max=200))
    online = ma.fields.Boolean(load_default=False, metadata={"description": "Can be applied for online"})
    by_post = ma.fields.Boolean(load_default=False, metadata={"description": "Results can be posted"})
    visits = ma.fields.Integer(strict=True, load_default=1, validate=validate.Range(min=0, max=5),
                               metadata={"description": "Visits needed in person (跑动次数)"})
    slot_capacity = ma.fields.Integer(strict=True, load_default=2, validate=validate.Range(min=1, max=100),
                                      metadata={"description": "People per appointment slot"})


class MatterStatusSchema(StrictSchema):
    status = ma.fields.String(required=True, validate=validate.OneOf(("active", "retired")))


class MatterMaterialOutSchema(ma.Schema):
    name = ma.fields.String(required=True)
    copies = ma.fields.Integer(required=True)
    note = ma.fields.String(allow_none=True, required=True)


class MatterSchema(ma.Schema):
    id = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    department = ma.fields.String(required=True)
    audience = ma.fields.String(required=True)
    centres = ma.fields.List(ma.fields.String(), required=True)
    materials = ma.fields.List(ma.fields.Nested(MatterMaterialOutSchema), required=True)
    legal_days = ma.fields.Integer(required=True)
    promised_days = ma.fields.Integer(required=True)
    fee_fen = ma.fields.Integer(required=True)
    fee_note = ma.fields.String(allow_none=True, required=True)
    online = ma.fields.Boolean(required=True)
    by_post = ma.fields.Boolean(required=True)
    visits = ma.fields.Integer(required=True)
    slot_capacity = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True)
    updated_at = ma.fields.String(required=True)


class MatterListArgsSchema(ma.Schema):
    q = ma.fields.String(validate=validate.Length(min=1, max=100),
                         metadata={"description": "Chinese full-text search (by character pairs: 营业执照)"})
    department = ma.fields.String(validate=validate.Length(min=1, max=60))
    centre = ma.fields.String(validate=validate.Regexp(_CENTRE_CODE))
    audience = ma.fields.String(validate=validate.OneOf(("citizen", "enterprise")))
    online = ma.fields.Boolean()
    limit = _limit()
    cursor = _offset_cursor()


class AdminMatterListArgsSchema(MatterListArgsSchema):
    status = ma.fields.String(validate=validate.OneOf(("active", "retired")))


class MatterListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(MatterSchema), required=True,
                           metadata={"description": "Most relevant first when searching, else by code"})
    next_cursor = ma.fields.String(allow_none=True, required=True)


class DepartmentSchema(ma.Schema):
    department = ma.fields.String(required=True)
    matters = ma.fields.Integer(required=True)


class DepartmentListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(DepartmentSchema), required=True)


# -- appointments -------------------------------------------------------------------------

class SlotArgsSchema(ma.Schema):
    centre = ma.fields.String(required=True, validate=validate.Regexp(_CENTRE_CODE))
    matter_id = ma.fields.String(required=True, validate=validate.Length(equal=26))
    from_day = ma.fields.String(data_key="from", validate=_iso_day,
                                metadata={"description": "First day to show, ISO date (China)"})
    days = ma.fields.Integer(load_default=5, validate=validate.Range(min=1, max=30),
                             metadata={"description": "How many working days to show"})


class SlotSchema(ma.Schema):
    day = ma.fields.String(required=True, metadata={"example": "2026-12-07"})
    start = ma.fields.String(required=True, metadata={"description": "China time", "example": "09:30"})
    end = ma.fields.String(required=True)
    capacity = ma.fields.Integer(required=True)
    available = ma.fields.Integer(required=True)


class SlotListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(SlotSchema), required=True,
                           metadata={"description": "Working days only; the lunch break has no slots"})


class BookingSchema(StrictSchema):
    centre = ma.fields.String(required=True, validate=validate.Regexp(_CENTRE_CODE))
    matter_id = ma.fields.String(required=True, validate=validate.Length(equal=26))
    day = ma.fields.String(required=True, validate=_iso_day)
    start = ma.fields.String(required=True, validate=validate.Regexp(_TIME, error="Use HH:MM, China time."))


class ChangeSchema(StrictSchema):
    day = ma.fields.String(required=True, validate=_iso_day)
    start = ma.fields.String(required=True, validate=validate.Regexp(_TIME, error="Use HH:MM, China time."))


class AppointmentSchema(ma.Schema):
    id = ma.fields.String(required=True)
    centre = ma.fields.String(required=True)
    matter_id = ma.fields.String(required=True)
    day = ma.fields.String(required=True)
    start = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": "booked, cancelled, checked_in or no_show"})
    queue_number = ma.fields.String(allow_none=True, required=True, metadata={"description": "取号, after check-in"})
    changes = ma.fields.Integer(required=True)
    created_at = ma.fields.String(required=True)
    checked_in_at = ma.fields.String(allow_none=True, required=True)
    cancelled_at = ma.fields.String(allow_none=True, required=True)


class AppointmentListArgsSchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(("booked", "cancelled", "checked_in", "no_show")))
    limit = _limit()
    cursor = _id_cursor()


class AppointmentListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(AppointmentSchema), required=True, metadata={"description": "Newest first"})
    next_cursor = ma.fields.String(allow_none=True, required=True)


class CheckinQrSchema(ma.Schema):
    payload = ma.fields.String(required=True, metadata={"description": "What the QR code holds"})
    png_base64 = ma.fields.String(required=True, metadata={"description": "The QR code as a PNG, base64"})


class StandingSchema(ma.Schema):
    no_shows_in_window = ma.fields.Integer(required=True)
    limit = ma.fields.Integer(required=True)
    blocked_until = ma.fields.String(allow_none=True, required=True,
                                     metadata={"description": "Booking opens again on this day (China)"})


class CheckInSchema(StrictSchema):
    payload = ma.fields.String(required=True, validate=validate.Length(min=1, max=200),
                               metadata={"description": "What the scanned QR code holds"})


class CheckInResultSchema(ma.Schema):
    appointment = ma.fields.Nested(AppointmentSchema, required=True)
    queue_number = ma.fields.String(required=True, metadata={"example": "Y007"})


# -- cases --------------------------------------------------------------------------------

CASE_STATUSES = ("submitted", "accepted", "completed", "rejected")


class OnlineApplicationSchema(StrictSchema):
    matter_id = ma.fields.String(required=True, validate=validate.Length(equal=26))
    centre = ma.fields.String(validate=validate.Regexp(_CENTRE_CODE),
                              metadata={"description": "The centre to handle it (default: the first that does)"})
    form = ma.fields.Dict(keys=ma.fields.String(validate=validate.Length(max=60)), load_default=dict,
                          validate=validate.Length(max=100), metadata={"description": "The application form's answers"})


class TrackApplicationSchema(StrictSchema):
    application_id = ma.fields.String(required=True, validate=validate.Length(equal=26),
                                      metadata={"description": "A provincial application (/api/v1/applications)"})


class CounterCaseSchema(StrictSchema):
    matter_id = ma.fields.String(required=True, validate=validate.Length(equal=26))
    centre = ma.fields.String(required=True, validate=validate.Regexp(_CENTRE_CODE))
    applicant_phone = ma.fields.String(validate=validate.Regexp(r"^1[3-9]\d{9}$"),
                                       metadata={"description": "The citizen's Nanhai-Tong phone number"})
    enterprise_id = ma.fields.String(validate=validate.Length(equal=26))
    accepted_on = ma.fields.String(validate=_iso_day,
                                   metadata={"description": "Accepted earlier on paper (补录); default today"})
    form = ma.fields.Dict(keys=ma.fields.String(validate=validate.Length(max=60)), load_default=dict,
                          validate=validate.Length(max=100))

    @ma.validates_schema
    def _one_applicant(self, data, **_):
        if bool(data.get("applicant_phone")) == bool(data.get("enterprise_id")):
            raise ma.ValidationError("Give either applicant_phone or enterprise_id.", "applicant_phone")


class AppointmentCaseSchema(StrictSchema):
    form = ma.fields.Dict(keys=ma.fields.String(validate=validate.Length(max=60)), load_default=dict,
                          validate=validate.Length(max=100))


class CaseStatusSchema(StrictSchema):
    status = ma.fields.String(required=True, validate=validate.OneOf(("accepted", "completed", "rejected")))
    note = ma.fields.String(allow_none=True, load_default=None, validate=validate.Length(max=500))


class CaseEventSchema(ma.Schema):
    status = ma.fields.String(required=True)
    note = ma.fields.String(allow_none=True, required=True)
    at = ma.fields.String(required=True)


class CasePartSchema(ma.Schema):
    id = ma.fields.String(required=True)
    number = ma.fields.String(required=True)
    matter_id = ma.fields.String(required=True)
    matter_name = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    deadline = ma.fields.String(allow_none=True, required=True)
    history = ma.fields.List(ma.fields.Nested(CaseEventSchema), required=True)


class CaseSchema(ma.Schema):
    id = ma.fields.String(required=True)
    number = ma.fields.String(required=True, metadata={"description": "办件编号"})
    matter_id = ma.fields.String(allow_none=True, required=True)
    matter_name = ma.fields.String(allow_none=True, required=True)
    bundle_id = ma.fields.String(allow_none=True, required=True)
    gov_application_id = ma.fields.String(allow_none=True, required=True,
                                          metadata={"description": "The provincial application followed"})
    centre = ma.fields.String(allow_none=True, required=True)
    channel = ma.fields.String(required=True,
                               metadata={"description": "appointment, online, counter, bundle or provincial"})
    status = ma.fields.String(required=True, metadata={"description": ", ".join(CASE_STATUSES)})
    accepted_on = ma.fields.String(required=True)
    legal_days = ma.fields.Integer(allow_none=True, required=True)
    deadline = ma.fields.String(allow_none=True, required=True,
                                metadata={"description": "Last working day of the legal time limit (China date)"})
    working_days_left = ma.fields.Integer(allow_none=True, required=True)
    overdue = ma.fields.Boolean(required=True)
    warned_at = ma.fields.String(allow_none=True, required=True)
    form = ma.fields.Dict(required=True)
    history = ma.fields.List(ma.fields.Nested(CaseEventSchema), required=True)
    parts = ma.fields.List(ma.fields.Nested(CasePartSchema), required=True,
                           metadata={"description": "A bundle's parts, each with its own progress"})
    evaluated = ma.fields.Boolean(required=True)
    created_at = ma.fields.String(required=True)
    closed_at = ma.fields.String(allow_none=True, required=True)


class CaseListArgsSchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(CASE_STATUSES))
    limit = _limit()
    cursor = _id_cursor()


class AdminCaseListArgsSchema(CaseListArgsSchema):
    centre = ma.fields.String(validate=validate.Regexp(_CENTRE_CODE))


class CaseListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(CaseSchema), required=True, metadata={"description": "Newest first"})
    next_cursor = ma.fields.String(allow_none=True, required=True)


class WarningListArgsSchema(ma.Schema):
    limit = _limit()
    cursor = _offset_cursor()


# -- evaluation (好差评) --------------------------------------------------------------------

REASON_CODES = ("guide", "materials", "time", "visits", "attitude", "channel", "result", "fees", "integrity", "other")


class RatingSchema(StrictSchema):
    level = ma.fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=5), metadata={
        "description": "5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意 (2 or less opens a follow-up)"})
    reasons = ma.fields.List(ma.fields.String(validate=validate.OneOf(REASON_CODES)), load_default=list,
                             validate=validate.Length(max=len(REASON_CODES)),
                             metadata={"description": "Evaluation categories (GET /evaluation-reasons)"})
    text = ma.fields.String(allow_none=True, load_default=None, validate=validate.Length(max=1000))


class AppraisalSchema(StrictSchema):
    appraisal = ma.fields.String(required=True, validate=validate.OneOf(("satisfied", "unsatisfied")))
    text = ma.fields.String(allow_none=True, load_default=None, validate=validate.Length(max=1000))


class FollowUpSchema(ma.Schema):
    id = ma.fields.String(required=True)
    case_id = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": "open, answered or closed (appraised)"})
    due_on = ma.fields.String(required=True, metadata={"description": "Answer due by this working day (China)"})
    overdue = ma.fields.Boolean(required=True)
    escalated_at = ma.fields.String(allow_none=True, required=True)
    answer = ma.fields.String(allow_none=True, required=True)
    answered_at = ma.fields.String(allow_none=True, required=True)
    appraisal = ma.fields.String(allow_none=True, required=True)
    appraisal_text = ma.fields.String(allow_none=True, required=True)
    level = ma.fields.Integer(required=True)
    reasons = ma.fields.List(ma.fields.String(), required=True)
    text = ma.fields.String(allow_none=True, required=True)


class EvaluationSchema(ma.Schema):
    id = ma.fields.String(required=True)
    case_id = ma.fields.String(required=True)
    level = ma.fields.Integer(required=True)
    level_name = ma.fields.String(required=True, metadata={"example": "满意"})
    reasons = ma.fields.List(ma.fields.String(), required=True)
    text = ma.fields.String(allow_none=True, required=True)
    created_at = ma.fields.String(required=True)
    followup = ma.fields.Nested(FollowUpSchema, allow_none=True, required=True)


class ReasonSchema(ma.Schema):
    code = ma.fields.String(required=True)
    label = ma.fields.String(required=True)


class LevelSchema(ma.Schema):
    level = ma.fields.Integer(required=True)
    label = ma.fields.String(required=True)


class EvaluationVocabularySchema(ma.Schema):
    levels = ma.fields.List(ma.fields.Nested(LevelSchema), required=True)
    reasons = ma.fields.List(ma.fields.Nested(ReasonSchema), required=True)


class FollowUpListArgsSchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(("open", "answered", "closed")))
    escalated = ma.fields.Boolean()
    limit = _limit()
    cursor = _id_cursor()


class FollowUpListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(FollowUpSchema), required=True, metadata={"description": "Newest first"})
    next_cursor = ma.fields.String(allow_none=True, required=True)


class FollowUpAnswerSchema(StrictSchema):
    answer = ma.fields.String(required=True, validate=validate.Length(min=2, max=2000))


class StatsArgsSchema(ma.Schema):
    by = ma.fields.String(required=True, validate=validate.OneOf(("centre", "matter", "department")))
    from_month = ma.fields.String(data_key="from", validate=validate.Regexp(
        r"^\d{4}-(0[1-9]|1[0-2])$", error="Use a month, YYYY-MM (China time)."),
        metadata={"description": "First month counted, YYYY-MM (China time)"})
    to_month = ma.fields.String(data_key="to", validate=validate.Regexp(
        r"^\d{4}-(0[1-9]|1[0-2])$", error="Use a month, YYYY-MM (China time)."),
        metadata={"description": "Last month counted, YYYY-MM"})
    limit = ma.fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))
    cursor = _offset_cursor()


class StatsRowSchema(ma.Schema):
    key = ma.fields.String(required=True, metadata={"description": "Centre code, matter id or department"})
    name = ma.fields.String(required=True)
    total = ma.fields.Integer(required=True)
    levels = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True,
                            metadata={"description": "Ratings per level, by its Chinese name"})
    bad = ma.fields.Integer(required=True, metadata={"description": "不满意 and 非常不满意"})
    satisfaction_rate = ma.fields.Float(allow_none=True, required=True,
                                        metadata={"description": "Share rated 基本满意 or better"})


class StatsSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(StatsRowSchema), required=True, metadata={"description": "By key"})
    next_cursor = ma.fields.String(allow_none=True, required=True)


class ExportArgsSchema(ma.Schema):
    from_day = ma.fields.String(data_key="from", validate=_iso_day)
    to_day = ma.fields.String(data_key="to", validate=_iso_day)
    limit = ma.fields.Integer(load_default=500, validate=validate.Range(min=1, max=5000))
    cursor = _id_cursor()


class ExportListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Dict(), required=True, metadata={
        "description": "One object per rating with the national platform's data items: assessNumber, projectNo, "
                       "taskCode, taskName, deptName, areaCode, hallName, pf, alternate (1-5), alternateName, "
                       "appraisald, appraisaldName, writingEvaluation, assessTime (China time), userProp (1 person, "
                       "2 enterprise), rectifyStatus, rectifyResult, rectifyAppraisal. Oldest first."})
    next_cursor = ma.fields.String(allow_none=True, required=True)


# -- bundles (一件事一次办) -------------------------------------------------------------------

_FIELD_NAME = re.compile(r"^[a-z][a-z0-9_]{0,39}$")


class BundleFieldSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=validate.Regexp(_FIELD_NAME), metadata={"example": "baby_name"})
    label = ma.fields.String(required=True, validate=validate.Length(min=1, max=60), metadata={"example": "新生儿姓名"})
    required = ma.fields.Boolean(load_default=True)
    matters = ma.fields.List(ma.fields.String(validate=validate.Regexp(_MATTER_CODE)), required=True,
                             validate=validate.Length(min=1, max=20),
                             metadata={"description": "Codes of the matters whose application this answer feeds"})


class BundleWriteSchema(StrictSchema):
    code = ma.fields.String(required=True, validate=validate.Regexp(_MATTER_CODE), metadata={"example": "NH-YJS-001"})
    name = ma.fields.String(required=True, validate=validate.Length(min=2, max=100),
                            metadata={"example": "新生儿出生一件事"})
    description = ma.fields.String(required=True, validate=validate.Length(min=2, max=2000))
    audience = ma.fields.String(load_default="citizen", validate=validate.OneOf(AUDIENCES))
    matter_codes = ma.fields.List(ma.fields.String(validate=validate.Regexp(_MATTER_CODE)), required=True,
                                  validate=validate.Length(min=2, max=20))
    fields = ma.fields.List(ma.fields.Nested(BundleFieldSchema), required=True, validate=validate.Length(min=1, max=80))


class BundleFieldOutSchema(ma.Schema):
    name = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    required = ma.fields.Boolean(required=True)
    matters = ma.fields.List(ma.fields.String(), required=True)


class BundleMatterSchema(ma.Schema):
    id = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    department = ma.fields.String(required=True)


class BundleSchema(ma.Schema):
    id = ma.fields.String(required=True)
    code = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    audience = ma.fields.String(required=True)
    matters = ma.fields.List(ma.fields.Nested(BundleMatterSchema), required=True)
    fields = ma.fields.List(ma.fields.Nested(BundleFieldOutSchema), required=True,
                            metadata={"description": "The one combined form"})


class BundleListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(BundleSchema), required=True)


class BundleApplicationSchema(StrictSchema):
    answers = ma.fields.Dict(keys=ma.fields.String(validate=validate.Regexp(_FIELD_NAME)),
                             values=ma.fields.String(validate=validate.Length(max=500)), required=True,
                             validate=validate.Length(max=80))
    centre = ma.fields.String(validate=validate.Regexp(_CENTRE_CODE))


# -- benefits without application (免申即享) -------------------------------------------------

class BenefitWriteSchema(StrictSchema):
    policy_id = ma.fields.String(required=True, validate=validate.Length(equal=26),
                                 metadata={"description": "A published policy (policy push)"})
    amount_fen = ma.fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=10**10),
                                   metadata={"description": "What each matching enterprise is granted"})


class BenefitSchema(ma.Schema):
    id = ma.fields.String(required=True)
    policy_id = ma.fields.String(required=True)
    policy_version = ma.fields.Integer(required=True, metadata={"description": "The version last matched"})
    title = ma.fields.String(required=True)
    amount_fen = ma.fields.Integer(required=True)
    offered = ma.fields.Integer(required=True, metadata={"description": "Enterprises offered"})
    confirmed = ma.fields.Integer(required=True)
    new_offers = ma.fields.Integer(metadata={"description": "Offers this request made"})
    created_at = ma.fields.String(required=True)


class BenefitListArgsSchema(ma.Schema):
    limit = _limit()
    cursor = _id_cursor()


class BenefitListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(BenefitSchema), required=True)
    next_cursor = ma.fields.String(allow_none=True, required=True)


class DisbursementSchema(ma.Schema):
    id = ma.fields.String(required=True)
    amount_fen = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"description": "scheduled: paid to the account on file"})
    created_at = ma.fields.String(required=True)


class BenefitOfferSchema(ma.Schema):
    id = ma.fields.String(required=True)
    benefit_id = ma.fields.String(required=True)
    policy_id = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    amount_fen = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"description": "offered or confirmed"})
    confirmed_at = ma.fields.String(allow_none=True, required=True)
    disbursement = ma.fields.Nested(DisbursementSchema, allow_none=True, required=True)
    created_at = ma.fields.String(required=True)


class BenefitOfferListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(BenefitOfferSchema), required=True, metadata={"description": "Newest first"})
    next_cursor = ma.fields.String(allow_none=True, required=True)


class ConfirmOfferSchema(StrictSchema):
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"),
                            metadata={"description": "The SMS code sent to the confirming member"})


class CodeSentSchema(ma.Schema):
    sent = ma.fields.Boolean(required=True)
    expires_in = ma.fields.Integer(required=True)
    resend_after = ma.fields.Integer(required=True)


class BenefitRuleSchema(ma.Schema):
    rule = ma.fields.String(required=True)
    required = ma.fields.Raw(required=True)
    value = ma.fields.Raw(allow_none=True, required=True)
    matched = ma.fields.Boolean(required=True)
    matched_by = ma.fields.List(ma.fields.String())


class EligibilitySchema(ma.Schema):
    benefit_id = ma.fields.String(required=True)
    matches = ma.fields.Boolean(required=True)
    rules = ma.fields.List(ma.fields.Nested(BenefitRuleSchema), required=True,
                           metadata={"description": "Each targeting rule: what it asks and what the enterprise has"})
    offer_id = ma.fields.String(allow_none=True, required=True)
