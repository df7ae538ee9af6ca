"""OAuth errors in the language of the person who reads them (the consent page, token answers).

Authlib's ``error_description`` texts are English sentences written inside the library,
many of them filled in (``'Invalid "redirect_uri" in request.'``); we translate our own
descriptions (raised in ``oauth.py``) and otherwise say what the RFC 6749 / OpenID
``error`` code means, from the catalogue. In English the library's description is kept:
it is the most precise text a developer can get.

In a JSON answer (``/oauth/token``, ``/oauth/revoke``) ``error_description`` stays that
English, in the characters RFC 6749 §5.2 allows (``ascii_description``): OAuth libraries
read and log it. The person's language is in ``message``, as in every other error of the
API (docs/decisions/0002-oauth-error-description-language.md).
"""

from __future__ import annotations

import re

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


# RFC 6749 §5.2: error_description = 1*( %x20-21 / %x23-5B / %x5D-7E ): no '"', no '\\'.
_NOT_ALLOWED = re.compile(r'[^\x20\x21\x23-\x5b\x5d-\x7e]')


def ascii_description(error: str | None, description: str | None) -> str:
    """The English description of an OAuth error, in RFC 6749's characters: quotes become
    apostrophes, anything else outside the set (a line break, a non-ASCII letter) a space."""
    text = description or MEANINGS.get(error or "", FALLBACK)
    text = _NOT_ALLOWED.sub(" ", text.replace('"', "'").replace("\\", "/"))
    return " ".join(text.split()) or MEANINGS.get(error or "", FALLBACK)


def describe(error: str | None, description: str | None) -> str:
    """The text to show for an OAuth error, in the request's language."""
    if current_locale() == "en":
        return description or MEANINGS.get(error or "", FALLBACK)
    if description and get_translations().gettext(description) != description:
        return translate(description)  # one of ours, translated word for word
    return translate(MEANINGS.get(error or "", FALLBACK))
