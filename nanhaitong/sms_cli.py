"""`flask sms register-templates`: register every SMS template with the gateway.

The templates are imported inside the command: `flask sms --help` stays light
(nanhaitong.cli_lazy).
"""

from __future__ import annotations

import click
from flask import current_app
from flask.cli import AppGroup

sms_cli = AppGroup("sms", help="SMS templates registered with the gateway.")


@sms_cli.command("register-templates")
def register_templates_command():
    """Register every template with the SMS gateway (the sandbox's template API)."""
    import requests

    from .sms_templates import TEMPLATES, registered_text

    cfg = current_app.config
    base = cfg.get("SMS_BASE_URL") or cfg["SANDBOX_URL"]
    for name in TEMPLATES:
        answer = requests.post(f"{base.rstrip('/')}/sms/v1/templates", timeout=10,
                               json={"name": name, "text": registered_text(name)},
                               headers={"X-Api-Key": cfg["SMS_API_KEY"]})
        answer.raise_for_status()
        click.echo(f"registered {name}")
