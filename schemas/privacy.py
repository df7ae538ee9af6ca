"""Privacy (PIPL): legal documents and agreements, consents, what was shared, account
deletion, copies of one's data."""

import marshmallow as ma
from marshmallow import validate

from .authorizations import PartySchema
from .common import IsSet, JsonList, StrictSchema, UtcDateTime, one_of, page_of
from .identity import AgreedVersionSchema

DOCUMENT_KINDS = ("terms", "privacy_policy")
EXPORT_STATUSES = ("queued", "building", "ready", "failed", "expired")


class LegalDocumentSchema(ma.Schema):
    id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, validate=one_of(DOCUMENT_KINDS), metadata={"description": "terms | privacy_policy"})
    version = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    title = ma.fields.String(required=True)
    body = ma.fields.String(required=True, metadata={"description": "The full text (Chinese)"})
    summary_of_changes = ma.fields.String(allow_none=True)
    requires_agreement = ma.fields.Boolean(required=True)
    published_at = UtcDateTime(required=True)


LegalDocumentListSchema = page_of(LegalDocumentSchema, "LegalDocumentListSchema", cursor=False)


class LegalDocumentPublishSchema(StrictSchema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(DOCUMENT_KINDS))
    title = ma.fields.String(validate=validate.Length(min=1, max=200))
    body = ma.fields.String(required=True, validate=validate.Length(min=1, max=200_000))
    summary_of_changes = ma.fields.String(validate=validate.Length(max=5000))
    requires_agreement = ma.fields.Boolean(load_default=True, metadata={
        "description": "false for a correction nobody need agree to again"})


class DocumentVersionArgsSchema(ma.Schema):
    version = ma.fields.Integer(validate=validate.Range(min=1, max=2**31 - 1),
                                metadata={"description": "default: the current one"})


class AgreeSchema(StrictSchema):
    agreements = ma.fields.List(ma.fields.Nested(AgreedVersionSchema), required=True,
                                validate=validate.Length(min=1, max=len(DOCUMENT_KINDS)))


class PendingDocumentSchema(ma.Schema):
    kind = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    title = ma.fields.String(required=True)


class AgreementSchema(ma.Schema):
    id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    version = ma.fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    context = ma.fields.String(required=True, metadata={"description": "sign_up | update"})
    channel = ma.fields.String(required=True, metadata={"description": "app | miniprogram"})
    client = ma.fields.String(allow_none=True, metadata={"description": "The client (User-Agent) that agreed"})
    agreed_at = UtcDateTime(required=True)


class AgreementsSchema(ma.Schema):
    pending = ma.fields.List(ma.fields.Nested(PendingDocumentSchema), required=True,
                             metadata={"description": "What you must agree to before other calls work again (428)"})
    agreements = ma.fields.List(ma.fields.Nested(AgreementSchema), required=True)


class OptionalConsentSchema(ma.Schema):
    name = ma.fields.String(required=True, metadata={"description": "policy_push | marketing"})
    granted = ma.fields.Boolean(required=True)
    description = ma.fields.String(required=True)


class PartnerConsentSchema(ma.Schema):
    """Serialises a partner's consent (a grant) ``With`` the partner's label."""

    grant_id = ma.fields.String(required=True, attribute="id")
    partner = ma.fields.Nested(PartySchema, required=True)
    scopes = JsonList(ma.fields.String(), required=True)
    purpose = ma.fields.String(required=True)
    granted_at = UtcDateTime(required=True, attribute="created_at")
    expires_at = UtcDateTime(required=True)


class ConsentsSchema(ma.Schema):
    optional = ma.fields.List(ma.fields.Nested(OptionalConsentSchema), required=True)
    partners = ma.fields.List(ma.fields.Nested(PartnerConsentSchema), required=True)


class BasisSchema(ma.Schema):
    kind = ma.fields.String(required=True, metadata={
        "description": "consent (to a partner) | delegation | grant | presentation | staff_duty | your_application"})
    id = ma.fields.String(allow_none=True)
    scopes = ma.fields.List(ma.fields.String(), required=True)
    purpose = ma.fields.String(required=True)
    status = ma.fields.String(required=True)


class DisclosureSchema(ma.Schema):
    id = ma.fields.String(required=True)
    at = ma.fields.String(required=True, metadata={"format": "date-time"})
    recipient = ma.fields.Nested(PartySchema, required=True)
    recipient_role = ma.fields.String(required=True, metadata={
        "description": "partner | delegate | verifier | staff | enterprise_member | provincial_platform"})
    action = ma.fields.String(required=True)
    object_type = ma.fields.String(allow_none=True)
    object_id = ma.fields.String(allow_none=True)
    licence_type = ma.fields.String(allow_none=True)
    fields = ma.fields.List(ma.fields.String(), required=True, metadata={"description": "Which of your data it received"})
    basis = ma.fields.Nested(BasisSchema, allow_none=True, required=True,
                             metadata={"description": "The consent, grant or presentation it received them under"})


class GrantGivenSchema(ma.Schema):
    id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True)
    grantee = ma.fields.Nested(PartySchema, required=True)
    scopes = ma.fields.List(ma.fields.String(), required=True)
    purpose = ma.fields.String(required=True)
    status = ma.fields.String(required=True)
    created_at = ma.fields.String(required=True)
    expires_at = ma.fields.String(required=True)
    revoked_at = ma.fields.String(allow_none=True)


class CollectionItemSchema(ma.Schema):
    category = ma.fields.String(required=True)
    items = ma.fields.List(ma.fields.String(), required=True)
    purpose = ma.fields.String(required=True)
    feature = ma.fields.String(required=True)
    required = ma.fields.Boolean(required=True)
    sensitive = ma.fields.Boolean(required=True)
    retention = ma.fields.String(required=True)
    shared_with = ma.fields.List(ma.fields.String(), required=True)


CollectionListSchema = page_of(CollectionItemSchema, "CollectionListSchema", cursor=False)


class DataSharingArgsSchema(ma.Schema):
    limit = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = ma.fields.String(validate=validate.Length(min=1, max=26))


class DataSharingSchema(ma.Schema):
    disclosures = ma.fields.List(ma.fields.Nested(DisclosureSchema), required=True,
                                 metadata={"description": "Newest first; page with next_cursor"})
    next_cursor = ma.fields.String(allow_none=True, required=True)
    grants = ma.fields.List(ma.fields.Nested(GrantGivenSchema), required=True,
                            metadata={"description": "Every consent and grant you gave, whatever its status"})
    collection_list = ma.fields.List(ma.fields.Nested(CollectionItemSchema), required=True)


class DeletionRequestSchema(ma.Schema):
    id = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": "cooling_off | cancelled | completed"})
    requested_at = UtcDateTime(required=True)
    effective_at = UtcDateTime(required=True, metadata={
        "description": "When the cooling-off period ends and the account is deleted"})
    cancelled_at = UtcDateTime(allow_none=True)
    completed_at = UtcDateTime(allow_none=True)


class BlockerSchema(ma.Schema):
    class Meta:
        unknown = ma.INCLUDE

    code = ma.fields.String(required=True, metadata={
        "description": "payment_unfinished | refund_in_progress | application_in_progress | signing_request_pending "
                       "| legal_representative_of_enterprise"})
    object_type = ma.fields.String(required=True)
    object_id = ma.fields.String(required=True)
    message = ma.fields.String(required=True)


class DeletionStatusSchema(ma.Schema):
    request = ma.fields.Nested(DeletionRequestSchema, allow_none=True, required=True)
    blockers = ma.fields.List(ma.fields.Nested(BlockerSchema), required=True,
                              metadata={"description": "What must finish before a deletion can be requested"})
    cooling_off_days = ma.fields.Integer(required=True)


class DataExportSchema(ma.Schema):
    id = ma.fields.String(required=True)
    status = ma.fields.String(required=True, validate=one_of(EXPORT_STATUSES),
                              metadata={"description": "queued | building | ready | failed | expired"})
    progress = ma.fields.Integer(required=True, metadata={"description": "Percent built"})
    created_at = UtcDateTime(required=True)
    ready_at = UtcDateTime(allow_none=True)
    expires_at = UtcDateTime(allow_none=True, metadata={"description": "The download link works until then"})
    confirmed = IsSet(attribute="confirmed_at", required=True,
                      metadata={"description": "Confirmed by SMS code: downloads work"})
    size_bytes = ma.fields.Integer(allow_none=True)
    sha256 = ma.fields.String(allow_none=True, attribute="archive_sha256")
    download_url = ma.fields.String(allow_none=True, metadata={
        "description": "GET it with your access token once confirmed (a ZIP)"})


DataExportListSchema = page_of(DataExportSchema, "DataExportListSchema", cursor=False)


class ExportConfirmationSchema(StrictSchema):
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"), metadata={
        "description": "A step_up code (POST /api/v1/auth/sms-codes with purpose step_up)"})
