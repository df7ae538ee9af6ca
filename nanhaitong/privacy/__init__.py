"""Personal-information rights (PIPL; GB/T 35273-2020): versioned terms and privacy policy
and the agreements to them, optional consents and their withdrawal, what was shared with
whom, a copy of one's data, account deletion (注销), and guardians' consent for minors.
See docs/privacy.md.

Public face: ``marketing_allowed(user_id)``.
"""

from flask import Flask


def init_app(app: Flask, api) -> None:
    from .. import events
    from . import deletion, jobs, minors, terms  # noqa: F401  (jobs registers the Celery tasks)
    from .routes import admin_documents_blp, collection_blp, documents_blp, me_privacy_blp

    events.citizen_signing_up.connect(terms.on_signing_up)
    events.citizen_signed_in.connect(deletion.on_signed_in)
    checks = app.extensions.setdefault("nht.citizen_checks", [])
    checks.append(terms.require_current_agreement)
    app.extensions.setdefault("nht.authorization_checks", []).append(minors.require_guardian_consent)
    for blp in (documents_blp, admin_documents_blp, collection_blp, me_privacy_blp):
        api.register_blueprint(blp)


def marketing_allowed(user_id: str) -> bool:
    from .consents import marketing_allowed as allowed

    return allowed(user_id)
