"""Policy interpretations pushed to enterprises (企业政策解读推送): documents, targeting
rules, public search, matches and fan-out records."""

import re

import marshmallow as ma
from marshmallow import validate

from .common import JsonList, JsonNested, StrictSchema, UtcDateTime, one_of, page_of

CATEGORIES = ("subsidy", "tax_relief", "talent", "finance", "other")
POLICY_STATUSES = ("draft", "published", "withdrawn")
VERSION_STATES = ("draft", "published", "superseded")
SIZES = ("micro", "small", "medium", "large")
TOWNS = ("桂城街道", "九江镇", "西樵镇", "丹灶镇", "狮山镇", "大沥镇", "里水镇")
_INDUSTRY = re.compile(r"^[A-T](?:\d{1,4})?$")
_LICENCE_TYPE = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
_SERVICE_CODE = re.compile(r"^[0-9A-Za-z_.-]{1,64}$")


def _date(value: str) -> None:
    from datetime import date

    try:
        date.fromisoformat(value)
    except (TypeError, ValueError):
        raise ma.ValidationError("Use an ISO date, YYYY-MM-DD (China time).") from None
    if not re.match(r"^\d{4}-\d{2}-\d{2}$", value):
        raise ma.ValidationError("Use an ISO date, YYYY-MM-DD (China time).")


class RulesSchema(StrictSchema):
    """Every rule present must hold; a list means any of its values. Absent or empty: no restriction."""

    industry_codes = ma.fields.List(ma.fields.String(validate=validate.Regexp(
        _INDUSTRY, error="Not a GB/T 4754 code or prefix (e.g. C, C33, C3311).")), validate=validate.Length(max=50),
        metadata={"description": "GB/T 4754 codes matched as prefixes: C33 matches C3311", "example": ["C33", "I65"]})
    sizes = ma.fields.List(ma.fields.String(validate=validate.OneOf(SIZES)), validate=validate.Length(max=4))
    towns = ma.fields.List(ma.fields.String(validate=validate.OneOf(TOWNS)), validate=validate.Length(max=7),
                           metadata={"example": ["狮山镇", "大沥镇"]})
    min_registration_years = ma.fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=200),
                                               metadata={"description": "Registered at least this many full years ago"})
    max_registration_years = ma.fields.Integer(strict=True, allow_none=True, validate=validate.Range(min=0, max=200),
                                               metadata={"description": "Registered at most this many full years ago"})
    licence_types = ma.fields.List(ma.fields.String(validate=validate.Regexp(
        _LICENCE_TYPE, error="Not a licence type code.")), validate=validate.Length(max=20),
        metadata={"description": "Holds a valid licence of any of these types", "example": ["food_business_permit"]})

    @ma.validates_schema
    def _years_in_order(self, data, **_):
        low, high = data.get("min_registration_years"), data.get("max_registration_years")
        if low is not None and high is not None and low > high:
            raise ma.ValidationError("Must not be less than min_registration_years.", "max_registration_years")


class PolicyWriteSchema(StrictSchema):
    """A policy version's content. PUT sends it whole."""

    title = ma.fields.String(required=True, validate=validate.Length(min=2, max=200))
    category = ma.fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    issuer = ma.fields.String(required=True, validate=validate.Length(min=2, max=100),
                              metadata={"example": "佛山市南海区科学技术局"})
    summary = ma.fields.String(required=True, validate=validate.Length(min=2, max=2000),
                               metadata={"description": "Plain-language interpretation"})
    eligibility = ma.fields.String(required=True, validate=validate.Length(min=2, max=4000),
                                   metadata={"description": "Who qualifies, in words"})
    max_amount_fen = ma.fields.Integer(strict=True, allow_none=True, load_default=None,
                                       validate=validate.Range(min=0, max=10**12))
    amount_note = ma.fields.String(allow_none=True, load_default=None, validate=validate.Length(max=1000))
    apply_from = ma.fields.String(allow_none=True, load_default=None, validate=_date)
    apply_until = ma.fields.String(allow_none=True, load_default=None, validate=_date,
                                   metadata={"description": "Deadline, ISO date (China time)"})
    how_to_apply = ma.fields.String(required=True, validate=validate.Length(min=2, max=4000))
    service_codes = ma.fields.List(ma.fields.String(validate=validate.Regexp(_SERVICE_CODE)),
                                   load_default=list, validate=validate.Length(max=20),
                                   metadata={"description": "Linked government-service codes"})
    body = ma.fields.String(required=True, validate=validate.Length(min=2, max=100_000),
                            metadata={"description": "The policy document itself"})
    rules = ma.fields.Nested(RulesSchema, load_default=dict)

    @ma.validates_schema
    def _dates_in_order(self, data, **_):
        if data.get("apply_from") and data.get("apply_until") and data["apply_from"] > data["apply_until"]:
            raise ma.ValidationError("Must not be before apply_from.", "apply_until")


class RulesOutSchema(ma.Schema):
    industry_codes = ma.fields.List(ma.fields.String())
    sizes = ma.fields.List(ma.fields.String())
    towns = ma.fields.List(ma.fields.String())
    min_registration_years = ma.fields.Integer()
    max_registration_years = ma.fields.Integer()
    licence_types = ma.fields.List(ma.fields.String())


class PolicySchema(ma.Schema):
    """Serialises one version of a policy (the public sees its current one)."""

    id = ma.fields.String(attribute="policy_id", required=True)
    version = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    category = ma.fields.String(required=True, validate=one_of(CATEGORIES))
    issuer = ma.fields.String(required=True)
    summary = ma.fields.String(required=True)
    eligibility = ma.fields.String(required=True)
    max_amount_fen = ma.fields.Integer(allow_none=True, required=True)
    amount_note = ma.fields.String(allow_none=True, required=True)
    apply_from = ma.fields.String(allow_none=True, required=True)
    apply_until = ma.fields.String(allow_none=True, required=True)
    how_to_apply = ma.fields.String(required=True)
    service_codes = JsonList(ma.fields.String(), required=True)
    body = ma.fields.String(required=True)
    rules = JsonNested(RulesOutSchema, required=True)
    published_at = UtcDateTime(allow_none=True, required=True)


class PolicyListArgsSchema(ma.Schema):
    q = ma.fields.String(validate=validate.Length(min=1, max=100),
                         metadata={"description": "Full-text search (Chinese works: 补贴)"})
    category = ma.fields.String(validate=one_of(CATEGORIES))
    open_only = ma.fields.Boolean(load_default=False,
                                  metadata={"description": "Only policies whose deadline has not passed"})
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = ma.fields.String(validate=validate.Length(min=1, max=10),
                              metadata={"description": "next_cursor of the previous page"})


PolicyListSchema = page_of(PolicySchema, "PolicyListSchema",
                           order="Most relevant first when searching, else newest first")


class FanOutSchema(ma.Schema):
    id = ma.fields.String(required=True)
    policy_id = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"description": "queued, running, done, stopped or failed"})
    total = ma.fields.Integer(required=True, metadata={"description": "Enterprises considered"})
    matched = ma.fields.Integer(required=True)
    processed = ma.fields.Integer(required=True)
    delivered = ma.fields.Integer(required=True, metadata={"description": "New enterprise inbox messages"})
    member_copies = ma.fields.Integer(required=True, metadata={"description": "New copies to following members"})
    error = ma.fields.String(allow_none=True, required=True)
    created_at = UtcDateTime(required=True)
    started_at = UtcDateTime(allow_none=True, required=True)
    finished_at = UtcDateTime(allow_none=True, required=True)


class VersionSummarySchema(ma.Schema):
    version = ma.fields.Integer(required=True)
    state = ma.fields.String(required=True, validate=one_of(VERSION_STATES),
                             metadata={"description": "draft, published or superseded"})
    title = ma.fields.String(required=True)
    created_at = UtcDateTime(required=True)
    published_at = UtcDateTime(allow_none=True, required=True)


class AdminPolicySchema(ma.Schema):
    """Serialises a policy ``With`` its ``latest`` version, all ``versions`` and its recent ``fanouts``."""

    id = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=one_of(POLICY_STATUSES),
                              metadata={"description": "draft, published or withdrawn"})
    current_version = ma.fields.Integer(allow_none=True, required=True,
                                        metadata={"description": "The version the public sees while published"})
    latest_version = ma.fields.Integer(required=True)
    latest = ma.fields.Nested(PolicySchema, required=True, metadata={"description": "The newest version's content"})
    versions = ma.fields.List(ma.fields.Nested(VersionSummarySchema), required=True)
    fanouts = ma.fields.List(ma.fields.Nested(FanOutSchema), required=True, metadata={"description": "Newest first"})
    created_at = UtcDateTime(required=True)
    withdrawn_at = UtcDateTime(allow_none=True, required=True)


class AdminPolicyListArgsSchema(ma.Schema):
    status = ma.fields.String(validate=one_of(POLICY_STATUSES))
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = ma.fields.String(validate=validate.Length(min=26, max=26))


AdminPolicyListSchema = page_of(AdminPolicySchema, "AdminPolicyListSchema")
FanOutListSchema = page_of(FanOutSchema, "FanOutListSchema", cursor=False)


class RuleResultSchema(ma.Schema):
    rule = ma.fields.String(required=True)
    required = ma.fields.Raw(required=True, metadata={"description": "What the policy asks"})
    value = ma.fields.Raw(allow_none=True, required=True, metadata={"description": "What the enterprise has"})
    matched = ma.fields.Boolean(required=True)
    matched_by = ma.fields.List(ma.fields.String(), metadata={"description": "industry_codes: the prefixes that hit"})


class PolicyMatchSchema(ma.Schema):
    """Serialises a match's explanation ``With`` the policy version it explains."""

    policy = ma.fields.Nested(PolicySchema, required=True)
    rules = ma.fields.List(ma.fields.Nested(RuleResultSchema), required=True,
                           metadata={"description": "Each targeting rule, what was required and the enterprise's value"})


class MatchListArgsSchema(ma.Schema):
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = ma.fields.String(validate=validate.Length(min=1, max=10))


class PolicyMatchListSchema(page_of(PolicyMatchSchema, "PolicyMatchPageSchema")):
    """A Page ``With`` the enterprise's attributes."""

    enterprise = ma.fields.Dict(required=True, metadata={
        "description": "The attributes matched: industry_code, size, town, registered_on, licence_types"})
