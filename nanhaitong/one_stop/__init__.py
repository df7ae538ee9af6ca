"""One-stop services (一站式服务): the district's matters catalogue (事项) and service centres,
appointments (预约) with check-in and queue numbers, cases (办件) with working-day deadlines,
evaluation (好差评) with follow-ups, bundled life events (一件事一次办) and benefits granted
without application (免申即享).

Public face for other domains: what privacy asks about one person
(``deletion_blockers``, ``export_personal_data``, ``erase_personal_data``, in
personal_data.py); ``init_app`` registers its blueprints and jobs.
"""

from flask import Flask


def init_app(app: Flask, api) -> None:
    from . import jobs  # noqa: F401  (registers the scheduled tasks)
    from .admin_routes import admin_blp
    from .benefit_routes import benefits_blp
    from .routes import blp

    for blueprint in (blp, admin_blp, benefits_blp):
        api.register_blueprint(blueprint)


def deletion_blockers(user_id: str) -> list[dict]:
    from .personal_data import blockers

    return blockers(user_id)


def export_personal_data(user_id: str) -> dict:
    from .personal_data import export

    return export(user_id)


def erase_personal_data(user_id: str) -> dict:
    from .personal_data import erase

    return erase(user_id)
