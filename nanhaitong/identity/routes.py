"""Citizen authentication, the account and its sessions (/api/v1/auth, /api/v1/me)."""

from flask import g
from flask.views import MethodView

from schemas.common import Page
from schemas.identity import (
    ActAsSchema,
    AssuranceSchema,
    FaceVerificationSchema,
    IdentityClaimSchema,
    JwksSchema,
    MeSchema,
    PasswordChangeSchema,
    PhoneChangeSchema,
    RealNameSchema,
    SessionListSchema,
    SmsCodeRequestSchema,
    SmsCodeSentSchema,
    TokenPairSchema,
    TokenRequestSchema,
)

from ..api import Blueprint
from . import codes, service, tokens, verification

auth_blp = Blueprint("auth", __name__, url_prefix="/api/v1/auth", description="Sign in, tokens and sign out.")
me_blp = Blueprint("me", __name__, url_prefix="/api/v1/me", description="The signed-in citizen's account.")


@auth_blp.route("/sms-codes")
class SmsCodes(MethodView):
    @auth_blp.public
    @auth_blp.arguments(SmsCodeRequestSchema)
    @auth_blp.response(202, SmsCodeSentSchema)
    @auth_blp.alt_response(429, response="TOO_MANY_REQUESTS", description="Resend too soon or a daily cap reached; see Retry-After.")
    def post(self, body):
        """Send a 6-digit code by SMS.

        The answer is the same whether or not the phone has an account. In the sandbox,
        read the code at `/sandbox/sms/messages?phone=...`.
        """
        return codes.send(body["phone"], body["purpose"])


@auth_blp.route("/tokens")
class Tokens(MethodView):
    @auth_blp.public
    @auth_blp.arguments(TokenRequestSchema)
    @auth_blp.response(200, TokenPairSchema)
    @auth_blp.alt_response(401, response="UNAUTHORIZED", description="Wrong code, password or refresh token.")
    @auth_blp.alt_response(429, response="TOO_MANY_REQUESTS", description="Locked after repeated failures.")
    def post(self, body):
        """Get a token pair: by SMS code (first login creates the account), password, or refresh token.

        Refresh tokens are single use: each refresh returns a new one, and presenting a
        used one ends the whole session.
        """
        grant = body["grant_type"]
        if grant == "sms_code":
            return service.login_with_code(body["phone"], body["code"], body["client"], body.get("agreements"))
        if grant == "password":
            return service.login_with_password(body["phone"], body["password"], body["client"])
        return service.refresh(body["refresh_token"])


@auth_blp.route("/logout")
class Logout(MethodView):
    @auth_blp.login_required("citizen")
    @auth_blp.response(204)
    def post(self):
        """End this session: its refresh token and access tokens stop working at once."""
        service.logout(g.principal)


@auth_blp.route("/act-as")
class ActAs(MethodView):
    @auth_blp.login_required("citizen")
    @auth_blp.arguments(ActAsSchema)
    @auth_blp.response(200, TokenPairSchema)
    @auth_blp.alt_response(404, response="NOT_FOUND", description="No such enterprise or authorization of yours.")
    def post(self, body):
        """Act for an enterprise you belong to, or under an authorization you received.

        Returns a token pair whose subject is the enterprise or the citizen you act for and
        whose `act` claim names you (RFC 8693), with your role or the grant. Every request
        with it is checked against the live membership or grant.
        """
        return service.act_as(g.principal, enterprise_id=body.get("enterprise_id"),
                              authorization_id=body.get("authorization_id"))


@me_blp.route("")
class Me(MethodView):
    @me_blp.login_required("citizen")
    @me_blp.response(200, MeSchema)
    def get(self):
        """Your account, with personal data masked, and your enterprises."""
        return service.profile(g.principal)


@me_blp.route("/sessions")
class Sessions(MethodView):
    @me_blp.login_required("citizen")
    @me_blp.response(200, SessionListSchema)
    def get(self):
        """Your signed-in devices."""
        return Page(service.list_sessions(g.principal))


@me_blp.route("/sessions/<session_id>")
class SessionItem(MethodView):
    @me_blp.login_required("citizen")
    @me_blp.response(204)
    @me_blp.alt_response(404, response="NOT_FOUND")
    def delete(self, session_id):
        """Sign a device out."""
        service.end_session(g.principal, session_id)


@me_blp.route("/password")
class PasswordItem(MethodView):
    @me_blp.login_required("citizen")
    @me_blp.arguments(PasswordChangeSchema)
    @me_blp.response(204)
    def put(self, body):
        """Set or change your password (proved by the current one or a step-up code); other sessions end."""
        service.change_password(g.principal, body["new_password"], body.get("current_password"),
                                body.get("step_up_code"))


@me_blp.route("/phone")
class PhoneItem(MethodView):
    @me_blp.login_required("citizen")
    @me_blp.arguments(PhoneChangeSchema)
    @me_blp.response(200, MeSchema)
    @me_blp.alt_response(409, response="CONFLICT", description="The new phone belongs to another account.")
    def put(self, body):
        """Move your account to a new phone: a step_up code from the current phone and a change_phone code from the new."""
        service.change_phone(g.principal, body["new_phone"], body["new_phone_code"], body["step_up_code"])
        return service.profile(g.principal)


@me_blp.route("/real-name-verification")
class RealName(MethodView):
    @me_blp.login_required("citizen")
    @me_blp.arguments(RealNameSchema)
    @me_blp.response(200, AssuranceSchema)
    @me_blp.alt_response(409, response="CONFLICT",
                         description="`id_number_taken`: the identity (name and number, as the register has "
                                     "them) is verified on another account; claim it at /api/v1/me/identity-claims.")
    def post(self, body):
        """Verify your real name and resident ID number (raises you to assurance level 2).

        The number is checked locally (GB 11643) before the paid verification upstream.
        Every answered attempt counts toward the day's five; a wrong name answers the same
        (422 `verification_failed`) whether the number is free, taken or unknown.
        """
        return verification.verify_real_name(g.principal, body["name"], body["id_number"])


@me_blp.route("/identity-claims")
class IdentityClaim(MethodView):
    @me_blp.login_required("citizen")
    @me_blp.arguments(IdentityClaimSchema)
    @me_blp.response(200, AssuranceSchema)
    @me_blp.alt_response(409, response="CONFLICT", description="`already_verified`: this account has an identity.")
    def post(self, body):
        """Claim your identity from another account with face verification (raises you to level 3).

        For when your ID number is verified on an account that is not yours. The other
        account loses the verification and is told in its inbox.
        """
        return verification.claim_identity(g.principal, body["name"], body["id_number"], body["liveness_token"])


@me_blp.route("/face-verification")
class Face(MethodView):
    @me_blp.login_required("citizen", level=2)
    @me_blp.arguments(FaceVerificationSchema)
    @me_blp.response(200, AssuranceSchema)
    def post(self, body):
        """Verify your face with a liveness token from the face SDK (raises you to level 3). No biometrics are kept."""
        return verification.verify_face(g.principal, body["liveness_token"])


wellknown_blp = Blueprint("wellknown", __name__, url_prefix="/.well-known", description="Published keys.")


@wellknown_blp.route("/jwks.json")
class Jwks(MethodView):
    @wellknown_blp.public
    @wellknown_blp.response(200, JwksSchema)
    def get(self):
        """Public keys that verify our access tokens and presentations (RFC 7517)."""
        return tokens.keyring().jwks()
