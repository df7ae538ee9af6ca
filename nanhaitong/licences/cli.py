"""`flask licences notify-expiring`: run daily (cron or Celery beat) to warn holders."""

import click
from flask.cli import AppGroup

licences_cli = AppGroup("licences", help="E-licence jobs.")


@licences_cli.command("notify-expiring")
def notify_expiring():
    """Text each holder once about licences expiring within 30 days."""
    from . import service  # here, not above: `flask licences --help` stays light (nanhaitong.cli_lazy)

    click.echo(f"notified {service.notify_expiring()} licence(s)")
