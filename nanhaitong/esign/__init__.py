"""Electronic signatures and enterprise e-seals: the platform CA and TSA, PAdES signing, verification."""

import logging

from flask import Flask

# pyHanko logs certificate subjects (a signer's real name) in its validation warnings:
# personal data never reaches our logs, so its loggers say nothing. Verification results
# go to the caller instead.
_QUIET = ("pyhanko", "pyhanko_certvalidator")


def init_app(app: Flask, api) -> None:
    from .routes import blp, open_blp

    for name in _QUIET:
        logger = logging.getLogger(name)
        logger.setLevel(logging.CRITICAL + 1)
        logger.propagate = False
    api.register_blueprint(blp)
    api.register_blueprint(open_blp)
