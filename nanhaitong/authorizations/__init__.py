"""Authorization management: grants (delegation, staff authority, consent) and the one decision point.

Its public face: ``authorize`` (the one decision, once per operation), ``permitted`` (the
same question for filtering a list), the resource a decision is about, the scope
vocabulary, and recording a use of someone's data in their access log.

For the privacy domain: ``access_entries``, ``grants_given``,
``grants_received``, ``grants_by_id``, ``export_personal_data``, ``erase_personal_data``.
"""

from flask import Flask

from .decide import Decision, Resource, authorize, district, live_grant, permitted, record_access, shared
from .scopes import CITIZEN, ENTERPRISE, PARTNER, SCOPES, scopes_of_role

__all__ = ["CITIZEN", "ENTERPRISE", "PARTNER", "SCOPES", "Decision", "Resource", "authorize", "district", "live_grant",
           "permitted", "record_access", "scopes_of_role", "shared"]


def init_app(app: Flask, api) -> None:
    from .routes import access_log_blp, admin_access_log_blp, blp

    api.register_blueprint(blp)
    api.register_blueprint(access_log_blp)
    api.register_blueprint(admin_access_log_blp)


def access_entries(owner_id: str, **kw) -> list[dict]:
    from .personal_data import access_entries as entries

    return entries(owner_id, **kw)


def grants_given(user_id: str) -> list[dict]:
    from .personal_data import grants_given as given

    return given(user_id)


def grants_received(user_id: str) -> list[dict]:
    from .personal_data import grants_received as received

    return received(user_id)


def grants_by_id(ids) -> dict[str, dict]:
    from .personal_data import grants_by_id as by_id

    return by_id(ids)


def export_personal_data(user_id: str) -> dict:
    from .personal_data import export

    return export(user_id)


def erase_personal_data(user_id: str) -> dict:
    from .personal_data import erase

    return erase(user_id)


def guardians_consenting(minor_id: str) -> list[str]:
    from .personal_data import guardians_consenting as guardians

    return guardians(minor_id)
