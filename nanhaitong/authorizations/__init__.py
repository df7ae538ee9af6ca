"""Authorization management: grants (delegation, staff authority, consent) and the one decision point.

Its public face: ``authorize`` (the one decision, once per operation), ``permitted`` (the
same question for filtering a list), the resource a decision is about, the scope
vocabulary, and recording a use of someone's data in their access log.
"""

from flask import Flask

from .decide import Decision, Resource, authorize, district, live_grant, permitted, record_access
from .scopes import CITIZEN, ENTERPRISE, PARTNER, SCOPES, scopes_of_role

__all__ = ["CITIZEN", "ENTERPRISE", "PARTNER", "SCOPES", "Decision", "Resource", "authorize", "district", "live_grant",
           "permitted", "record_access", "scopes_of_role"]


def init_app(app: Flask, api) -> None:
    from .routes import access_log_blp, admin_access_log_blp, blp

    api.register_blueprint(blp)
    api.register_blueprint(access_log_blp)
    api.register_blueprint(admin_access_log_blp)
