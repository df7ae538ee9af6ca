"""E-licences: the wallet, presentations and their verification."""

import marshmallow as ma
from marshmallow import validate

from .common import IsSet, JsonList, Masked, OutputSchema, StrictSchema, UtcDateTime, one_of, page_of
from .identity import SmsCodeField

STATUSES = ("valid", "revoked", "expired")


class LicenceListArgsSchema(ma.Schema):
    type_code = ma.fields.String(validate=validate.Length(min=1, max=40))
    status = ma.fields.String(validate=one_of(STATUSES))
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = ma.fields.String(validate=validate.Length(min=1, max=26))


class LicenceSchema(OutputSchema):
    id = ma.fields.String(required=True)
    code = ma.fields.String(required=True, metadata={"description": "National e-licence identifier"})
    type_code = ma.fields.String(required=True)
    type_name = ma.fields.String(required=True)
    issuer_code = ma.fields.String(required=True)
    issuer_name = ma.fields.String(required=True)
    holder_kind = ma.fields.String(required=True)
    holder_name = Masked("name", required=True, metadata={"description": "Masked unless revealed"})
    number = Masked("middle", keep=(1, 1), required=True, metadata={"description": "Masked unless revealed"})
    fields = ma.fields.Dict(attribute="shown_fields", required=True,
                            metadata={"description": "Sensitive ones masked unless revealed"})
    valid_from = ma.fields.String(allow_none=True, required=True)
    valid_until = ma.fields.String(allow_none=True, required=True)
    status = ma.fields.String(attribute="effective_status", required=True, validate=one_of(STATUSES),
                              metadata={"description": "valid, revoked or expired"})
    fetched_at = UtcDateTime(required=True)
    revealed = ma.fields.Boolean(required=True)


LicenceListSchema = page_of(LicenceSchema, "LicenceListSchema")


class RefusedLicenceSchema(ma.Schema):
    code = ma.fields.String(allow_none=True, required=True)
    reason = ma.fields.String(required=True, metadata={"description": "bad_signature, untrusted_issuer, ..."})


class SyncResultSchema(ma.Schema):
    added = ma.fields.List(ma.fields.String(), required=True)
    updated = ma.fields.List(ma.fields.String(), required=True)
    withdrawn = ma.fields.List(ma.fields.String(), required=True)
    unchanged = ma.fields.List(ma.fields.String(), required=True)
    refused = ma.fields.List(ma.fields.Nested(RefusedLicenceSchema), required=True,
                             metadata={"description": "Entries whose issuer signature did not verify: not stored"})


class RevealSchema(StrictSchema):
    step_up_code = SmsCodeField(required=True, metadata={"description": "A step_up SMS code sent to your phone"})


class PresentationCreateSchema(StrictSchema):
    fields = ma.fields.List(ma.fields.String(validate=validate.Length(min=1, max=40)), required=True,
                            validate=validate.Length(min=1, max=30),
                            metadata={"description": "What to disclose: holder_name, number, or the licence's field names"})
    ttl_seconds = ma.fields.Integer(strict=True, load_default=180, validate=validate.Range(min=30, max=600))


class PresentationSchema(ma.Schema):
    id = ma.fields.String(required=True)
    token = ma.fields.String(required=True, metadata={"description": "Compact JWS; also as QR at .../qr.png and .../qr.svg"})
    disclosed = JsonList(ma.fields.String(), required=True)
    created_at = UtcDateTime(required=True)
    expires_at = UtcDateTime(required=True)
    revoked = IsSet(attribute="revoked_at", required=True)


PresentationListSchema = page_of(PresentationSchema, "PresentationListSchema", cursor=False)


class VerificationRequestSchema(StrictSchema):
    token = ma.fields.String(required=True, validate=validate.Length(min=1, max=8000))


class VerificationSchema(ma.Schema):
    valid = ma.fields.Boolean(required=True)
    reason = ma.fields.String(allow_none=True, required=True, metadata={
        "description": "Why not: bad_signature, expired, revoked, unknown, not_a_presentation, licence_revoked, ..."})
    licence = ma.fields.Dict(metadata={"description": "Type, issuer and validity, when valid"})
    disclosed = ma.fields.Dict(metadata={"description": "Only the fields the holder chose, when valid"})
    expires_at = ma.fields.String()
