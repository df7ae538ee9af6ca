"""The migrations are the schema: they match the models and go down and up cleanly."""

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from nanhaitong import models  # noqa: F401  (fills Base.metadata)
from nanhaitong.config import normalize_database_url
from nanhaitong.db import Base
from nanhaitong.migrations.runner import alembic_config


def test_models_match_migrations(database_url):
    engine = create_engine(normalize_database_url(database_url))
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        differences = compare_metadata(context, Base.metadata)
    engine.dispose()
    assert differences == [], "models and migrations differ: run `flask db revision -m ...`"


def test_downgrade_to_base_and_upgrade_again(database_url):
    url = normalize_database_url(database_url)
    command.downgrade(alembic_config(url), "base")
    engine = create_engine(url)
    assert set(inspect(engine).get_table_names()) <= {"alembic_version"}
    command.upgrade(alembic_config(url), "head")
    assert "audit_events" in inspect(engine).get_table_names()
    engine.dispose()
