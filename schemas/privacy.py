"""Privacy (PIPL): legal documents and agreements, consents, what was shared, account
deletion, copies of one's data."""

import marshmallow as ma
from marshmallow import validate

from .common import StrictSchema

DOCUMENT_KINDS = ("terms", "privacy_policy")


class LegalDocumentSchema(ma.Schema):
    id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"description": "terms | privacy_policy"})
    version = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)
    body = ma.fields.String(required=True, metadata={"description": "The full text (Chinese)"})
    summary_of_changes = ma.fields.String(allow_none=True)
    requires_agreement = ma.fields.Boolean(required=True)
    published_at = ma.fields.String(required=True, metadata={"format": "date-time"})


class LegalDocumentListSchema(ma.Schema):
    items = ma.fields.List(ma.fields.Nested(LegalDocumentSchema), required=True)


class LegalDocumentPublishSchema(StrictSchema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))
    title = ma.fields.String(validate=validate.Length(min=1, max=200))
    body = ma.fields.String(required=True, validate=validate.Length(min=1, max=200_000))
    summary_of_changes = ma.fields.String(validate=validate.Length(max=5000))
    requires_agreement = ma.fields.Boolean(load_default=True, metadata={
        "description": "false for a correction nobody need agree to again"})


class DocumentVersionArgsSchema(ma.Schema):
    version = ma.fields.Integer(validate=validate.Range(min=1), metadata={"description": "default: the current one"})


class AgreedVersionSchema(StrictSchema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))
    version = ma.fields.Integer(required=True, validate=validate.Range(min=1))


class AgreeSchema(StrictSchema):
    agreements = ma.fields.List(ma.fields.Nested(AgreedVersionSchema), required=True,
                                validate=validate.Length(min=1, max=len(DOCUMENT_KINDS)))


class PendingDocumentSchema(ma.Schema):
    kind = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True)
    title = ma.fields.String(required=True)


class AgreementSchema(ma.Schema):
    id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True)
    context = ma.fields.String(required=True, metadata={"description": "sign_up | update"})
    channel = ma.fields.String(required=True, metadata={"description": "app | miniprogram"})
    client = ma.fields.String(allow_none=True, metadata={"description": "The client (User-Agent) that agreed"})
    agreed_at = ma.fields.String(required=True, metadata={"format": "date-time"})


class AgreementsSchema(ma.Schema):
    pending = ma.fields.List(ma.fields.Nested(PendingDocumentSchema), required=True,
                             metadata={"description": "What you must agree to before other calls work again (428)"})
    agreements = ma.fields.List(ma.fields.Nested(AgreementSchema), required=True)


class OptionalConsentSchema(ma.Schema):
    name = ma.fields.String(required=True, metadata={"description": "policy_push | marketing"})
    granted = ma.fields.Boolean(required=True)
    description = ma.fields.String(required=True)


class PartySchema(ma.Schema):
    kind = ma.fields.String(required=True)
    id = ma.fields.String(required=True)
    display = ma.fields.String(required=True)


class PartnerConsentSchema(ma.Schema):
    grant_id = ma.fields.String(required=True)
    partner = ma.fields.Nested(PartySchema, required=True)
    scopes = ma.fields.List(ma.fields.String(), required=True)
    purpose = ma.fields.String(required=True)
    granted_at = ma.fields.String(required=True, metadata={"format": "date-time"})
    expires_at = ma.fields.String(required=True, metadata={"format": "date-time"})


class ConsentsSchema(ma.Schema):
    optional = ma.fields.List(ma.fields.Nested(OptionalConsentSchema), required=True)
    partners = ma.fields.List(ma.fields.Nested(PartnerConsentSchema), required=True)
