"""Provincial high-frequency services through Yueshengshi (粤省事) and Yueshangtong (粤商通).

One catalogue, one way to query, one way to apply and follow an application, whatever
the upstream. See docs/gov_services.md.
"""

from flask import Flask


def init_app(app: Flask, api) -> None:
    from . import jobs  # noqa: F401  (registers the Celery tasks)
    from .routes import admin_blp, applications_blp, blp

    api.register_blueprint(blp)
    api.register_blueprint(applications_blp)
    api.register_blueprint(admin_blp)


def configure_sandbox(app: Flask, sandbox) -> None:
    """Tell the mounted gateway simulators our app keys and where to send status callbacks."""
    for simulator in sandbox.simulators:
        prefix = {"yueshengshi": "YUESHENGSHI", "yueshangtong_gateway": "YUESHANGTONG_GATEWAY"}.get(simulator.name)
        if prefix:
            simulator.configure(app_key=app.config[f"{prefix}_APP_KEY"],
                                callback_url=app.config["GOV_SERVICES_CALLBACK_URL"],
                                callback_secret=app.config[f"{prefix}_CALLBACK_SECRET"])


# -- public face for privacy (issue 23) ---------------------------------------------------

def deletion_blockers(user_id: str) -> list[dict]:
    from .personal_data import blockers

    return blockers(user_id)


def deliveries_of(user_id: str) -> list[dict]:
    from .personal_data import deliveries

    return deliveries(user_id)


def export_personal_data(user_id: str) -> dict:
    from .personal_data import export

    return export(user_id)


def erase_personal_data(user_id: str) -> dict:
    from .personal_data import erase

    return erase(user_id)
