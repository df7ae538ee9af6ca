"""Evaluation (好差评): ratings, appraisals, follow-ups of bad ratings, statistics and the export."""

import marshmallow as ma
from marshmallow import validate

from ..common import JsonList, StrictSchema, UtcDateTime, one_of, page_of
from .fields import id_cursor, iso_day, limit_field, offset_cursor

FOLLOWUP_STATUSES = ("open", "answered", "closed")
APPRAISALS = ("satisfied", "unsatisfied")
REASON_CODES = ("guide", "materials", "time", "visits", "attitude", "channel", "result", "fees", "integrity", "other")


class RatingSchema(StrictSchema):
    level = ma.fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=5), metadata={
        "description": "5 非常满意, 4 满意, 3 基本满意, 2 不满意, 1 非常不满意 (2 or less opens a follow-up)"})
    reasons = ma.fields.List(ma.fields.String(validate=validate.OneOf(REASON_CODES)), load_default=list,
                             validate=validate.Length(max=len(REASON_CODES)),
                             metadata={"description": "Evaluation categories (GET /evaluation-reasons)"})
    text = ma.fields.String(allow_none=True, load_default=None, validate=validate.Length(max=1000))


class AppraisalSchema(StrictSchema):
    appraisal = ma.fields.String(required=True, validate=one_of(APPRAISALS))
    text = ma.fields.String(allow_none=True, load_default=None, validate=validate.Length(max=1000))


class FollowUpSchema(ma.Schema):
    id = ma.fields.String(required=True)
    case_id = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=one_of(FOLLOWUP_STATUSES),
                              metadata={"description": "open, answered or closed (appraised)"})
    due_on = ma.fields.String(required=True, metadata={"description": "Answer due by this working day (China)"})
    overdue = ma.fields.Boolean(required=True)
    escalated_at = UtcDateTime(allow_none=True, required=True)
    answer = ma.fields.String(allow_none=True, required=True)
    answered_at = UtcDateTime(allow_none=True, required=True)
    appraisal = ma.fields.String(allow_none=True, required=True, validate=one_of(APPRAISALS))
    appraisal_text = ma.fields.String(allow_none=True, required=True)
    level = ma.fields.Integer(required=True)
    reasons = JsonList(ma.fields.String(), required=True)
    text = ma.fields.String(allow_none=True, required=True)


class EvaluationSchema(ma.Schema):
    id = ma.fields.String(required=True)
    case_id = ma.fields.String(required=True)
    level = ma.fields.Integer(required=True)
    level_name = ma.fields.String(required=True, metadata={"example": "满意"})
    reasons = JsonList(ma.fields.String(), required=True)
    text = ma.fields.String(allow_none=True, required=True)
    created_at = UtcDateTime(required=True)
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
    status = ma.fields.String(validate=one_of(FOLLOWUP_STATUSES))
    escalated = ma.fields.Boolean()
    limit = limit_field()
    cursor = id_cursor()


FollowUpListSchema = page_of(FollowUpSchema, "FollowUpListSchema", order="Newest first")


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
    cursor = offset_cursor()


class StatsRowSchema(ma.Schema):
    key = ma.fields.String(required=True, metadata={"description": "Centre code, matter id or department"})
    name = ma.fields.String(required=True)
    total = ma.fields.Integer(required=True)
    levels = ma.fields.Dict(keys=ma.fields.String(), values=ma.fields.Integer(), required=True,
                            metadata={"description": "Ratings per level, by its Chinese name"})
    bad = ma.fields.Integer(required=True, metadata={"description": "不满意 and 非常不满意"})
    satisfaction_rate = ma.fields.Float(allow_none=True, required=True,
                                        metadata={"description": "Share rated 基本满意 or better"})


StatsSchema = page_of(StatsRowSchema, "StatsSchema", order="By key")


class ExportArgsSchema(ma.Schema):
    from_day = ma.fields.String(data_key="from", validate=iso_day)
    to_day = ma.fields.String(data_key="to", validate=iso_day)
    limit = ma.fields.Integer(load_default=500, validate=validate.Range(min=1, max=5000))
    cursor = id_cursor()


class ExportListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Dict(), required=True, metadata={
        "description": "One object per rating with the national platform's data items: assessNumber, projectNo, "
                       "taskCode, taskName, deptName, areaCode, hallName, pf, alternate (1-5), alternateName, "
                       "appraisald, appraisaldName, writingEvaluation, assessTime (China time), userProp (1 person, "
                       "2 enterprise), rectifyStatus, rectifyResult, rectifyAppraisal. Oldest first."})
    next_cursor = ma.fields.String(allow_none=True, required=True)
