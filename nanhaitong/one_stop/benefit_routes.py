"""An enterprise's benefits granted without application (免申即享):
/api/v1/enterprises/{id}/benefit-offers, confirmed in one step with an SMS code."""

from flask import g
from flask.views import MethodView

from schemas.common import Page
from schemas.one_stop import (
    BenefitListArgsSchema,
    BenefitOfferListSchema,
    BenefitOfferSchema,
    CodeSentSchema,
    ConfirmOfferSchema,
    EligibilitySchema,
)

from ..api import Blueprint
from . import benefits
from .served import with_benefit

benefits_blp = Blueprint("one_stop_benefits", __name__, url_prefix="/api/v1/enterprises",
                         description="Benefits granted to an enterprise without application (免申即享): offers, "
                                     "one-step confirmation, disbursement.")


@benefits_blp.route("/<ulid:enterprise_id>/benefit-offers")
class Offers(MethodView):
    @benefits_blp.login_required("citizen")
    @benefits_blp.arguments(BenefitListArgsSchema, location="query")
    @benefits_blp.response(200, BenefitOfferListSchema)
    @benefits_blp.alt_response(404, response="NOT_FOUND")
    def get(self, args, enterprise_id):
        """The benefits offered to the enterprise, newest first, with their disbursement once confirmed."""
        items, next_cursor = benefits.list_offers(g.principal, enterprise_id, limit=args["limit"],
                                                  cursor=args.get("cursor"))
        return Page([with_benefit(o) for o in items], next_cursor)


@benefits_blp.route("/<ulid:enterprise_id>/benefit-offers/<ulid:offer_id>/sms-codes")
class OfferCode(MethodView):
    @benefits_blp.login_required("citizen")
    @benefits_blp.response(200, CodeSentSchema)
    @benefits_blp.alt_response(404, response="NOT_FOUND")
    @benefits_blp.alt_response(409, response="CONFLICT", description="`offer_already_confirmed`")
    def post(self, enterprise_id, offer_id):
        """Text a confirmation code to the legal representative (or the member the enterprise authorised)."""
        return benefits.send_code(g.principal, enterprise_id, offer_id)


@benefits_blp.route("/<ulid:enterprise_id>/benefit-offers/<ulid:offer_id>/confirm")
class OfferConfirm(MethodView):
    @benefits_blp.login_required("citizen")
    @benefits_blp.arguments(ConfirmOfferSchema)
    @benefits_blp.response(200, BenefitOfferSchema)
    @benefits_blp.alt_response(404, response="NOT_FOUND")
    @benefits_blp.alt_response(409, response="CONFLICT", description="`offer_already_confirmed` (once)")
    def post(self, body, enterprise_id, offer_id):
        """Confirm the offer with the SMS code: the disbursement to the account on file is recorded."""
        return with_benefit(benefits.confirm(g.principal, enterprise_id, offer_id, body["code"]))


@benefits_blp.route("/<ulid:enterprise_id>/benefits/<ulid:benefit_id>/eligibility")
class Eligibility(MethodView):
    @benefits_blp.login_required("citizen")
    @benefits_blp.response(200, EligibilitySchema)
    @benefits_blp.alt_response(404, response="NOT_FOUND")
    def get(self, enterprise_id, benefit_id):
        """Whether the enterprise qualifies for a benefit, and why not: each targeting rule, required and held."""
        return benefits.eligibility(g.principal, enterprise_id, benefit_id)
