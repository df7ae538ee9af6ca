"""Authorization management: grants, their history, and the access log."""

import marshmallow as ma
from marshmallow import validate

from .common import JsonDict, JsonList, OutputSchema, StrictSchema, UtcDateTime, one_of, page_of
from .identity import Phone

SCOPE_NAMES = (
    "licences:read", "licences:reveal", "licences:present", "gov_services:query", "gov_services:apply", "payments:pay",
    "esign:sign", "esign:seal", "enterprise:read", "members:manage", "profile:read", "messages:read",
    "messages:settings",
)
SCOPE_NAMES += ("esign:manage",)  # issue 6: not grantable; named so a grant asking for it is refused by rule
SCOPE_NAMES += ("one_stop:book", "one_stop:apply", "one_stop:evaluate", "one_stop:benefits")  # issue 27
SCOPE_NAMES += ("privacy:manage", "identity:face", "guardian:consent")  # issue 23: the last one is grantable
GRANT_STATUSES = ("active", "revoked", "expired")
DIRECTIONS = ("granted", "received")


class ConstraintsSchema(StrictSchema):
    licence_types = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=40)),
                                   validate=validate.Length(min=1, max=50),
                                   metadata={"description": "Only these licence type codes"})
    service_codes = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=40)),
                                   validate=validate.Length(min=1, max=50),
                                   metadata={"description": "Only these gov-service codes"})
    amount_ceiling_fen = ma.fields.Integer(strict=True, validate=validate.Range(min=1, max=10_000_000),
                                           metadata={"description": "Largest single payment, in fen"})


class GranteeSchema(StrictSchema):
    phone = Phone(metadata={"description": "A registered citizen's phone"})
    user_id = ma.fields.String(validate=validate.Length(min=1, max=26))

    @ma.validates_schema
    def _exactly_one(self, data, **kwargs):
        if ("phone" in data) == ("user_id" in data):
            raise ma.ValidationError("Give exactly one of phone or user_id.", "phone")


class GrantCreateSchema(StrictSchema):
    grantee = ma.fields.Nested(GranteeSchema, required=True)
    scopes = ma.fields.List(ma.fields.String(validate=validate.OneOf(SCOPE_NAMES)), required=True,
                            validate=validate.Length(min=1, max=len(SCOPE_NAMES)))
    constraints = ma.fields.Nested(ConstraintsSchema, load_default=dict)
    purpose = ma.fields.String(required=True, validate=validate.Length(min=2, max=200),
                               metadata={"example": "代办社保缴费记录查询"})
    not_before = ma.fields.AwareDateTime(metadata={"description": "UTC ISO 8601; default now"})
    expires_at = ma.fields.AwareDateTime(required=True, metadata={"description": "UTC ISO 8601"})


class GrantEventSchema(OutputSchema):
    event = ma.fields.String(required=True)
    actor = ma.fields.String(required=True)
    at = UtcDateTime(required=True)


class PartySchema(OutputSchema):
    kind = ma.fields.String(required=True, metadata={"description": "citizen, enterprise or partner"})
    id = ma.fields.String(required=True)
    display = ma.fields.String(required=True, metadata={"description": "Masked name or phone, or the enterprise name"})


class GrantSchema(OutputSchema):
    """Serialises a grant ``With`` its parties' labels, its effective status and its history."""

    id = ma.fields.String(required=True)
    grantor = ma.fields.Nested(PartySchema, required=True)
    grantee = ma.fields.Nested(PartySchema, required=True)
    scopes = JsonList(ma.fields.String(), required=True)
    constraints = JsonDict(empty={}, required=True)
    purpose = ma.fields.String(required=True)
    not_before = UtcDateTime(required=True)
    expires_at = UtcDateTime(required=True)
    status = ma.fields.String(required=True, validate=one_of(GRANT_STATUSES),
                              metadata={"description": "active, revoked or expired"})
    created_at = UtcDateTime(required=True)
    revoked_at = UtcDateTime(allow_none=True, required=True)
    parent_id = ma.fields.String(allow_none=True, required=True)
    history = ma.fields.List(ma.fields.Nested(GrantEventSchema), required=True)


class GrantListArgsSchema(ma.Schema):
    direction = ma.fields.String(load_default="granted", validate=one_of(DIRECTIONS))
    status = ma.fields.String(validate=one_of(GRANT_STATUSES))
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = ma.fields.String(validate=validate.Length(min=1, max=26),
                              metadata={"description": "next_cursor of the previous page"})


GrantListSchema = page_of(GrantSchema, "GrantListSchema")


class AccessLogArgsSchema(ma.Schema):
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = ma.fields.String(validate=validate.Length(min=1, max=26))


class AccessLogEntrySchema(OutputSchema):
    id = ma.fields.String(required=True)
    at = UtcDateTime(required=True)
    accessor = ma.fields.Nested(PartySchema, required=True)
    acting_as = ma.fields.String(required=True, metadata={"description": "delegate, member, staff, partner or verifier"})
    action = ma.fields.String(required=True)
    object_type = ma.fields.String(allow_none=True, required=True)
    object_id = ma.fields.String(allow_none=True, required=True)
    grant_id = ma.fields.String(allow_none=True, required=True)
    reason = ma.fields.String(allow_none=True, metadata={"description": "Why a staff member looked (staff only)"})


AccessLogSchema = page_of(AccessLogEntrySchema, "AccessLogSchema")


class _Sorted(ma.fields.List):
    """A set, shown as a sorted list."""

    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(sorted(value) if value is not None else None, attr, obj, **kwargs)


class ScopeSchema(ma.Schema):
    """Serialises a scope's rule ``With`` its name and its description in the caller's language."""

    name = ma.fields.String(required=True, validate=one_of(SCOPE_NAMES))
    description = ma.fields.String(required=True)
    grantable_by = _Sorted(ma.fields.String(), required=True)
    grantees = _Sorted(ma.fields.String(), required=True)
    grantee_level = ma.fields.Integer(required=True)
    sub_delegable = ma.fields.Boolean(required=True)
    max_days = ma.fields.Integer(required=True)
    roles = _Sorted(ma.fields.String(), required=True)
    level = ma.fields.Integer(required=True)


ScopeListSchema = page_of(ScopeSchema, "ScopeListSchema", cursor=False, key="scopes")
