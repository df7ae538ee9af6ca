"""Cases (办件): online, tracked, counter and appointment cases, their status and history."""

import marshmallow as ma
from marshmallow import validate

from ..common import StrictSchema, UtcDateTime, one_of, page_of
from .fields import CENTRE_CODE, id_cursor, iso_day, limit_field, offset_cursor

CASE_STATUSES = ("submitted", "accepted", "completed", "rejected")
CHANNELS = ("appointment", "online", "counter", "bundle", "provincial")


class OnlineApplicationSchema(StrictSchema):
    matter_id = ma.fields.String(required=True, validate=validate.Length(equal=26))
    centre = ma.fields.String(validate=validate.Regexp(CENTRE_CODE),
                              metadata={"description": "The centre to handle it (default: the first that does)"})
    form = ma.fields.Dict(keys=ma.fields.String(validate=validate.Length(max=60)), load_default=dict,
                          validate=validate.Length(max=100), metadata={"description": "The application form's answers"})


class TrackApplicationSchema(StrictSchema):
    application_id = ma.fields.String(required=True, validate=validate.Length(equal=26),
                                      metadata={"description": "A provincial application (/api/v1/applications)"})


class CounterCaseSchema(StrictSchema):
    matter_id = ma.fields.String(required=True, validate=validate.Length(equal=26))
    centre = ma.fields.String(required=True, validate=validate.Regexp(CENTRE_CODE))
    applicant_phone = ma.fields.String(validate=validate.Regexp(r"^1[3-9]\d{9}$"),
                                       metadata={"description": "The citizen's Nanhai-Tong phone number"})
    enterprise_id = ma.fields.String(validate=validate.Length(equal=26))
    accepted_on = ma.fields.String(validate=iso_day,
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
    status = ma.fields.String(required=True, validate=one_of(CASE_STATUSES))
    note = ma.fields.String(allow_none=True, required=True)
    at = UtcDateTime(required=True)


class CasePartSchema(ma.Schema):
    id = ma.fields.String(required=True)
    number = ma.fields.String(required=True)
    matter_id = ma.fields.String(required=True)
    matter_name = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=one_of(CASE_STATUSES))
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
    centre = ma.fields.String(allow_none=True, required=True, attribute="centre_code")
    channel = ma.fields.String(required=True, validate=one_of(CHANNELS),
                               metadata={"description": "appointment, online, counter, bundle or provincial"})
    status = ma.fields.String(required=True, validate=one_of(CASE_STATUSES),
                              metadata={"description": ", ".join(CASE_STATUSES)})
    accepted_on = ma.fields.String(required=True)
    legal_days = ma.fields.Integer(allow_none=True, required=True)
    deadline = ma.fields.String(allow_none=True, required=True,
                                metadata={"description": "Last working day of the legal time limit (China date)"})
    working_days_left = ma.fields.Integer(allow_none=True, required=True)
    overdue = ma.fields.Boolean(required=True)
    warned_at = UtcDateTime(allow_none=True, required=True)
    form = ma.fields.Dict(required=True)
    history = ma.fields.List(ma.fields.Nested(CaseEventSchema), required=True)
    parts = ma.fields.List(ma.fields.Nested(CasePartSchema), required=True,
                           metadata={"description": "A bundle's parts, each with its own progress"})
    evaluated = ma.fields.Boolean(required=True)
    created_at = UtcDateTime(required=True)
    closed_at = UtcDateTime(allow_none=True, required=True)


class CaseListArgsSchema(ma.Schema):
    status = ma.fields.String(validate=validate.OneOf(CASE_STATUSES))
    limit = limit_field()
    cursor = id_cursor()


class AdminCaseListArgsSchema(CaseListArgsSchema):
    centre = ma.fields.String(validate=validate.Regexp(CENTRE_CODE))


CaseListSchema = page_of(CaseSchema, "CaseListSchema", order="Newest first")


class WarningListArgsSchema(ma.Schema):
    limit = limit_field()
    cursor = offset_cursor()
