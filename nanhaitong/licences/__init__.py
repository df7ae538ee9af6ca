"""E-licences: the wallet pulled from the provincial library, presentations by QR, verification."""

from flask import Flask


def init_app(app: Flask, api) -> None:
    from .routes import blp, verification_blp

    api.register_blueprint(blp)
    api.register_blueprint(verification_blp)


# -- public face for privacy (issue 23) ---------------------------------------------------

def presentations_of(user_id: str) -> list[dict]:
    from .personal_data import presentations_of as made

    return made(user_id)


def licence_types(ids) -> dict[str, str]:
    from .personal_data import licence_types as types

    return types(ids)


def export_personal_data(user_id: str) -> dict:
    from .personal_data import export

    return export(user_id)


def erase_personal_data(user_id: str) -> dict:
    from .personal_data import erase

    return erase(user_id)
