"""The staff console (/console): server-rendered pages in Chinese for operators, policy
editors, payment operators and auditors, calling the domain services directly. The admin
API (/api/v1/admin) does the same work for other clients, under the same rules."""

from flask import Flask


def init_app(app: Flask) -> None:
    from . import audit_pages, one_stop_pages, operator_pages, partner_pages, payment_pages, policy_pages  # noqa: F401  (their pages join the console's blueprint)
    from .routes import blp

    app.register_blueprint(blp)
