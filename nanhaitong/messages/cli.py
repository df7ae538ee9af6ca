"""`flask messages ...`: operator commands for the inbox."""

import json

import click
from flask.cli import AppGroup

messages_cli = AppGroup("messages", help="The message inbox and its pushes.")


@messages_cli.command("push-due")
@click.option("--limit", default=500, show_default=True, help="At most this many pushes in one run.")
def push_due(limit: int) -> None:
    """Send the pushes that are owed: after a provider outage, or held through quiet hours."""
    from .push import send_due

    click.echo(json.dumps(send_due(limit)))
