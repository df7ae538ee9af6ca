"""Provincial services: the catalogue, queries, applications and status callbacks."""

import marshmallow as ma
from marshmallow import validate

from .common import MASKS, JsonDict, JsonList, OutputSchema, StrictSchema, Ulid, UtcDateTime, one_of, page_of

PROVIDER_NAMES = {"yueshengshi": "粤省事", "yueshangtong": "粤商通"}
PROVIDERS = tuple(PROVIDER_NAMES)
AUDIENCES = ("citizen", "enterprise")
KINDS = ("query", "application")
APPLICATION_STATUSES = ("queued", "submitted", "accepted", "need_more_materials", "approved", "rejected")
ITEM_STATUSES = ("active", "retired")
CODE = validate.Regexp(r"^(yss|ysst)\.[a-z0-9_]{1,30}\.[a-z0-9_]{1,30}$",
                       error="A code like yss.housing_fund.balance (provider prefix, two snake_case parts).")


class CatalogueArgsSchema(ma.Schema):
    audience = ma.fields.String(validate=one_of(AUDIENCES))
    provider = ma.fields.String(validate=one_of(PROVIDERS))
    category = ma.fields.String(validate=validate.Length(min=1, max=40))
    kind = ma.fields.String(validate=one_of(KINDS))
    q = ma.fields.String(validate=validate.Length(min=1, max=50), metadata={"description": "Text search"})
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = ma.fields.String(validate=validate.Length(min=1, max=64))


class AdminCatalogueArgsSchema(CatalogueArgsSchema):
    include_retired = ma.fields.Boolean(load_default=True)


class MaterialSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    note = ma.fields.String(validate=validate.Length(max=200))
    licence_type = ma.fields.String(validate=validate.Length(min=1, max=40),
                                    metadata={"description": "Attachable from the e-licence wallet"})


class _ProviderName(ma.fields.String):
    def __init__(self, **kwargs):
        super().__init__(attribute="provider", dump_only=True, **kwargs)

    def _serialize(self, value, attr, obj, **kwargs):
        return PROVIDER_NAMES[value]


class ServiceItemSchema(OutputSchema):
    code = ma.fields.String(required=True)
    provider = ma.fields.String(required=True, validate=one_of(PROVIDERS),
                                metadata={"description": "yueshengshi (粤省事) or yueshangtong (粤商通)"})
    provider_name = _ProviderName(required=True)
    audience = ma.fields.String(required=True, validate=one_of(AUDIENCES),
                                metadata={"description": "citizen or enterprise"})
    kind = ma.fields.String(required=True, validate=one_of(KINDS), metadata={"description": "query or application"})
    category = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    department = ma.fields.String(required=True)
    description = ma.fields.String(required=True)
    eligibility = ma.fields.String(required=True, metadata={"description": "Who may apply"})
    materials = JsonList(ma.fields.Nested(MaterialSchema), required=True)
    fee_fen = ma.fields.Integer(required=True)
    fee_note = ma.fields.String(allow_none=True, required=True)
    legal_time_limit_days = ma.fields.Integer(allow_none=True, required=True)
    promised_time_limit_days = ma.fields.Integer(allow_none=True, required=True)
    form_schema = JsonDict(required=True, metadata={
        "description": "The form (or query parameters) as a JSON-Schema subset the app renders; "
                       "the same schema validates what is sent"})
    attachable_licence_types = JsonList(ma.fields.String(), required=True)
    cacheable = ma.fields.Boolean(required=True)
    cache_ttl_seconds = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, validate=one_of(ITEM_STATUSES),
                              metadata={"description": "active or retired"})
    updated_at = UtcDateTime(required=True)


ServiceItemListSchema = page_of(ServiceItemSchema, "ServiceItemListSchema")


class QueryRequestSchema(StrictSchema):
    params = ma.fields.Dict(load_default=dict, metadata={"description": "Checked against the item's form_schema"})


class QueryFieldSchema(ma.Schema):
    key = ma.fields.String(required=True)
    label = ma.fields.String(required=True)
    value = ma.fields.Raw(allow_none=True, required=True)


class QueryResultSchema(ma.Schema):
    service_code = ma.fields.String(required=True)
    provider = ma.fields.String(required=True)
    summary = ma.fields.String(required=True)
    fields = ma.fields.List(ma.fields.Nested(QueryFieldSchema), required=True)
    records = ma.fields.List(ma.fields.Dict(), required=True)
    upstream_request_id = ma.fields.String(required=True)
    queried_at = ma.fields.String(required=True, metadata={"description": "When the upstream answered"})
    cached = ma.fields.Boolean(required=True, metadata={"description": "Answered from the short-lived cache"})


class ApplicationRequestSchema(StrictSchema):
    form = ma.fields.Dict(required=True, metadata={"description": "Checked against the item's form_schema"})
    licence_ids = ma.fields.List(ma.fields.String(validate=Ulid), load_default=list,
                                 validate=validate.Length(max=10),
                                 metadata={"description": "E-licences from your wallet to attach"})


class ApplicationEventSchema(ma.Schema):
    status = ma.fields.String(required=True, validate=one_of(APPLICATION_STATUSES))
    previous_status = ma.fields.String(allow_none=True, required=True)
    source = ma.fields.String(required=True, metadata={"description": "created, delivery, callback or poll"})
    note = ma.fields.String(allow_none=True, required=True)
    occurred_at = UtcDateTime(required=True)


class AttachmentSchema(ma.Schema):
    licence_id = ma.fields.String(required=True)
    type_code = ma.fields.String(required=True)


class _MaskedForm(JsonDict):
    """The form as sent, its account numbers masked."""

    def _serialize(self, value, attr, obj, **kwargs):
        form = super()._serialize(value, attr, obj, **kwargs)
        return {name: (MASKS["middle"](value, 2, 4) if "account" in name and isinstance(value, str) else value)
                for name, value in form.items()}


class ApplicationSchema(ma.Schema):
    """Serialises an application ``With`` its ``service_name``, whether ``final``, and its ``history``."""

    id = ma.fields.String(required=True)
    service_code = ma.fields.String(required=True)
    service_name = ma.fields.String(required=True)
    provider = ma.fields.String(required=True)
    subject_kind = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=one_of(APPLICATION_STATUSES), metadata={
        "description": "queued (accepted by us, upstream not reached yet: delivered later, once), submitted, "
                       "accepted, need_more_materials, approved, rejected"})
    final = ma.fields.Boolean(required=True)
    upstream_reference = ma.fields.String(allow_none=True, required=True)
    form = _MaskedForm(required=True, metadata={"description": "Account numbers masked"})
    attachments = JsonList(ma.fields.Nested(AttachmentSchema), required=True)
    created_at = UtcDateTime(required=True)
    updated_at = UtcDateTime(required=True)
    submitted_at = UtcDateTime(allow_none=True, required=True)
    history = ma.fields.List(ma.fields.Nested(ApplicationEventSchema), required=True)


class ApplicationListArgsSchema(ma.Schema):
    status = ma.fields.String(validate=one_of(APPLICATION_STATUSES))
    service_code = ma.fields.String(validate=validate.Length(min=1, max=64))
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = ma.fields.String(validate=Ulid)


ApplicationListSchema = page_of(ApplicationSchema, "ApplicationListSchema")


class CallbackAnswerSchema(ma.Schema):
    application_id = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    applied = ma.fields.Boolean(required=True, metadata={"description": "False for a duplicate or older report"})


class _ItemWriteSchema(StrictSchema):
    kind = ma.fields.String(validate=one_of(KINDS))
    category = ma.fields.String(validate=validate.Length(min=1, max=40))
    name = ma.fields.String(validate=validate.Length(min=1, max=100))
    department = ma.fields.String(validate=validate.Length(min=1, max=100))
    description = ma.fields.String(validate=validate.Length(min=1, max=4000))
    eligibility = ma.fields.String(validate=validate.Length(min=1, max=2000))
    materials = ma.fields.List(ma.fields.Nested(MaterialSchema), validate=validate.Length(max=30))
    fee_fen = ma.fields.Integer(validate=validate.Range(min=0, max=100_000_000))
    fee_note = ma.fields.String(allow_none=True, validate=validate.Length(max=200))
    legal_time_limit_days = ma.fields.Integer(allow_none=True, validate=validate.Range(min=0, max=365))
    promised_time_limit_days = ma.fields.Integer(allow_none=True, validate=validate.Range(min=0, max=365))
    form_schema = ma.fields.Dict()
    attachable_licence_types = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=40)),
                                              validate=validate.Length(max=20))
    cacheable = ma.fields.Boolean()
    cache_ttl_seconds = ma.fields.Integer(validate=validate.Range(min=0, max=3600))


class ServiceItemCreateSchema(_ItemWriteSchema):
    code = ma.fields.String(required=True, validate=CODE)
    provider = ma.fields.String(required=True, validate=one_of(PROVIDERS))
    kind = ma.fields.String(required=True, validate=one_of(KINDS))
    category = ma.fields.String(required=True, validate=validate.Length(min=1, max=40))
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    department = ma.fields.String(required=True, validate=validate.Length(min=1, max=100))
    description = ma.fields.String(required=True, validate=validate.Length(min=1, max=4000))
    eligibility = ma.fields.String(required=True, validate=validate.Length(min=1, max=2000))
    materials = ma.fields.List(ma.fields.Nested(MaterialSchema), required=True, validate=validate.Length(max=30))
    form_schema = ma.fields.Dict(required=True)


class ServiceItemUpdateSchema(_ItemWriteSchema):
    status = ma.fields.String(validate=one_of(ITEM_STATUSES),
                              metadata={"description": "retired: gone from the catalogue, kept for its applications"})
