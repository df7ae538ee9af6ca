"""Partner platforms: the registry, OAuth 2 / OpenID Connect with consent, the partner API
(/open/v1), signed requests and webhooks. See docs/partners.md."""

from flask import Flask

# Its public face: the partner registry, its staff operations (admin: authorized, for the
# admin API and the console) and the partner API's operations.
__all__ = ['admin', 'registry', 'service']


def init_app(app: Flask, api) -> None:
    from . import oauth, webhooks  # noqa: F401  (webhooks connects its event receivers)
    from .consent import blp as consent_blp
    from .routes import admin_blp, discovery_blp, oauth_blp, open_blp

    # The consent page's sign-in cookie. Flask defines SESSION_COOKIE_SAMESITE (as None), so a
    # setdefault never applied Lax: set, unless an operator's setting already says Strict.
    if app.config.get("SESSION_COOKIE_SAMESITE") not in ("Lax", "Strict"):
        app.config["SESSION_COOKIE_SAMESITE"] = "Lax"
    app.config["SESSION_COOKIE_HTTPONLY"] = True
    if app.config.get("ENV") == "production":
        app.config["SESSION_COOKIE_SECURE"] = True  # the consent page's sign-in cookie
    from ..identity import register_party_label
    from .auth import authenticate
    from .registry import display_name

    register_party_label("partner", display_name)
    app.extensions["nht.partner_authenticator"] = authenticate
    oauth.init_app(app)
    for blp in (oauth_blp, discovery_blp, open_blp, admin_blp):
        api.register_blueprint(blp)
    app.register_blueprint(consent_blp)
    app.after_request(webhooks.send_after_request)


# -- public face for privacy (issue 23) ---------------------------------------------------

def erase_personal_data(user_id: str) -> dict:
    from .personal_data import erase

    return erase(user_id)


def webhook_disclosures(user_id: str, partner_ids) -> list[dict]:
    from .personal_data import webhook_disclosures as sent

    return sent(user_id, partner_ids)
