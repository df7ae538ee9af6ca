from alembic import context
from sqlalchemy import create_engine

from nanhaitong import models  # noqa: F401  (fills Base.metadata)
from nanhaitong.db import Base

config = context.config


def run_migrations() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        engine = create_engine(config.get_main_option("sqlalchemy.url"))
        with engine.begin() as conn:
            _run(conn)
        engine.dispose()
    else:
        _run(connection)


def _run(connection) -> None:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",  # SQLite alters by copy
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run_migrations()
