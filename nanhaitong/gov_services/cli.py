"""`flask gov-services catalogue load` and `flask gov-services poll`."""

from __future__ import annotations

import json
from pathlib import Path

import click
from flask.cli import AppGroup

# The service is imported inside the commands: `flask gov-services --help` stays light
# (nanhaitong.cli_lazy).

gov_services_cli = AppGroup("gov-services", help="Provincial services: catalogue and application status.")
catalogue_cli = AppGroup("catalogue", help="The services catalogue.")
gov_services_cli.add_command(catalogue_cli)


@catalogue_cli.command("load")
@click.argument("path", required=False, type=click.Path(exists=True, dir_okay=False, path_type=Path))
def load(path):
    """Create or update the catalogue from PATH (default: the packaged catalogue.json)."""
    from . import service

    click.echo(json.dumps(service.load_catalogue(path)))


@catalogue_cli.command("retire")
@click.argument("code")
def retire(code):
    """Take a service out of the catalogue (its applications are kept)."""
    from . import service

    service.update_item(code, {"status": "retired"}, actor="system:cli")
    click.echo(f"retired {code}")


@gov_services_cli.command("poll")
@click.option("--limit", default=200, show_default=True)
def poll(limit):
    """Deliver queued applications and poll the open ones (fallback for missed callbacks)."""
    from . import service

    click.echo(json.dumps(service.poll(limit=limit)))
