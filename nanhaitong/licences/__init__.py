"""E-licences: the wallet pulled from the provincial library, presentations by QR, verification.

Its public face: who holds which licence types (for policy targeting), the licence
statuses, and checking a presented licence (for partners verifying on a user's behalf).
"""

from importlib import import_module

from flask import Flask

# Imported on first use (PEP 562): `flask licences --help` imports this package, where its
# command lives, and must not pay for its services.
_FACE = {"verify_presentation": (".presentations", "verify"), "effective_status": (".service", "effective_status"),
         "enterprise_holders_of": (".service", "enterprise_holders_of"),
         "licence_types_held": (".service", "licence_types_held")}


def __getattr__(name: str):
    if name not in _FACE:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    module, attribute = _FACE[name]
    value = getattr(import_module(module, __name__), attribute)
    globals()[name] = value
    return value

__all__ = ["effective_status", "enterprise_holders_of", "licence_types_held", "verify_presentation"]


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
