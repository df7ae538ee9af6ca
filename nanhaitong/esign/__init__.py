"""Electronic signatures and enterprise e-seals: the platform CA and TSA, PAdES signing, verification."""

import logging

from flask import Flask

# pyHanko logs certificate subjects (a signer's real name) in its validation warnings:
# personal data never reaches our logs, so its loggers say nothing. Verification results
# go to the caller instead.
_QUIET = ("pyhanko", "pyhanko_certvalidator")


def init_app(app: Flask, api) -> None:
    from . import envelope_routes, pki_routes  # noqa: F401  (their operations join the blueprints)
    from .routes import blp, open_blp

    for name in _QUIET:
        logger = logging.getLogger(name)
        logger.setLevel(logging.CRITICAL + 1)
        logger.propagate = False
    api.register_blueprint(blp)
    api.register_blueprint(open_blp)


# -- public face for privacy (issue 23) ---------------------------------------------------

def deletion_blockers(user_id: str) -> list[dict]:
    from .personal_data import blockers

    return blockers(user_id)


def signed_documents(user_id: str) -> list[tuple[str, bytes]]:
    from .personal_data import signed_documents as signed

    return signed(user_id)


def export_personal_data(user_id: str) -> dict:
    from .personal_data import export

    return export(user_id)


def erase_personal_data(user_id: str) -> dict:
    from .personal_data import erase

    return erase(user_id)
