"""Partner platforms over HTTP: OAuth endpoints, discovery, the partner API, the admin registry."""

from __future__ import annotations

import json

from flask import Response, current_app, g
from flask.views import MethodView

from schemas.common import Page, With
from schemas.gov_services import CatalogueArgsSchema, ServiceItemListSchema
from schemas.licences import LicenceListSchema, VerificationSchema
from schemas.partners import (
    DeliveryListArgsSchema,
    DeliveryListSchema,
    DeliverySchema,
    OAuthErrorSchema,
    OpenLicenceListArgsSchema,
    OpenVerificationRequestSchema,
    PartnerCreateSchema,
    PartnerListArgsSchema,
    PartnerListSchema,
    PartnerSchema,
    PartnerUpdateSchema,
    SubscriptionCreateSchema,
    SubscriptionListSchema,
    SubscriptionSchema,
    SubscriptionUpdateSchema,
    UserInfoSchema,
)

from ..api import Blueprint
from ..errors import error_body
from . import admin, oauth, oauth_errors, oauth_grants, registry, service, signatures

oauth_blp = Blueprint("oauth", __name__, url_prefix="/oauth",
                      description="OAuth 2.0 / OpenID Connect for partner platforms (RFC 6749, 7636, 7009, 7523).")
discovery_blp = Blueprint("oidc_discovery", __name__, url_prefix="/.well-known",
                          description="OpenID Connect discovery.")
open_blp = Blueprint("open_api", __name__, url_prefix="/open/v1",
                     description="The partner API: a user's data under their consent, and partner-only checks. "
                                 "Scopes are enforced on every call; per-partner rate limits and daily quotas "
                                 "answer 429 with Retry-After.")
admin_blp = Blueprint("admin_partners", __name__, url_prefix="/api/v1/admin/partners",
                      description="The partner registry, for operators.")

_FORM = "application/x-www-form-urlencoded"
_TOKEN_DOC = {
    "requestBody": {"required": True, "content": {_FORM: {
        "schema": {"type": "object", "required": ["grant_type"], "properties": {
            "grant_type": {"type": "string", "enum": ["authorization_code", "client_credentials", "refresh_token"]},
            "refresh_token": {"type": "string", "description": "With grant_type refresh_token (offline_access): "
                                                               "single use, the answer carries the next one"},
            "code": {"type": "string"}, "redirect_uri": {"type": "string"},
            "code_verifier": {"type": "string", "description": "PKCE (S256): required with a code"},
            "scope": {"type": "string", "example": "licences:verify"},
            "client_assertion_type": {"type": "string",
                                      "example": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"},
            "client_assertion": {"type": "string", "description": "private_key_jwt: an ES256 JWT (iss = sub = "
                                                                  "client_id, aud = the token endpoint, jti once)"},
        }},
        "examples": {
            "authorization_code": {"value": {"grant_type": "authorization_code", "code": "Wk4Xb...",
                                             "redirect_uri": "https://bank.example.com/cb",
                                             "code_verifier": "dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk"}},
            "client_credentials": {"value": {"grant_type": "client_credentials", "scope": "licences:verify"}},
        }}}},
    "responses": {"200": {"description": "Tokens", "content": {"application/json": {"schema": {
        "type": "object", "properties": {
            "access_token": {"type": "string"}, "token_type": {"type": "string", "example": "Bearer"},
            "expires_in": {"type": "integer", "example": 900}, "scope": {"type": "string"},
            "id_token": {"type": "string", "description": "With scope openid: ES256, pairwise sub"}}}}}},
    },
}


def _oauth_answer(response: Response) -> Response:
    """Authlib's RFC 6749 error body gains our error shape's keys (RFC 6749 clients read
    ``error``; everything else reads ``code``)."""
    if response.status_code >= 400 and response.mimetype == "application/json":
        body = json.loads(response.get_data() or b"{}")
        error = body.get("error", "invalid_request")
        # error_description: English in RFC 6749's ASCII, for OAuth libraries; message: the
        # same in the reader's language, for people (docs/decisions/0002).
        description = body.get("error_description")
        text = oauth_errors.describe(error, description)
        merged = {**body, "error_description": oauth_errors.ascii_description(error, description),
                  **error_body(response.status_code, error, text)}
        response.set_data(json.dumps(merged, ensure_ascii=False))
    return response


@oauth_blp.route("/token")
class Token(MethodView):
    @oauth_blp.public
    @oauth_blp.doc(**_TOKEN_DOC)
    @oauth_blp.alt_response(400, schema=OAuthErrorSchema, description="RFC 6749 error, e.g. invalid_grant")
    @oauth_blp.alt_response(401, schema=OAuthErrorSchema, description="invalid_client")
    def post(self):
        """Exchange an authorization code (PKCE S256) or client credentials for tokens.

        Authenticate the client with HTTP Basic (`client_secret_basic`) or a signed
        assertion (`private_key_jwt`, ES256), whichever it was registered with.
        """
        return _oauth_answer(oauth.token_response())


@oauth_blp.route("/revoke")
class Revoke(MethodView):
    @oauth_blp.public
    @oauth_blp.doc(requestBody={"required": True, "content": {_FORM: {"schema": {
        "type": "object", "required": ["token"], "properties": {
            "token": {"type": "string"}, "token_type_hint": {"type": "string", "example": "access_token"}}}}}},
        responses={"200": {"description": "Revoked, or not a token of this client (RFC 7009)"}})
    @oauth_blp.alt_response(400, schema=OAuthErrorSchema, description="RFC 6749 error")
    @oauth_blp.alt_response(401, schema=OAuthErrorSchema, description="invalid_client")
    def post(self):
        """Revoke an access token (RFC 7009); the client authenticates as at the token endpoint."""
        return _oauth_answer(oauth.revocation_response())


@discovery_blp.route("/openid-configuration")
class OpenIdConfiguration(MethodView):
    @discovery_blp.public
    @discovery_blp.doc(responses={"200": {"description": "OpenID Provider Metadata",
                                          "content": {"application/json": {"schema": {"type": "object"}}}}})
    def get(self):
        """OpenID Connect discovery: endpoints, scopes, algorithms, client authentication methods."""
        base = current_app.config["PUBLIC_URL"]  # never the request's Host
        return current_app.response_class(json.dumps({
            "issuer": current_app.config["ISSUER"],
            "authorization_endpoint": f"{base}/oauth/authorize",
            "token_endpoint": f"{base}/oauth/token",
            "revocation_endpoint": f"{base}/oauth/revoke",
            "userinfo_endpoint": f"{base}/open/v1/userinfo",
            "jwks_uri": f"{base}/.well-known/jwks.json",
            "scopes_supported": list(registry.ALL_SCOPES),
            "response_types_supported": ["code"],
            "response_modes_supported": ["query"],
            "grant_types_supported": ["authorization_code", "client_credentials", "refresh_token"],
            "subject_types_supported": ["pairwise"],
            "id_token_signing_alg_values_supported": [oauth_grants.ALGORITHM, oauth_grants.SM2_ALGORITHM],  # per registration
            "token_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
            "token_endpoint_auth_signing_alg_values_supported": [oauth_grants.ALGORITHM],
            "revocation_endpoint_auth_methods_supported": ["client_secret_basic", "private_key_jwt"],
            "code_challenge_methods_supported": ["S256"],
            "claims_supported": ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "loa", "name",
                                 "id_number_masked", "phone_masked", "assurance_level"],
            "ui_locales_supported": ["zh-CN"],
        }), mimetype="application/json")


# -- the partner API -----------------------------------------------------------------------

@open_blp.route("/userinfo")
class UserInfo(MethodView):
    @open_blp.partner_required("openid", user=True)
    @open_blp.response(200, UserInfoSchema)
    def get(self):
        """The consenting user: a pairwise `sub`, and with `profile:read` their verified identity
        (name, masked ID number and phone, assurance level). Recorded in the user's access log."""
        call = g.partner_call
        return service.userinfo(g.principal, call.partner, call.scopes)


@open_blp.route("/licences")
class OpenLicences(MethodView):
    @open_blp.partner_required("licences:read", user=True)
    @open_blp.arguments(OpenLicenceListArgsSchema, location="query")
    @open_blp.response(200, LicenceListSchema)
    def get(self, args):
        """The user's e-licences under their consent (masked); each one read is in their access log."""
        return Page(*service.consented_licences(g.principal, type_code=args.get("type_code"), limit=args["limit"],
                                                cursor=args.get("cursor")))


@open_blp.route("/presentation-verifications")
class OpenVerifications(MethodView):
    @open_blp.partner_required("licences:verify", signed_ok=True)
    @open_blp.arguments(OpenVerificationRequestSchema, example={"token": "eyJhbGciOiJFUzI1NiIsImtpZCI6..."})
    @open_blp.response(200, VerificationSchema)
    def post(self, body):
        """Check a licence presentation (from the holder's QR code): authentic, unexpired, unrevoked,
        licence valid. A client-credentials token or a signed request; the holder sees the check."""
        return service.verify_presentation(g.principal, body["token"])


# -- the registry, for operators ------------------------------------------------------------------
# Any staff member's token gets in; ``admin`` asks ``authorize`` (admin:partners.manage, operators).


@open_blp.route("/gov-services")
class OpenGovServices(MethodView):
    @open_blp.partner_required(signed_ok=True)
    @open_blp.arguments(CatalogueArgsSchema, location="query")
    @open_blp.response(200, ServiceItemListSchema)
    def get(self, args):
        """The provincial services catalogue (as /api/v1/gov-services), for any registered partner:
        with a client-credentials token, or as a signed request."""
        return Page(*service.gov_service_catalogue(args))


@admin_blp.route("")
class Partners(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.arguments(PartnerCreateSchema)
    @admin_blp.response(201, PartnerSchema)
    def post(self, body):
        """Register a partner; the answer carries its credentials, shown this once."""
        partner, credentials = admin.register(g.principal, body)
        return With(partner, credentials=credentials)

    @admin_blp.login_required("staff")
    @admin_blp.arguments(PartnerListArgsSchema, location="query")
    @admin_blp.response(200, PartnerListSchema)
    def get(self, args):
        """Registered partners, newest first."""
        items, next_cursor = admin.list_partners(g.principal, limit=args["limit"], cursor=args.get("cursor"))
        return Page(items, next_cursor)


@admin_blp.route("/<ulid:partner_id>")
class PartnerItem(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.response(200, PartnerSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def get(self, partner_id):
        """One partner (no secrets)."""
        return admin.get(g.principal, partner_id)

    @admin_blp.login_required("staff")
    @admin_blp.arguments(PartnerUpdateSchema)
    @admin_blp.response(200, PartnerSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def patch(self, body, partner_id):
        """Change a partner's registration (redirect URIs, scopes, keys, limits, webhook URL)."""
        return admin.update(g.principal, partner_id, body)


@admin_blp.route("/<ulid:partner_id>/rotate-credentials")
class RotateCredentials(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.response(200, PartnerSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def post(self, partner_id):
        """New client secret, HMAC secret and webhook secret; the old ones stop working at once."""
        partner, credentials = admin.rotate(g.principal, partner_id)
        return With(partner, credentials=credentials)


@admin_blp.route("/<ulid:partner_id>/suspend")
class Suspend(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.response(200, PartnerSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def post(self, partner_id):
        """Suspend: its tokens and signatures are refused from the next call, no new tokens."""
        return admin.set_status(g.principal, partner_id, "suspended")


@admin_blp.route("/<ulid:partner_id>/reinstate")
class Reinstate(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.response(200, PartnerSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def post(self, partner_id):
        """Lift a suspension."""
        return admin.set_status(g.principal, partner_id, "active")


@admin_blp.route("/<ulid:partner_id>/webhooks")
class Subscriptions(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.response(200, SubscriptionListSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def get(self, partner_id):
        """The partner's webhook subscriptions."""
        return Page(admin.subscriptions(g.principal, partner_id))

    @admin_blp.login_required("staff")
    @admin_blp.arguments(SubscriptionCreateSchema)
    @admin_blp.response(201, SubscriptionSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def post(self, body, partner_id):
        """Subscribe the partner to events at a URL."""
        return admin.subscribe(g.principal, partner_id, body["url"], body["events"])


@admin_blp.route("/<ulid:partner_id>/webhooks/<ulid:subscription_id>")
class SubscriptionItem(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.arguments(SubscriptionUpdateSchema)
    @admin_blp.response(200, SubscriptionSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def patch(self, body, partner_id, subscription_id):
        """Change a subscription's URL or events, or switch it off (``active`` false) and on."""
        return admin.update_subscription(g.principal, partner_id, subscription_id, body)


@admin_blp.route("/<ulid:partner_id>/webhook-deliveries")
class Deliveries(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.arguments(DeliveryListArgsSchema, location="query")
    @admin_blp.response(200, DeliveryListSchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def get(self, args, partner_id):
        """Deliveries with their attempts, newest first."""
        items, next_cursor = admin.deliveries(g.principal, partner_id, status=args.get("status"),
                                              limit=args["limit"], cursor=args.get("cursor"))
        return Page(items, next_cursor)


@admin_blp.route("/<ulid:partner_id>/webhook-deliveries/<ulid:delivery_id>/replay")
class Replay(MethodView):
    @admin_blp.login_required("staff")
    @admin_blp.response(200, DeliverySchema)
    @admin_blp.alt_response(404, response="NOT_FOUND")
    def post(self, partner_id, delivery_id):
        """Send a delivery again now (whatever its state); the attempt is recorded as a replay."""
        return admin.replay(g.principal, partner_id, delivery_id)


__all__ = ["oauth_blp", "discovery_blp", "open_blp", "admin_blp", "signatures"]
