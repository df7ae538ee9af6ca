"""The all-time evaluation tallies' migration sums the ratings already counted per month,
and going down removes only what it added."""

from alembic import command
from sqlalchemy import create_engine, text

from nanhaitong.config import normalize_database_url
from nanhaitong.migrations.runner import alembic_config

MONTHS = [("centre", "guicheng", "2026-10", 5, 3), ("centre", "guicheng", "2026-11", 5, 2),
          ("centre", "guicheng", "2026-11", 1, 1), ("department", "佛山市南海区民政局", "2026-11", 4, 7)]


def _all_time(engine) -> dict:
    with engine.connect() as conn:
        return {(d, k, level): count for d, k, level, count in conn.execute(text(
            "SELECT dimension, key, level, count FROM one_stop_evaluation_tallies WHERE month = 'all'"))}


def test_the_all_time_tallies_are_summed_from_the_months(database_url):
    url = normalize_database_url(database_url)
    engine = create_engine(url)
    try:
        command.downgrade(alembic_config(url), "0012os-1")
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM one_stop_evaluation_tallies"))
            conn.execute(text("INSERT INTO one_stop_evaluation_tallies (dimension, key, month, level, count) "
                              "VALUES (:d, :k, :m, :level, :count)"),
                         [dict(zip(("d", "k", "m", "level", "count"), row)) for row in MONTHS])
        command.upgrade(alembic_config(url), "head")
        assert _all_time(engine) == {("centre", "guicheng", 5): 5, ("centre", "guicheng", 1): 1,
                                     ("department", "佛山市南海区民政局", 4): 7}
        command.downgrade(alembic_config(url), "0012os-1")
        assert _all_time(engine) == {}
        with engine.connect() as conn:
            assert conn.execute(text("SELECT count(*) FROM one_stop_evaluation_tallies")).scalar_one() == len(MONTHS)
    finally:
        command.upgrade(alembic_config(url), "head")
        with engine.begin() as conn:
            conn.execute(text("DELETE FROM one_stop_evaluation_tallies"))
        engine.dispose()
