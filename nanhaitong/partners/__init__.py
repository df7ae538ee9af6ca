"""Partner platforms: the registry, OAuth 2 / OpenID Connect with consent, the partner API
(/open/v1), signed requests and webhooks. See docs/partners.md."""

from flask import Flask


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
        app.config["SESSION_COOKIE_SECURE"] = True
    from ..identity import directory
    from .registry import display_name

    directory.PARTY_LABELS["partner"] = display_name
    oauth.init_app(app)
    for blp in (oauth_blp, discovery_blp, open_blp, admin_blp):
        api.register_blueprint(blp)
    app.register_blueprint(consent_blp)
    app.after_request(webhooks.send_after_request)
