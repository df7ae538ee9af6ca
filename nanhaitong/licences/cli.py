"""`flask licences notify-expiring`: run daily (cron or Celery beat) to warn holders."""

import click
from flask.cli import AppGroup

from . import service

licences_cli = AppGroup("licences", help="E-licence jobs.")


@licences_cli.command("notify-expiring")
def notify_expiring():
    """Text each holder once about licences expiring within 30 days."""
    click.echo(f"notified {service.notify_expiring()} licence(s)")
