"""The staff's admin API (/api/v1/admin): payments, people, staff accounts, audit, access logs."""

import marshmallow as ma
from marshmallow import validate

from .authorizations import AccessLogEntrySchema, PartySchema
from .common import JsonDict, Masked, StrictSchema, UtcDateTime, one_of, page_of
from .identity import Phone, ResidentIdNumber, StaffMeSchema, Uscc
from .payments import CHANNELS, ORDER_STATUSES
from .policy_push import RulesSchema

AUDIT_RESULTS = ("success", "failure", "denied")
REFUND_REQUEST_STATUSES = ("pending_approval", "rejected", "executed")
STAFF_ROLES = ("operator", "policy_editor", "payments_ops", "auditor")


def _limit(default=20):
    return ma.fields.Integer(load_default=default, validate=validate.Range(min=1, max=100),
                             metadata={"description": f"Page size, 1 to 100 (default {default})"})


def _cursor():
    return ma.fields.String(validate=validate.Length(min=1, max=26),
                            metadata={"description": "`next_cursor` of the previous page"})


# -- payments ----------------------------------------------------------------------------

class OrderSearchArgsSchema(ma.Schema):
    out_trade_no = ma.fields.String(validate=validate.Length(min=1, max=64))
    phone = Phone(metadata={"description": "The paying citizen's phone (found through its blind index)"})
    status = ma.fields.String(validate=one_of(ORDER_STATUSES))
    channel = ma.fields.String(validate=one_of(CHANNELS))
    date_from = ma.fields.Date(metadata={"description": "Created on or after this China date"})
    date_to = ma.fields.Date(metadata={"description": "Created on or before this China date"})
    limit = _limit()
    cursor = _cursor()


class AdminOrderSchema(ma.Schema):
    id = ma.fields.String(required=True)
    out_trade_no = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    amount_fen = ma.fields.Integer(required=True)
    channel = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    owner = ma.fields.Nested(PartySchema, required=True, metadata={"description": "The payer, masked"})
    created_at = ma.fields.String(required=True)
    paid_at = ma.fields.String(allow_none=True, required=True)
    refunded_at = ma.fields.String(allow_none=True, required=True)
    failure_reason = ma.fields.String(allow_none=True, required=True)


AdminOrderListSchema = page_of(AdminOrderSchema, "AdminOrderListSchema")


class TimelineEntrySchema(ma.Schema):
    at = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={
        "description": "status_change, gateway_event, refund_request or refund_decision"})
    summary = ma.fields.String(required=True)
    details = ma.fields.Dict(required=True)


class RefundRequestSchema(ma.Schema):
    id = ma.fields.String(required=True)
    order_id = ma.fields.String(required=True)
    amount_fen = ma.fields.Integer(required=True)
    reason = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=one_of(REFUND_REQUEST_STATUSES),
                              metadata={"description": "pending_approval, rejected or executed"})
    requested_by = ma.fields.String(required=True)
    decided_by = ma.fields.String(allow_none=True, required=True)
    decision_note = ma.fields.String(allow_none=True, required=True)
    created_at = UtcDateTime(required=True)
    decided_at = UtcDateTime(allow_none=True, required=True)


RefundRequestListSchema = page_of(RefundRequestSchema, "RefundRequestListSchema", cursor=False)


class AdminOrderTimelineSchema(AdminOrderSchema):
    fulfilled_at = ma.fields.String(allow_none=True, required=True)
    refund_no = ma.fields.String(allow_none=True, required=True)
    channel_trade_no = ma.fields.String(allow_none=True, required=True)
    timeline = ma.fields.List(ma.fields.Nested(TimelineEntrySchema), required=True)
    refund_requests = ma.fields.List(ma.fields.Nested(RefundRequestSchema), required=True)
    refundable = ma.fields.Boolean(required=True)


class RefundCreateSchema(StrictSchema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=4, max=500))


class RefundDecisionSchema(StrictSchema):
    note = ma.fields.String(load_default=None, validate=validate.Length(max=500))


class StuckOrderSchema(AdminOrderSchema):
    since = ma.fields.String(required=True, metadata={"description": "When it entered its status"})
    waiting_seconds = ma.fields.Integer(required=True)
    overdue = ma.fields.Boolean(required=True, metadata={"description": "Waited longer than the alert time"})


class StuckOrderListSchema(ma.Schema):
    alert_after_seconds = ma.fields.Integer(required=True)
    overdue = ma.fields.Integer(required=True)
    items = ma.fields.List(ma.fields.Nested(StuckOrderSchema), required=True)


class ReconcileSchema(StrictSchema):
    date = ma.fields.Date(required=True, metadata={"description": "The statement's China date"})
    channel = ma.fields.String(load_default=None, validate=one_of(CHANNELS))


class MismatchSchema(ma.Schema):
    id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    channel = ma.fields.String(required=True)
    out_trade_no = ma.fields.String(required=True)
    order_id = ma.fields.String(allow_none=True, required=True)
    statement_amount_fen = ma.fields.Integer(allow_none=True, required=True)
    our_amount_fen = ma.fields.Integer(allow_none=True, required=True)
    our_status = ma.fields.String(allow_none=True, required=True)
    resolution_note = ma.fields.String(allow_none=True, required=True)
    resolved_by = ma.fields.String(allow_none=True, required=True)
    resolved_at = UtcDateTime(allow_none=True, required=True)


class RunSchema(ma.Schema):
    """Serialises a run; ``With`` its ``mismatch_list`` and ``unresolved`` count, those too."""

    id = ma.fields.String(required=True)
    date = ma.fields.String(attribute="day", required=True)
    channel = ma.fields.String(required=True, validate=one_of(CHANNELS))
    started_by = ma.fields.String(required=True)
    mismatch_count = ma.fields.Integer(attribute="mismatches", required=True)
    created_at = UtcDateTime(required=True)
    mismatches = ma.fields.List(ma.fields.Nested(MismatchSchema), attribute="mismatch_list")
    unresolved = ma.fields.Integer()


RunListSchema = page_of(RunSchema, "RunListSchema")


class PageArgsSchema(ma.Schema):
    limit = _limit()
    cursor = _cursor()


class ResolutionSchema(StrictSchema):
    note = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))


# -- people and staff ----------------------------------------------------------------------

class PeopleLookupSchema(StrictSchema):
    phone = Phone()
    id_number = ResidentIdNumber()
    uscc = Uscc()
    reason = ma.fields.String(required=True, validate=validate.Length(min=4, max=200), metadata={
        "description": "Why you look (shown to the person in their access log)"})


class CitizenFoundSchema(ma.Schema):
    id = ma.fields.String(required=True)
    phone = Masked("phone", required=True, metadata={"description": "Masked"})
    real_name = Masked("name", allow_none=True, required=True, metadata={"description": "Masked"})
    id_number = Masked("id_number", allow_none=True, required=True, metadata={"description": "Masked"})
    assurance_level = ma.fields.Integer(required=True)
    created_at = UtcDateTime(required=True)


class EnterpriseFoundSchema(ma.Schema):
    id = ma.fields.String(required=True)
    uscc = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    town = ma.fields.String(allow_none=True, required=True)
    size = ma.fields.String(allow_none=True, required=True)
    industry_code = ma.fields.String(allow_none=True, required=True)
    members = ma.fields.Integer(required=True)
    verified_at = UtcDateTime(required=True)


class PeopleFoundSchema(ma.Schema):
    by = ma.fields.String(required=True)
    reason = ma.fields.String(required=True)
    citizens = ma.fields.List(ma.fields.Nested(CitizenFoundSchema), required=True)
    enterprises = ma.fields.List(ma.fields.Nested(EnterpriseFoundSchema), required=True)


class StaffAccountSchema(StaffMeSchema):
    active = ma.fields.Boolean(required=True)
    created_at = UtcDateTime(required=True)


StaffAccountListSchema = page_of(StaffAccountSchema, "StaffAccountListSchema", cursor=False)


class StaffCreateSchema(StrictSchema):
    phone = Phone(required=True)
    role = ma.fields.String(required=True, validate=validate.OneOf(STAFF_ROLES))
    password = ma.fields.String(required=True, load_only=True, validate=validate.Length(min=12, max=128), metadata={
        "description": "12 to 128 characters with at least one letter and one digit"})


class SecondFactorResetSchema(StrictSchema):
    phone = Phone(required=True, metadata={"description": "The phone the sign-in codes go to from now on"})


# -- audit and access logs -----------------------------------------------------------------

class AuditEventArgsSchema(ma.Schema):
    action = ma.fields.String(validate=validate.Length(min=1, max=80), metadata={
        "description": "An action or a prefix of one (`payment.`)"})
    actor = ma.fields.String(validate=validate.Length(min=1, max=80))
    result = ma.fields.String(validate=one_of(AUDIT_RESULTS))
    object_type = ma.fields.String(validate=validate.Length(min=1, max=40))
    object_id = ma.fields.String(validate=validate.Length(min=1, max=80))
    date_from = ma.fields.Date(metadata={"description": "On or after this China date"})
    date_to = ma.fields.Date(metadata={"description": "On or before this China date"})
    limit = _limit(50)
    cursor = ma.fields.Integer(validate=validate.Range(min=1), metadata={"description": "`next_cursor` (a seq)"})


class AuditExportArgsSchema(ma.Schema):
    date_from = ma.fields.Date(required=True, metadata={"description": "First China date"})
    date_to = ma.fields.Date(required=True, metadata={"description": "Last China date (at most 31 days)"})
    action = ma.fields.String(validate=validate.Length(min=1, max=80))


class AuditEventSchema(ma.Schema):
    seq = ma.fields.Integer(required=True)
    id = ma.fields.String(required=True)
    occurred_at = ma.fields.String(required=True)
    actor = ma.fields.String(required=True)
    on_behalf_of = ma.fields.String(allow_none=True, required=True)
    action = ma.fields.String(required=True)
    object_type = ma.fields.String(allow_none=True, required=True)
    object_id = ma.fields.String(allow_none=True, required=True)
    source_ip = ma.fields.String(allow_none=True, required=True)
    request_id = ma.fields.String(allow_none=True, required=True)
    result = ma.fields.String(required=True, validate=one_of(AUDIT_RESULTS))
    details = JsonDict(empty={}, required=True)
    prev_hash = ma.fields.String(required=True)
    hash = ma.fields.String(required=True)


AuditEventListSchema = page_of(AuditEventSchema, "AuditEventListSchema", cursor=ma.fields.Integer)


class AccessLogArgsSchema(ma.Schema):
    owner_kind = ma.fields.String(validate=validate.OneOf(("citizen", "enterprise")))
    owner_id = ma.fields.String(validate=validate.Length(min=1, max=26))
    accessor_kind = ma.fields.String(validate=validate.OneOf(("citizen", "staff", "partner", "verifier")))
    accessor_id = ma.fields.String(validate=validate.Length(min=1, max=40))
    action = ma.fields.String(validate=validate.Length(min=1, max=40))
    limit = _limit(50)
    cursor = _cursor()


class AuditAccessLogEntrySchema(AccessLogEntrySchema):
    owner = ma.fields.Nested(PartySchema, required=True)


AuditAccessLogSchema = page_of(AuditAccessLogEntrySchema, "AuditAccessLogSchema")


# -- policies --------------------------------------------------------------------------------

class PolicyPreviewSchema(StrictSchema):
    rules = ma.fields.Nested(RulesSchema, load_default=dict, metadata={"description": "Targeting rules of a draft"})


class PolicyPreviewResultSchema(ma.Schema):
    matched = ma.fields.Integer(required=True, metadata={"description": "Enterprises the rules match today"})
