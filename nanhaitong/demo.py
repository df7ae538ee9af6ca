"""`flask demo seed`: what `make run` adds so a newcomer can try every feature.

Citizens and enterprises need no seeding: they sign in with the sandbox's demo phones
(GET /sandbox/demo) and are verified against its simulators. Staff accounts cannot be
made from the API, so the embedded mode gets one per role, with a known password.
It refuses to run without the sandbox, so no production database ever gets them.
"""

from __future__ import annotations

import json

import click
from flask import current_app
from flask.cli import AppGroup

DEMO_STAFF_PASSWORD = "Nanhai-demo-2026"
DEMO_STAFF = {  # phone -> role
    "13900000001": "operator",
    "13900000002": "policy_editor",
    "13900000003": "payments_ops",
    "13900000004": "auditor",
}

demo_cli = AppGroup("demo", help="Demo data for the embedded (sandbox) mode.")


@demo_cli.command("seed")
def seed():
    """Create the demo staff accounts, the terms and privacy policy a sign-up agrees to,
    the catalogue, policies and one-stop matters that do not exist yet (idempotent)."""
    if not current_app.config["SANDBOX"]:
        raise click.ClickException("demo data is only for the sandbox mode (NHT_SANDBOX=1)")
    from .identity import staff  # here, not above: `flask demo --help` stays light (nanhaitong.cli_lazy)

    created = []
    for phone, role in DEMO_STAFF.items():
        if staff.find_by_phone(phone) is None:
            staff.create(phone, role, DEMO_STAFF_PASSWORD, actor="system:demo-seed")
            created.append(role)
    from .gov_services.service import load_catalogue
    from .one_stop.demo import seed_bundles, seed_matters
    from .policy_push.demo import seed_policies
    from .privacy.demo import seed_legal_documents

    catalogue = load_catalogue(actor="system:demo-seed")
    legal_documents = seed_legal_documents()
    policies = seed_policies()
    one_stop_matters = seed_matters()
    one_stop_bundles = seed_bundles()
    click.echo(json.dumps({"staff_created": created, "staff_password": DEMO_STAFF_PASSWORD,
                           "staff_phones": DEMO_STAFF, "gov_services_catalogue": catalogue,
                           "policies_published": policies, "legal_documents_published": legal_documents,
                           "one_stop_matters_added": one_stop_matters, "one_stop_bundles_added": one_stop_bundles}, ensure_ascii=False))
