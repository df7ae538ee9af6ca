"""The production gunicorn settings (nanhaitong/gunicorn_config.py)."""

from __future__ import annotations

import gc

from nanhaitong import gunicorn_config


def test_a_worker_takes_the_app_it_built_out_of_full_collections(make_app):
    app = make_app()
    gc.unfreeze()
    try:
        assert any(tracked is app for tracked in gc.get_objects())
        gunicorn_config.post_worker_init(worker=None)
        assert gc.get_freeze_count() > 0
        assert not any(tracked is app for tracked in gc.get_objects())  # no generation walks it any more
        after = []
        assert any(tracked is after for tracked in gc.get_objects())  # what comes later is still collected
    finally:
        gc.unfreeze()
