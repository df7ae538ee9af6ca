"""One SQLAlchemy engine per database URL per test process instead of one per app.

An engine keeps the SQL it compiled for each statement shape (its compiled cache); the
suite builds an app, so an engine, per test, and every test compiled the same
statements afresh (a ninth of a test's CPU). Here ``nanhaitong.db.make_engine`` hands
back the engine it made for the same URL before, so the cache lives as long as the
process. The SQLite tests' databases sit at one path per process for the same reason
(tests/conftest.py: the file is copied from the template again for every test).

What a test may not share: connections, and what it hooked onto the engine. ``release``,
at the end of every test, disposes of the engine's pool (nothing holds the old
database file or an old server session afterwards) and forgets an engine that now has
more or fewer event listeners than ``make_engine`` gave it (a test's own
``event.listen``), so the next test gets a new one.

Tests only: the application makes one engine per process.
"""

from __future__ import annotations

from sqlalchemy.engine import Engine

import nanhaitong.db

_engines: dict[str, tuple[Engine, tuple[int, ...]]] = {}


def _listeners(engine: Engine) -> tuple[int, ...]:
    return tuple(len(getattr(dispatch, name))
                 for dispatch in (engine.dispatch, engine.pool.dispatch)
                 for name in dispatch._event_names)


def _in_memory(url: str) -> bool:
    return url.startswith("sqlite") and (url.partition("://")[2] in ("", "/") or ":memory:" in url
                                         or "mode=memory" in url)


def install() -> None:
    if getattr(nanhaitong.db.make_engine, "memoized", False):
        return
    make_engine = nanhaitong.db.make_engine

    def memoized(url: str) -> Engine:
        if _in_memory(url):
            return make_engine(url)  # its database lives in its connections: never shared
        known = _engines.get(url)
        if known is None:
            engine = make_engine(url)
            known = _engines[url] = (engine, _listeners(engine))
        return known[0]

    memoized.memoized = True
    memoized.__wrapped__ = make_engine
    nanhaitong.db.make_engine = memoized


def release(url: str) -> None:
    """End of a test on ``url``: no connection of the engine's left open, and an engine a
    test added listeners to (or removed its own from) forgotten."""
    known = _engines.get(url)
    if known is None:
        return
    engine, listeners = known
    engine.dispose()
    if _listeners(engine) != listeners:
        del _engines[url]


def release_all() -> None:
    for url in list(_engines):
        release(url)
