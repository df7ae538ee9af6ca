"""Messages: every domain's word to citizens and enterprises, in an inbox and pushed to phones."""

from flask import Flask


def init_app(app: Flask, api) -> None:
    from . import push  # noqa: F401  (its commit hook queues the pushes)
    from .routes import blp, devices_blp

    api.register_blueprint(blp)
    api.register_blueprint(devices_blp)


# -- public face for privacy (issue 23) ---------------------------------------------------

def export_personal_data(user_id: str) -> dict:
    from .personal_data import export

    return export(user_id)


def erase_personal_data(user_id: str) -> dict:
    from .personal_data import erase

    return erase(user_id)
