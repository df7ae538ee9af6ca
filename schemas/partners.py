"""Partner platforms: the registry (admin), the partner API (/open/v1), webhooks."""

import marshmallow as ma
from marshmallow import validate

from .common import JsonDict, JsonList, StrictSchema, UtcDateTime, one_of, page_of

SCOPE_NAMES = ("openid", "offline_access", "profile:read", "licences:read", "gov_services:query", "licences:verify",
               "esign:envelopes")
EVENT_NAMES = ("application.status_changed", "consent.revoked", "esign.envelope_changed")
PARTNER_STATUSES = ("active", "suspended")
DELIVERY_STATUSES = ("pending", "delivered", "failed")
_RATE = validate.Regexp(r"^\d{1,6} per (second|minute|hour|day)$", error="Like '120 per minute'.")
_URL = validate.Length(min=8, max=500)


class JwkSetField(ma.fields.Dict):
    pass


class PartnerCreateSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=validate.Length(min=1, max=100),
                            metadata={"example": "佛山农商银行"})
    purpose = ma.fields.String(validate=validate.Length(min=1, max=300),
                               metadata={"description": "Shown to users on the consent page",
                                         "example": "开立个人账户时核验身份与营业执照"})
    sector = ma.fields.String(validate=validate.Length(min=1, max=100),
                              metadata={"description": "Pairwise subject sector (default: its own client_id)"})
    redirect_uris = ma.fields.List(ma.fields.String(validate=_URL), required=True,
                                   validate=validate.Length(min=1, max=10),
                                   metadata={"example": ["https://bank.example.com/oauth/callback"]})
    scopes = ma.fields.List(ma.fields.String(validate=validate.OneOf(SCOPE_NAMES)), required=True,
                            validate=validate.Length(min=1), metadata={"example": ["openid", "profile:read"]})
    optional_scopes = ma.fields.List(ma.fields.String(validate=validate.OneOf(SCOPE_NAMES)),
                                     metadata={"description": "Items the user may untick on the consent page"})
    auth_method = ma.fields.String(validate=validate.OneOf(("client_secret_basic", "private_key_jwt")),
                                   load_default="client_secret_basic")
    jwks = JwkSetField(allow_none=True, metadata={"description": "Public ES256 keys for private_key_jwt"})
    jwks_uri = ma.fields.String(allow_none=True, validate=_URL)
    id_token_signed_response_alg = ma.fields.String(
        validate=validate.OneOf(("ES256", "SM2SM3")), load_default="ES256",
        metadata={"description": "How its ID tokens are signed: ES256, or SM2SM3 (SM2 with SM3, see docs/crypto.md)"})
    webhook_url = ma.fields.String(allow_none=True, validate=_URL,
                                   metadata={"description": "Subscribes to every event when given"})
    rate_limit = ma.fields.String(validate=_RATE, metadata={"example": "120 per minute"})
    daily_quota = ma.fields.Integer(validate=validate.Range(min=1, max=10_000_000))


class PartnerUpdateSchema(PartnerCreateSchema):
    class Meta(StrictSchema.Meta):
        pass

    name = ma.fields.String(validate=validate.Length(min=1, max=100))
    redirect_uris = ma.fields.List(ma.fields.String(validate=_URL), validate=validate.Length(min=1, max=10))
    scopes = ma.fields.List(ma.fields.String(validate=validate.OneOf(SCOPE_NAMES)), validate=validate.Length(min=1))
    auth_method = ma.fields.String(validate=validate.OneOf(("client_secret_basic", "private_key_jwt")))
    id_token_signed_response_alg = ma.fields.String(validate=validate.OneOf(("ES256", "SM2SM3")))


class CredentialsSchema(ma.Schema):
    client_secret = ma.fields.String(required=True)
    hmac_secret = ma.fields.String(required=True, metadata={"description": "Signs X-NHT-Signature"})
    webhook_secret = ma.fields.String(required=True, metadata={"description": "Signs webhook deliveries"})


class _IdTokenAlg(ma.fields.String):
    def _serialize(self, value, attr, obj, **kwargs):
        return value or "ES256"  # what a partner registered before the choice existed signs with


class PartnerSchema(ma.Schema):
    """Serialises a partner; ``With`` its ``credentials`` when they were just made."""

    id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    purpose = ma.fields.String(required=True)
    client_id = ma.fields.String(required=True)
    app_id = ma.fields.String(required=True)
    redirect_uris = JsonList(ma.fields.String(), required=True)
    scopes = JsonList(ma.fields.String(), required=True)
    optional_scopes = JsonList(ma.fields.String(), required=True)
    auth_method = ma.fields.String(required=True)
    id_token_signed_response_alg = _IdTokenAlg(attribute="id_token_alg", required=True)
    jwks = JsonDict(allow_none=True, required=True)
    jwks_uri = ma.fields.String(allow_none=True, required=True)
    webhook_url = ma.fields.String(allow_none=True, required=True)
    rate_limit = ma.fields.String(required=True)
    daily_quota = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, validate=one_of(PARTNER_STATUSES),
                              metadata={"description": "active or suspended"})
    created_at = UtcDateTime(required=True)
    credentials_rotated_at = UtcDateTime(allow_none=True, required=True)
    credentials = ma.fields.Nested(CredentialsSchema, metadata={
        "description": "Only when made (create, rotate): shown once, never again"})


class PartnerListArgsSchema(ma.Schema):
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = ma.fields.String(validate=validate.Length(min=1, max=26))


PartnerListSchema = page_of(PartnerSchema, "PartnerListSchema")


class SubscriptionCreateSchema(StrictSchema):
    url = ma.fields.String(required=True, validate=_URL, metadata={"example": "https://bank.example.com/nht/webhooks"})
    events = ma.fields.List(ma.fields.String(validate=one_of(EVENT_NAMES)), required=True,
                            validate=validate.Length(min=1))


class SubscriptionUpdateSchema(StrictSchema):
    url = ma.fields.String(validate=_URL, metadata={"example": "https://bank.example.com/nht/webhooks"})
    events = ma.fields.List(ma.fields.String(validate=validate.OneOf(EVENT_NAMES)), validate=validate.Length(min=1))
    active = ma.fields.Boolean(metadata={"description": "false: no new deliveries (queued ones are still sent)"})


class SubscriptionSchema(ma.Schema):
    id = ma.fields.String(required=True)
    url = ma.fields.String(required=True)
    events = JsonList(ma.fields.String(), required=True)
    active = ma.fields.Boolean(required=True)
    created_at = UtcDateTime(required=True)


SubscriptionListSchema = page_of(SubscriptionSchema, "SubscriptionListSchema", cursor=False)


class AttemptSchema(ma.Schema):
    at = UtcDateTime(required=True)
    status_code = ma.fields.Integer(allow_none=True, required=True)
    error = ma.fields.String(allow_none=True, required=True)
    duration_ms = ma.fields.Integer(required=True)
    replay = ma.fields.Boolean(required=True)


class _WhilePending(UtcDateTime):
    def _serialize(self, value, attr, obj, **kwargs):
        return super()._serialize(value, attr, obj, **kwargs) if obj.status == "pending" else None


class DeliverySchema(ma.Schema):
    """Serialises a delivery ``With`` its ``attempt_log``."""

    id = ma.fields.String(required=True)
    event = ma.fields.String(required=True, validate=one_of(EVENT_NAMES))
    status = ma.fields.String(required=True, validate=one_of(DELIVERY_STATUSES),
                              metadata={"description": "pending, delivered or failed"})
    attempts = ma.fields.Integer(required=True)
    next_attempt_at = _WhilePending(allow_none=True, required=True)
    last_status_code = ma.fields.Integer(allow_none=True, required=True)
    last_error = ma.fields.String(allow_none=True, required=True)
    created_at = UtcDateTime(required=True)
    delivered_at = UtcDateTime(allow_none=True, required=True)
    payload = JsonDict(required=True)
    attempt_log = ma.fields.List(ma.fields.Nested(AttemptSchema), required=True)


class DeliveryListArgsSchema(PartnerListArgsSchema):
    status = ma.fields.String(validate=one_of(DELIVERY_STATUSES))


DeliveryListSchema = page_of(DeliverySchema, "DeliveryListSchema")


# -- the partner API ----------------------------------------------------------------------

class UserInfoSchema(ma.Schema):
    sub = ma.fields.String(required=True, metadata={
        "description": "Pairwise subject: stable for you, different for every other partner",
        "example": "3q2-7wQe9mR0y0mS2k3Xo8h8s1Zb0m2dV3b7yQe1u4A"})
    name = ma.fields.String(allow_none=True, metadata={"description": "Verified real name (profile:read)",
                                                       "example": "李晓明"})
    id_number_masked = ma.fields.String(allow_none=True, metadata={"example": "4****************X"})
    phone_masked = ma.fields.String(metadata={"example": "138****8001"})
    assurance_level = ma.fields.Integer(metadata={"description": "1 phone, 2 real name, 3 face", "example": 2})


class OpenLicenceListArgsSchema(ma.Schema):
    type_code = ma.fields.String(validate=validate.Length(min=1, max=40))
    limit = ma.fields.Integer(load_default=20, validate=validate.Range(min=1, max=100))
    cursor = ma.fields.String(validate=validate.Length(min=1, max=26))


class OpenVerificationRequestSchema(StrictSchema):
    token = ma.fields.String(required=True, validate=validate.Length(min=10, max=8000),
                             metadata={"description": "The presentation token read from the holder's QR code"})


class OAuthErrorSchema(ma.Schema):
    """RFC 6749 error fields (what OAuth libraries read) plus our error shape's keys."""

    error = ma.fields.String(required=True, metadata={"example": "invalid_grant"})
    error_description = ma.fields.String(metadata={
        "example": "Invalid 'code' in request.",
        "description": "English in RFC 6749's ASCII, for OAuth libraries; show people `message`"})
    code = ma.fields.String(required=True, metadata={"description": "The same as error", "example": "invalid_grant"})
    message = ma.fields.String(required=True)
    details = ma.fields.Dict(required=True)
    request_id = ma.fields.String(required=True)
