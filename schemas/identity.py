"""Identity: SMS codes, tokens, the account, sessions, enterprises and members."""

import re
import unicodedata

import marshmallow as ma
from marshmallow import validate

from .common import IsSet, Masked, StrictSchema, UtcDateTime, page_of
from .identity_numbers import check_resident_id, check_uscc, normalize_resident_id, normalize_uscc

# Mainland mobile numbers: 11 digits, 1[3-9]x; an optional +86/86 prefix is accepted.
_MOBILE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$")
CLIENTS = ("app", "miniprogram")
PASSWORD_RULE = "8 to 64 characters with at least one letter and one digit"


class Phone(ma.fields.String):
    """A mainland mobile number, normalised to its 11 digits."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"pattern": r"^(\+?86)?1[3-9][0-9]{9}$", "example": "13800138001",
                              **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = re.sub(r"[\s-]", "", super()._deserialize(value, attr, data, **kwargs))
        match = _MOBILE.match(text)
        if not match:
            raise ma.ValidationError("Not a mainland China mobile number (11 digits starting 13-19).")
        return match.group(1)


class ResidentIdNumber(ma.fields.String):
    """An 18-character resident ID number, checked by GB 11643 before anything else sees it."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"pattern": r"^[0-9]{17}[0-9Xx]$", "description": (
            "18-character resident ID number; the GB 11643 check digit and date of birth are verified"),
            **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = normalize_resident_id(super()._deserialize(value, attr, data, **kwargs))
        problem = check_resident_id(text)
        if problem:
            raise ma.ValidationError("Not a valid resident ID number: {problem}.".format(problem=problem))
        return text


class Uscc(ma.fields.String):
    """An 18-character unified social credit code, checked by GB 32100."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"pattern": r"^[0-9A-HJ-NPQRTUWXY]{2}[0-9]{6}[0-9A-HJ-NPQRTUWXY]{10}$",
                              "description": "18-character unified social credit code; the GB 32100 check character is verified",
                              **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = normalize_uscc(super()._deserialize(value, attr, data, **kwargs))
        problem = check_uscc(text)
        if problem:
            raise ma.ValidationError("Not a valid unified social credit code: {problem}.".format(problem=problem))
        return text


def _password(**kw):
    return ma.fields.String(validate=validate.Regexp(r"^(?=.*[A-Za-z])(?=.*[0-9]).{8,64}$", error="Use 8 to 64 characters with at least one letter and one digit."),
                    metadata={"description": PASSWORD_RULE}, **kw)


class SmsCodeField(ma.fields.String):
    """Six ASCII digits; full-width digits typed with a Chinese IME are folded to ASCII first."""

    def __init__(self, **kwargs):
        kwargs["metadata"] = {"pattern": "^[0-9]{6}$", **kwargs.get("metadata", {})}
        super().__init__(**kwargs)

    def _deserialize(self, value, attr, data, **kwargs):
        text = unicodedata.normalize("NFKC", super()._deserialize(value, attr, data, **kwargs))
        if not re.fullmatch(r"[0-9]{6}", text):
            raise ma.ValidationError("The code is 6 digits.")
        return text


def _code(**kw):
    return SmsCodeField(**kw)


class SmsCodeRequestSchema(StrictSchema):
    phone = Phone(required=True, metadata={"example": "13800138001"})
    purpose = ma.fields.String(required=True, validate=validate.OneOf(("login", "step_up", "change_phone")))


class SmsCodeSentSchema(ma.Schema):
    sent = ma.fields.Boolean(required=True)
    expires_in = ma.fields.Integer(required=True, metadata={"description": "Seconds the code stays valid"})
    resend_after = ma.fields.Integer(required=True, metadata={"description": "Seconds before another code may be asked for"})


class TokenRequestSchema(StrictSchema):
    """One of three grants; the fields each needs are checked after the grant is known."""

    grant_type = ma.fields.String(required=True, validate=validate.OneOf(("sms_code", "password", "refresh_token")))
    phone = Phone()
    code = _code()
    password = ma.fields.String(validate=validate.Length(min=1, max=128))
    client = ma.fields.String(validate=validate.OneOf(CLIENTS),
                              metadata={"description": "app or miniprogram: the access token's audience"})
    refresh_token = ma.fields.String(validate=validate.Length(min=1, max=200))
    agreements = ma.fields.List(ma.fields.Nested(lambda: AgreedVersionSchema()), validate=validate.Length(max=10),
                                metadata={"description": "sms_code: the terms and privacy-policy versions the person "
                                          "agreed to (GET /api/v1/legal-documents); a new account needs every current one"})

    _NEEDS = {"sms_code": ("phone", "code", "client"), "password": ("phone", "password", "client"),
              "refresh_token": ("refresh_token",)}

    @ma.validates_schema
    def _fields_for_grant(self, data, **kwargs):
        needed = self._NEEDS.get(data.get("grant_type"), ())
        missing = {name: ["Missing data for required field."] for name in needed if name not in data}
        if missing:
            raise ma.ValidationError(missing)


class AgreedVersionSchema(StrictSchema):
    kind = ma.fields.String(required=True, validate=validate.OneOf(("terms", "privacy_policy")))
    version = ma.fields.Integer(required=True, validate=validate.Range(min=1))


class TokenPairSchema(ma.Schema):
    access_token = ma.fields.String(required=True)
    refresh_token = ma.fields.String(required=True)
    token_type = ma.fields.String(required=True, metadata={"example": "Bearer"})
    expires_in = ma.fields.Integer(required=True, metadata={"description": "Access token lifetime in seconds"})


class ActAsSchema(StrictSchema):
    enterprise_id = ma.fields.String(validate=validate.Length(min=1, max=26),
                                     metadata={"description": "Act for an enterprise you are a member of"})
    authorization_id = ma.fields.String(validate=validate.Length(min=1, max=26),
                                        metadata={"description": "Act under a grant you received"})

    @ma.validates_schema
    def _exactly_one(self, data, **kwargs):
        if ("enterprise_id" in data) == ("authorization_id" in data):
            raise ma.ValidationError("Give exactly one of enterprise_id or authorization_id.", "enterprise_id")


class MembershipSchema(ma.Schema):
    id = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    uscc = ma.fields.String(required=True)
    role = ma.fields.String(required=True)


class MeSchema(ma.Schema):
    """Serialises identity's profile: ``{user, enterprises, acting_for}``."""

    id = ma.fields.String(attribute="user.id", required=True)
    phone = Masked("phone", attribute="user.phone", required=True,
                   metadata={"description": "Masked, e.g. 138****8001"})
    assurance_level = ma.fields.Integer(
        attribute="user.assurance_level", required=True,
        metadata={"description": "1 phone verified, 2 real-name verified, 3 face verified"})
    real_name = Masked("name", attribute="user.real_name", allow_none=True, required=True,
                       metadata={"description": "Masked"})
    id_number = Masked("id_number", attribute="user.id_number", allow_none=True, required=True,
                       metadata={"description": "Masked"})
    has_password = IsSet(attribute="user.password_hash", required=True)
    created_at = UtcDateTime(attribute="user.created_at", required=True)
    enterprises = ma.fields.List(ma.fields.Nested(MembershipSchema), required=True)
    acting_for = ma.fields.String(allow_none=True, required=True,
                                  metadata={"description": "Enterprise id when the token acts for one"})


class SessionSchema(ma.Schema):
    id = ma.fields.String(required=True)
    client = ma.fields.String(attribute="audience", required=True)
    enterprise_id = ma.fields.String(allow_none=True, required=True)
    created_at = UtcDateTime(required=True)
    last_seen_at = UtcDateTime(required=True)
    expires_at = UtcDateTime(required=True)
    user_agent = ma.fields.String(allow_none=True, required=True)
    current = ma.fields.Boolean(required=True)


SessionListSchema = page_of(SessionSchema, "SessionListSchema", key="sessions", cursor=False)


class PasswordChangeSchema(StrictSchema):
    new_password = _password(required=True)
    current_password = ma.fields.String(validate=validate.Length(min=1, max=128),
                                         metadata={"description": "Required when a password is already set (or give step_up_code)"})
    step_up_code = _code(metadata={"description": "A step_up SMS code sent to your phone, instead of current_password"})


class PhoneChangeSchema(StrictSchema):
    new_phone = Phone(required=True)
    new_phone_code = _code(required=True, metadata={"description": "change_phone code sent to the new phone"})
    step_up_code = _code(required=True, metadata={"description": "step_up code sent to the current phone"})


class RealNameSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=validate.Length(min=2, max=30))
    id_number = ResidentIdNumber(required=True, metadata={"example": "11010519491231002X"})


class FaceVerificationSchema(StrictSchema):
    liveness_token = ma.fields.String(required=True, validate=validate.Length(min=1, max=512),
                                      metadata={"description": "From the face SDK (sandbox: POST /sandbox/face/liveness-tokens)"})


class IdentityClaimSchema(StrictSchema):
    name = ma.fields.String(required=True, validate=validate.Length(min=2, max=30))
    id_number = ResidentIdNumber(required=True, metadata={"example": "11010519491231002X"})
    liveness_token = ma.fields.String(required=True, validate=validate.Length(min=1, max=512),
                                      metadata={"description": "From the face SDK, for this ID number"})


class AssuranceSchema(ma.Schema):
    assurance_level = ma.fields.Integer(required=True)


class EnterpriseCreateSchema(StrictSchema):
    uscc = Uscc(required=True, metadata={"example": "91440605MA4UJ2K83Y"})


class EnterpriseSchema(ma.Schema):
    id = ma.fields.String(required=True)
    uscc = ma.fields.String(required=True)
    name = ma.fields.String(required=True)
    industry_code = ma.fields.String(allow_none=True, required=True)
    town = ma.fields.String(allow_none=True, required=True)
    size = ma.fields.String(allow_none=True, required=True)
    registered_on = ma.fields.String(allow_none=True, required=True)
    verified_at = UtcDateTime(required=True)
    role = ma.fields.String(required=True, allow_none=True,
                            metadata={"description": "The caller's role in it; null when acting under its grant"})


EnterpriseListSchema = page_of(EnterpriseSchema, "EnterpriseListSchema", key="enterprises")


class ListArgsSchema(StrictSchema):
    """Keyset pagination of enterprise and member lists."""

    limit = ma.fields.Integer(load_default=50, validate=validate.Range(min=1, max=100),
                              metadata={"description": "Page size, 1 to 100 (default 50)"})
    cursor = ma.fields.String(validate=validate.Length(min=1, max=26),
                              metadata={"description": "`next_cursor` of the previous page"})


class MemberRoles:
    ALL = ("legal_representative", "admin", "handler")
    ASSIGNABLE = ("admin", "handler")


class MemberAddSchema(StrictSchema):
    phone = Phone(metadata={"description": "A registered citizen's phone (or give user_id)"})
    user_id = ma.fields.String(validate=validate.Length(min=1, max=26))
    role = ma.fields.String(required=True, validate=validate.OneOf(
        MemberRoles.ASSIGNABLE, error=("Must be admin or handler: the legal representative comes from the "
                                       "enterprise registry and cannot be given.")))

    @ma.validates_schema
    def _one_grantee(self, data, **kwargs):
        if ("phone" in data) == ("user_id" in data):
            raise ma.ValidationError("Give exactly one of phone or user_id.", "phone")


class MemberSchema(ma.Schema):
    """Serialises a member's user ``With`` its ``role`` and ``added_at``."""

    user_id = ma.fields.String(attribute="id", required=True)
    role = ma.fields.String(required=True, validate=validate.OneOf(MemberRoles.ALL))
    phone = Masked("phone", required=True, metadata={"description": "Masked"})
    real_name = Masked("name", allow_none=True, required=True, metadata={"description": "Masked"})
    added_at = UtcDateTime(required=True)


MemberListSchema = page_of(MemberSchema, "MemberListSchema", key="members")


class StaffTokenRequestSchema(StrictSchema):
    phone = Phone(required=True)
    password = ma.fields.String(required=True, validate=validate.Length(min=1, max=128))
    code = _code(required=True, metadata={"description": "SMS code from POST /api/v1/admin/auth/sms-codes"})


class StaffUnlockRequestSchema(StrictSchema):
    phone = Phone(required=True)
    code = _code(required=True, metadata={"description": "SMS code from POST /api/v1/admin/auth/sms-codes"})


class StaffRefreshRequestSchema(StrictSchema):
    refresh_token = ma.fields.String(required=True, validate=validate.Length(min=1, max=200))


class StaffSmsCodeRequestSchema(StrictSchema):
    phone = Phone(required=True)


class StaffMeSchema(ma.Schema):
    id = ma.fields.String(required=True)
    phone = Masked("phone", required=True, metadata={"description": "Masked"})
    role = ma.fields.String(required=True)


class StaffAuditChainReportSchema(ma.Schema):
    ok = ma.fields.Boolean(required=True, metadata={"description": "True when every link of the chain checks out"})
    events = ma.fields.Integer(required=True, metadata={"description": "Events verified before the first problem"})
    problem = ma.fields.String(allow_none=True, required=True, metadata={
        "description": "missing_event, broken_link, modified_event, missing_head or truncated_chain"})
    seq = ma.fields.Integer(allow_none=True, required=True, metadata={"description": "Sequence number where it breaks"})


class JwkSchema(ma.Schema):
    kty = ma.fields.String(required=True)
    crv = ma.fields.String(required=True)
    x = ma.fields.String(required=True)
    y = ma.fields.String(required=True)
    kid = ma.fields.String(required=True)
    use = ma.fields.String(required=True)
    alg = ma.fields.String(required=True)


class JwksSchema(ma.Schema):
    keys = ma.fields.List(ma.fields.Nested(JwkSchema), required=True)
