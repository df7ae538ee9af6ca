"""Input no field of ours may hold, refused before any view sees it.

PostgreSQL text cannot hold a NUL byte (SQLite can), so a NUL anywhere in the input would
otherwise answer 500 on one backend and pass on the other: in a path it is a 404 (no id
has one), in a query parameter or a JSON string a 422 naming where.
"""

from __future__ import annotations

from flask import Flask, abort, request

from .errors import N_, ValidationFailed

NUL = "\x00"
MESSAGE = N_("Must not contain NUL bytes.")


def _json_paths_with_nul(value, path: str = "body"):
    if isinstance(value, str):
        if NUL in value:
            yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            if NUL in str(key):
                yield path
            yield from _json_paths_with_nul(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from _json_paths_with_nul(item, f"{path}[{index}]")


def refuse_nul_bytes(app: Flask) -> None:
    @app.url_value_preprocessor
    def _path(_endpoint, values):
        if values and any(NUL in str(value) for value in values.values()):
            abort(404)

    @app.before_request
    def _query_and_body():
        fields = {name: [MESSAGE] for name, value in request.args.items(multi=True) if NUL in name + value}
        if request.is_json:
            fields.update({path: [MESSAGE] for path in _json_paths_with_nul(request.get_json(silent=True))})
        if fields:
            raise ValidationFailed(fields)
