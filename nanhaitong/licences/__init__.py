"""E-licences: the wallet pulled from the provincial library, presentations by QR, verification.

Its public face: who holds which licence types (for policy targeting), the licence
statuses, and checking a presented licence (for partners verifying on a user's behalf).
"""

from flask import Flask

from .presentations import verify as verify_presentation
from .service import effective_status, enterprise_holders_of, licence_types_held

__all__ = ["effective_status", "enterprise_holders_of", "licence_types_held", "verify_presentation"]


def init_app(app: Flask, api) -> None:
    from .routes import blp, verification_blp

    api.register_blueprint(blp)
    api.register_blueprint(verification_blp)
