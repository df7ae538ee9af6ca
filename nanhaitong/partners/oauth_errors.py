"""OAuth errors in the language of the person who reads them (the consent page, token answers).

Authlib's ``error_description`` texts are English sentences written inside the library,
many of them filled in (``'Invalid "redirect_uri" in request.'``); we translate our own
descriptions (raised in ``oauth.py``) and otherwise say what the RFC 6749 / OpenID
``error`` code means, from the catalogue. In English the library's description is kept:
it is the most precise text a developer can get.
"""

from __future__ import annotations

from ..errors import N_
from ..i18n import current_locale, get_translations, translate

# What each error code means, for the person who meets it.
MEANINGS = {
    "invalid_request": N_("The authorization request is missing something or is not valid."),
    "invalid_client": N_("The partner application could not be authenticated."),
    "invalid_grant": N_("The authorization code is not valid, has expired or has been used already."),
    "unauthorized_client": N_("This partner application may not use this kind of authorization."),
    "unsupported_grant_type": N_("This grant type is not supported."),
    "unsupported_response_type": N_("This response type is not supported."),
    "unsupported_token_type": N_("This token type cannot be revoked here."),
    "invalid_scope": N_("The partner asked for data scopes that are not registered for it."),
    "access_denied": N_("The authorization was refused."),
    "server_error": N_("Something went wrong on our side; ask the partner application to try again."),
    "temporarily_unavailable": N_("The authorization service is busy; try again later."),
    "invalid_token": N_("The access token is not valid."),
    "insufficient_scope": N_("The token lacks a scope this operation needs."),
    "login_required": N_("Sign in to continue."),
    "consent_required": N_("Your consent is needed to continue."),
    "interaction_required": N_("Open the authorization page to continue."),
    "account_selection_required": N_("Choose an account to continue."),
    "invalid_request_uri": N_("The authorization request link is not valid."),
    "invalid_request_object": N_("The authorization request object is not valid."),
    "request_not_supported": N_("Authorization request objects are not supported."),
    "request_uri_not_supported": N_("Authorization request links are not supported."),
    "registration_not_supported": N_("Dynamic client registration is not supported."),
}
FALLBACK = N_("The authorization request could not be completed.")


def describe(error: str | None, description: str | None) -> str:
    """The text to show for an OAuth error, in the request's language."""
    if current_locale() == "en":
        return description or MEANINGS.get(error or "", FALLBACK)
    if description and get_translations().gettext(description) != description:
        return translate(description)  # one of ours, translated word for word
    return translate(MEANINGS.get(error or "", FALLBACK))
