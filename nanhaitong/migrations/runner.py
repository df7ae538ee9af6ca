"""Run Alembic from code and from `flask db ...`, with the app's database URL."""

from __future__ import annotations

from pathlib import Path

import click
from flask import current_app
from flask.cli import AppGroup

# Alembic is imported where it is used: `flask db --help` stays light (nanhaitong.cli_lazy).
HERE = Path(__file__).parent


def alembic_config(url: str):
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


def upgrade(url: str, revision: str = "head") -> None:
    from alembic import command

    command.upgrade(alembic_config(url), revision)


db_cli = AppGroup("db", help="Database migrations (Alembic).")


@db_cli.command("upgrade")
@click.argument("revision", default="head")
def upgrade_command(revision):
    """Migrate the database up to REVISION (default: head)."""
    upgrade(current_app.config["DATABASE_URL"], revision)
    click.echo(f"database at {revision}")


@db_cli.command("downgrade")
@click.argument("revision")
def downgrade_command(revision):
    """Migrate the database down to REVISION."""
    from alembic import command

    command.downgrade(alembic_config(current_app.config["DATABASE_URL"]), revision)


@db_cli.command("revision")
@click.option("-m", "--message", required=True)
@click.option("--autogenerate/--empty", default=True)
def revision_command(message, autogenerate):
    """Create a migration from the difference between models and database."""
    from alembic import command

    command.revision(alembic_config(current_app.config["DATABASE_URL"]), message=message,
                     autogenerate=autogenerate)


@db_cli.command("current")
def current_command():
    """Show the database's revision."""
    from alembic import command

    command.current(alembic_config(current_app.config["DATABASE_URL"]))
