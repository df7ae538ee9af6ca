"""`flask audit verify`: check the audit chain; exit status 1 when it is broken."""

import json
import sys

import click
from flask.cli import AppGroup

audit_cli = AppGroup("audit", help="Audit log tools.")


@audit_cli.command("verify")
def verify():
    """Verify the hash chain of the audit log."""
    from . import service  # here, not above: `flask audit --help` stays light (nanhaitong.cli_lazy)

    report = service.verify_chain()
    click.echo(json.dumps(report.as_dict()))
    if not report.ok:
        sys.exit(1)
