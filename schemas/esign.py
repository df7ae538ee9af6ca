"""Electronic signatures and e-seals: certificates, seals, signing requests, verification."""

import base64

import marshmallow as ma
from flask_smorest.fields import Upload
from marshmallow import validate

from .common import MASKS, Itself, JsonDict, StrictSchema, UtcDateTime, page_of
from .common import Ulid as ULID
from .identity import SmsCodeField


class OwnerSchema(ma.Schema):
    """The owner_kind and owner_id of the certificate or request it is served ``Itself`` from."""

    kind = ma.fields.String(attribute="owner_kind", required=True, metadata={"description": "citizen or enterprise"})
    id = ma.fields.String(attribute="owner_id", required=True)


class _Subject(ma.fields.String):
    """A seal certificate names an enterprise (public data); a personal one a person, masked."""

    def _serialize(self, value, attr, obj, **kwargs):
        return value if obj.kind == "seal" else f"CN={MASKS['name'](obj.common_name)},C=CN"


class _Base64(ma.fields.String):
    def _serialize(self, value, attr, obj, **kwargs):
        return base64.b64encode(value).decode() if value else None


class _Pem(ma.fields.String):
    """DER bytes in PEM armour (RFC 7468) under ``label``, 64 characters a line."""

    def __init__(self, label: str, **kwargs):
        super().__init__(**kwargs)
        self.label = label

    def _serialize(self, value, attr, obj, **kwargs):
        if not value:
            return None
        encoded = base64.b64encode(value).decode()
        lines = "\n".join(encoded[i:i + 64] for i in range(0, len(encoded), 64))
        return f"-----BEGIN {self.label}-----\n{lines}\n-----END {self.label}-----\n"


class _Saying(ma.fields.String):
    """A fixed text once the value it reads is set (what form a signature takes), else null."""

    def __init__(self, text: str, **kwargs):
        super().__init__(**kwargs)
        self.text = text

    def _serialize(self, value, attr, obj, **kwargs):
        return self.text if value else None


class CertificateCreateSchema(StrictSchema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(("personal", "enterprise_seal")),
                            metadata={"description": "personal: for yourself (level 2); enterprise_seal: for the "
                                                     "enterprise you represent (legal representative)"})
    enterprise_id = ma.fields.String(validate=ULID, metadata={
        "description": "For enterprise_seal with a personal token; defaults to the enterprise you act for"})


class CertificateSchema(ma.Schema):
    id = ma.fields.String(required=True)
    kind = ma.fields.String(required=True, metadata={"description": "personal or seal"})
    owner = Itself(OwnerSchema, required=True)
    serial = ma.fields.String(required=True, metadata={"description": "Serial number, hex"})
    subject = _Subject(required=True, metadata={"description": "RFC 4514; a person's name is masked"})
    status = ma.fields.String(required=True, metadata={"description": "active or revoked"})
    not_before = UtcDateTime(required=True)
    not_after = UtcDateTime(required=True)
    revoked_at = UtcDateTime(allow_none=True, required=True)
    revocation_reason = ma.fields.String(allow_none=True, required=True)
    invalidity_date = UtcDateTime(allow_none=True, required=True)
    replaces_id = ma.fields.String(allow_none=True, required=True, metadata={
        "description": "The certificate this one renewed"})
    certificate_pem = ma.fields.String(required=True, metadata={"description": "The certificate (no private key: "
                                                                               "that never leaves the platform)"})


class CertificateListArgsSchema(ma.Schema):
    enterprise_id = ma.fields.String(validate=ULID)
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = ma.fields.String(validate=validate.Length(min=1, max=26))


CertificateListSchema = page_of(CertificateSchema, "CertificateListSchema")


class CertificateRevokeSchema(StrictSchema):
    reason = ma.fields.String(
        validate=validate.OneOf(("unspecified", "key_compromise", "affiliation_changed", "superseded",
                                 "cessation_of_operation", "privilege_withdrawn")),
        load_default="unspecified", metadata={"description": (
            "RFC 5280 reason. superseded (after a renewal), affiliation_changed, cessation_of_operation, "
            "privilege_withdrawn, unspecified: signatures made before the revocation stay valid. "
            "key_compromise: signatures made from invalidity_date on are invalid (all of them without one)")})
    invalidity_date = ma.fields.AwareDateTime(metadata={
        "description": "key_compromise only: since when the key is known or suspected to be compromised (UTC)"})


class SealFilesSchema(ma.Schema):
    image = Upload(required=True, metadata={"description": "The seal image, PNG, at most 512 KiB, 2000 px a side"})


class SealFormSchema(ma.Schema):
    certificate_id = ma.fields.String(required=True, validate=ULID,
                                      metadata={"description": "The enterprise seal certificate it is bound to"})
    name = ma.fields.String(load_default="公章", validate=validate.Length(min=1, max=60))


class SealSchema(ma.Schema):
    id = ma.fields.String(required=True)
    enterprise_id = ma.fields.String(required=True)
    certificate_id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": "active, or retired (its certificate revoked)"})
    created_at = UtcDateTime(required=True)
    image_png_base64 = _Base64(attribute="image_png", required=True)


class SealListArgsSchema(ma.Schema):
    enterprise_id = ma.fields.String(validate=ULID)


SealListSchema = page_of(SealSchema, "SealListSchema", cursor=False)


class PdfFilesSchema(ma.Schema):
    file = Upload(metadata={"description": "The PDF (not encrypted), at most NHT_ESIGN_MAX_PDF_BYTES (10 MiB)"})


class RequiredPdfFilesSchema(ma.Schema):
    file = Upload(required=True, metadata={"description": "The PDF, at most NHT_ESIGN_MAX_PDF_BYTES (10 MiB)"})


class SigningRequestFormSchema(ma.Schema):
    certificate_id = ma.fields.String(required=True, validate=ULID, metadata={
        "description": "Your personal certificate, or the enterprise's seal certificate"})
    previous_request_id = ma.fields.String(validate=ULID, metadata={
        "description": "Sign the output of this (signed) request instead of an upload: several signers in order"})
    seal_id = ma.fields.String(validate=ULID, metadata={"description": "Seal image for the visible stamp "
                                                                       "(default: the certificate's latest seal)"})
    reason = ma.fields.String(validate=validate.Length(min=1, max=200))
    page = ma.fields.Integer(validate=validate.Range(min=1, max=100000),
                             metadata={"description": "Visible stamp: page, 1-based (give all five or none)"})
    x = ma.fields.Float(validate=validate.Range(min=0, max=14400), metadata={"description": "Lower-left x, points"})
    y = ma.fields.Float(validate=validate.Range(min=0, max=14400), metadata={"description": "Lower-left y, points"})
    width = ma.fields.Float(validate=validate.Range(min=10, max=2000))
    height = ma.fields.Float(validate=validate.Range(min=10, max=2000))

    @ma.validates_schema
    def _stamp_all_or_none(self, data, **_kwargs):
        given = [name for name in ("page", "x", "y", "width", "height") if name in data]
        if given and len(given) != 5:
            raise ma.ValidationError("Give page, x, y, width and height together (or none).", "page")


class SigningRequestSchema(ma.Schema):
    id = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": "pending_confirmation, signed or failed"})
    signer_kind = ma.fields.String(required=True, metadata={"description": "personal or seal"})
    owner = Itself(OwnerSchema, required=True)
    certificate_id = ma.fields.String(required=True)
    seal_id = ma.fields.String(allow_none=True, required=True)
    previous_request_id = ma.fields.String(allow_none=True, required=True)
    file_name = ma.fields.String(required=True)
    document_sha256 = ma.fields.String(required=True)
    signed_sha256 = ma.fields.String(allow_none=True, required=True)
    stamp = JsonDict(allow_none=True, required=True)
    created_at = UtcDateTime(required=True)
    expires_at = UtcDateTime(required=True)
    signed_at = UtcDateTime(allow_none=True, required=True)


class ConfirmSchema(StrictSchema):
    code = SmsCodeField(required=True, metadata={"description": "The esign code texted to the signer"})


class RevocationSchema(ma.Schema):
    status = ma.fields.String(required=True, metadata={
        "description": "good, revoked_after_signing (still valid) or revoked (at the signing time)"})
    reason = ma.fields.String(allow_none=True, required=True)
    revoked_at = ma.fields.String(allow_none=True, required=True)
    invalidity_date = ma.fields.String(allow_none=True, required=True)
    judged_at = ma.fields.String(allow_none=True, required=True, metadata={
        "description": "The trusted time the status is judged at"})
    valid_at_signing = ma.fields.Boolean(required=True)


class LongTermSchema(ma.Schema):
    present = ma.fields.Boolean(required=True, metadata={
        "description": "PAdES B-LTA: validation data in the DSS and a document timestamp over it"})
    dss = ma.fields.Boolean(required=True)
    signer_revocation_data = ma.fields.Boolean(required=True)
    document_timestamp_time = ma.fields.String(allow_none=True, required=True)


class SignatureReportSchema(ma.Schema):
    field_name = ma.fields.String(required=True)
    signer = ma.fields.String(required=True, metadata={"description": "Signer certificate subject, RFC 4514"})
    signer_name = ma.fields.String(allow_none=True, required=True)
    issuer = ma.fields.String(required=True)
    certificate_serial = ma.fields.String(required=True)
    intact = ma.fields.Boolean(required=True, metadata={"description": "The signed bytes are unchanged"})
    signer_identified = ma.fields.Boolean(required=True)
    trusted = ma.fields.Boolean(required=True, metadata={"description": "Same as chain_trusted"})
    chain_trusted = ma.fields.Boolean(required=True, metadata={
        "description": "Chain ends at the platform root (at the trusted time)"})
    modified_after_signing = ma.fields.Boolean(required=True, metadata={
        "description": "Changed, or changed later beyond adding signatures"})
    coverage = ma.fields.String(required=True, metadata={"description": "entire_file or entire_revision"})
    signing_time = ma.fields.String(allow_none=True, required=True)
    timestamp_time = ma.fields.String(allow_none=True, required=True, metadata={
        "description": "Time in the RFC 3161 signature timestamp"})
    timestamp_trusted = ma.fields.Boolean(allow_none=True, required=True)
    trusted_time = ma.fields.String(allow_none=True, required=True)
    trusted_time_source = ma.fields.String(allow_none=True, required=True, metadata={
        "description": "signature_timestamp or document_timestamp"})
    revoked = ma.fields.Boolean(allow_none=True, required=True, metadata={
        "description": "On our CRL (now); null for certificates we did not issue"})
    revocation = ma.fields.Nested(RevocationSchema, allow_none=True, required=True)
    long_term = ma.fields.Nested(LongTermSchema, required=True)
    valid = ma.fields.Boolean(required=True, metadata={"description": "verdict == valid"})
    verdict = ma.fields.String(required=True, metadata={"description": "valid, invalid or indeterminate"})
    verdict_code = ma.fields.String(required=True)
    verdict_reason = ma.fields.String(required=True)


class SignatureVerificationSchema(ma.Schema):
    document_sha256 = ma.fields.String(required=True)
    signature_count = ma.fields.Integer(required=True)
    signatures = ma.fields.List(ma.fields.Nested(SignatureReportSchema), required=True)


class DetachedRequestSchema(StrictSchema):
    certificate_id = ma.fields.String(required=True, validate=ULID)
    sha256 = ma.fields.String(required=True, validate=validate.Regexp(r"^[0-9a-fA-F]{64}$",
                                                                      error="64 hex digits (a SHA-256 digest)."))
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=200), metadata={
        "description": "What is signed (a title or file name): the SMS names it"})


class DetachedSignatureSchema(ma.Schema):
    id = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": "pending_confirmation, signed or failed"})
    certificate_id = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    sha256 = ma.fields.String(required=True)
    created_at = UtcDateTime(required=True)
    expires_at = UtcDateTime(required=True)
    signed_at = UtcDateTime(allow_none=True, required=True)
    # The signature (``signature_der``), once made, three ways.
    format = _Saying("CMS SignedData (detached), DER", attribute="signature_der", dump_only=True, allow_none=True,
                     required=True)
    signature_base64 = _Base64(attribute="signature_der", dump_only=True, allow_none=True, required=True, metadata={
        "description": "CMS SignedData, DER, base64 (once signed)"})
    signature_pem = _Pem("CMS", attribute="signature_der", dump_only=True, allow_none=True, required=True)


class CrlArgsSchema(ma.Schema):
    format = ma.fields.String(validate=validate.OneOf(("der", "pem")))


# What a multipart body holds as a whole (form fields and the file), for the documentation:
# the form fields and the files are parsed separately.
class SigningRequestUploadSchema(SigningRequestFormSchema):
    file = Upload(metadata={"description": "The PDF (not encrypted), at most NHT_ESIGN_MAX_PDF_BYTES (10 MiB); "
                                           "omit it when naming previous_request_id"})


class SealUploadSchema(SealFormSchema):
    image = Upload(required=True, metadata={"description": "The seal image, PNG, at most 512 KiB, 2000 px a side"})


class EnvelopeSignerInSchema(StrictSchema):
    role = ma.fields.String(required=True, validate=validate.OneOf(("citizen", "enterprise_seal",
                                                                    "legal_representative")), metadata={
        "description": "citizen: signs for themselves; enterprise_seal: applies the enterprise's seal (a member "
                       "holding esign:seal); legal_representative: signs as the enterprise's legal representative"})
    phone = ma.fields.String(required=True, validate=validate.Regexp(r"^1[3-9]\d{9}$", error="Not a mobile number."),
                             metadata={"description": "The signer's Nanhai-Tong account phone"})
    enterprise_id = ma.fields.String(validate=ULID, metadata={"description": "For enterprise_seal and "
                                                                             "legal_representative"})
    page = ma.fields.Integer(validate=validate.Range(min=1, max=100000))
    x = ma.fields.Float(validate=validate.Range(min=0, max=14400))
    y = ma.fields.Float(validate=validate.Range(min=0, max=14400))
    width = ma.fields.Float(validate=validate.Range(min=10, max=2000))
    height = ma.fields.Float(validate=validate.Range(min=10, max=2000))

    @ma.validates_schema
    def _stamp_all_or_none(self, data, **_kwargs):
        given = [name for name in ("page", "x", "y", "width", "height") if name in data]
        if given and len(given) != 5:
            raise ma.ValidationError("Give page, x, y, width and height together (or none).", "page")


class EnvelopeCreateSchema(StrictSchema):
    title = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))
    file_name = ma.fields.String(load_default="document.pdf", validate=validate.Length(min=1, max=200))
    document_base64 = ma.fields.String(required=True, metadata={"description": "The PDF, base64 (at most "
                                                                              "NHT_ESIGN_MAX_PDF_BYTES decoded)"})
    routing = ma.fields.String(load_default="sequential", validate=validate.OneOf(("sequential", "parallel")))
    signers = ma.fields.List(ma.fields.Nested(EnvelopeSignerInSchema), required=True,
                             validate=validate.Length(min=1, max=20))
    expires_in_hours = ma.fields.Integer(load_default=72, validate=validate.Range(min=1, max=30 * 24))
    message = ma.fields.String(validate=validate.Length(max=500))


class EnvelopeSignerSchema(ma.Schema):
    id = ma.fields.String(required=True)
    position = ma.fields.Integer(required=True)
    role = ma.fields.String(required=True)
    enterprise_id = ma.fields.String(allow_none=True, required=True)
    display = ma.fields.String(required=True, metadata={"description": "Masked name"})
    status = ma.fields.String(required=True, metadata={"description": "waiting, invited, signed or declined"})
    invited_at = UtcDateTime(allow_none=True, required=True)
    signed_at = UtcDateTime(allow_none=True, required=True)
    declined_reason = ma.fields.String(allow_none=True, required=True)


class EnvelopeSchema(ma.Schema):
    """Serialises an envelope ``With`` its current digest and its signers (each ``With`` its display)."""

    id = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    file_name = ma.fields.String(required=True)
    routing = ma.fields.String(required=True)
    status = ma.fields.String(required=True, metadata={"description": "open, completed, declined or expired"})
    document_sha256 = ma.fields.String(required=True, metadata={"description": "The document as uploaded"})
    current_sha256 = ma.fields.String(required=True, metadata={"description": "With the signatures so far"})
    final_sha256 = ma.fields.String(allow_none=True, required=True)
    declined_reason = ma.fields.String(allow_none=True, required=True)
    created_at = UtcDateTime(required=True)
    expires_at = UtcDateTime(required=True)
    completed_at = UtcDateTime(allow_none=True, required=True)
    signers = ma.fields.List(ma.fields.Nested(EnvelopeSignerSchema), required=True)


class EnvelopeSignSchema(StrictSchema):
    certificate_id = ma.fields.String(required=True, validate=ULID, metadata={
        "description": "Your personal certificate, or the enterprise's seal certificate (enterprise_seal)"})


class EnvelopeDeclineSchema(StrictSchema):
    reason = ma.fields.String(required=True, validate=validate.Length(min=1, max=500))


class EnvelopeRemindedSchema(ma.Schema):
    reminded = ma.fields.Integer(required=True)
