"""Benefits without application (免申即享): benefits, offers, confirmation and eligibility."""

import marshmallow as ma
from marshmallow import validate

from ..common import StrictSchema, UtcDateTime, one_of, page_of
from .fields import id_cursor, limit_field

OFFER_STATUSES = ("offered", "confirmed")


class BenefitWriteSchema(StrictSchema):
    policy_id = ma.fields.String(required=True, validate=validate.Length(equal=26),
                                 metadata={"description": "A published policy (policy push)"})
    amount_fen = ma.fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=10**10),
                                   metadata={"description": "What each matching enterprise is granted"})


class BenefitSchema(ma.Schema):
    id = ma.fields.String(required=True)
    policy_id = ma.fields.String(required=True)
    policy_version = ma.fields.Integer(required=True, metadata={"description": "The version last matched"})
    title = ma.fields.String(required=True)
    amount_fen = ma.fields.Integer(required=True)
    offered = ma.fields.Integer(required=True, metadata={"description": "Enterprises offered"})
    confirmed = ma.fields.Integer(required=True)
    new_offers = ma.fields.Integer(metadata={"description": "Offers this request made"})
    created_at = UtcDateTime(required=True)


class BenefitListArgsSchema(ma.Schema):
    limit = limit_field()
    cursor = id_cursor()


BenefitListSchema = page_of(BenefitSchema, "BenefitListSchema")


class DisbursementSchema(ma.Schema):
    id = ma.fields.String(required=True)
    amount_fen = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, metadata={"description": "scheduled: paid to the account on file"})
    created_at = UtcDateTime(required=True)


class BenefitOfferSchema(ma.Schema):
    id = ma.fields.String(required=True)
    benefit_id = ma.fields.String(required=True)
    policy_id = ma.fields.String(required=True)
    title = ma.fields.String(required=True)
    amount_fen = ma.fields.Integer(required=True)
    status = ma.fields.String(required=True, validate=one_of(OFFER_STATUSES),
                              metadata={"description": "offered or confirmed"})
    confirmed_at = UtcDateTime(allow_none=True, required=True)
    disbursement = ma.fields.Nested(DisbursementSchema, allow_none=True, required=True)
    created_at = UtcDateTime(required=True)


BenefitOfferListSchema = page_of(BenefitOfferSchema, "BenefitOfferListSchema", order="Newest first")


class ConfirmOfferSchema(StrictSchema):
    code = ma.fields.String(required=True, validate=validate.Regexp(r"^\d{6}$"),
                            metadata={"description": "The SMS code sent to the confirming member"})


class CodeSentSchema(ma.Schema):
    sent = ma.fields.Boolean(required=True)
    expires_in = ma.fields.Integer(required=True)
    resend_after = ma.fields.Integer(required=True)


class BenefitRuleSchema(ma.Schema):
    rule = ma.fields.String(required=True)
    required = ma.fields.Raw(required=True)
    value = ma.fields.Raw(allow_none=True, required=True)
    matched = ma.fields.Boolean(required=True)
    matched_by = ma.fields.List(ma.fields.String())


class EligibilitySchema(ma.Schema):
    benefit_id = ma.fields.String(required=True)
    matches = ma.fields.Boolean(required=True)
    rules = ma.fields.List(ma.fields.Nested(BenefitRuleSchema), required=True,
                           metadata={"description": "Each targeting rule: what it asks and what the enterprise has"})
    offer_id = ma.fields.String(allow_none=True, required=True)
