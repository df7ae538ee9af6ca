"""Policy push (企业政策解读推送): policy documents with plain-language interpretations and
targeting rules, public search, per-enterprise matches, and the fan-out of each published
version to the inbox of every matching enterprise. Named so nobody takes it for access
policies (those are nanhaitong.authorizations).

Its public face: the Chinese search tokens (for other catalogues' search) and why an
enterprise does or does not match a version's rules; its service module for the rest.
"""

from flask import Flask

from .rules import document_tokens, explain, query_tokens

__all__ = ["document_tokens", "explain", "query_tokens"]


def init_app(app: Flask, api) -> None:
    from . import fanout  # noqa: F401  (registers the job)
    from .routes import admin_blp, blp, matches_blp

    for blueprint in (blp, admin_blp, matches_blp):
        api.register_blueprint(blueprint)
