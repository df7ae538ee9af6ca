"""Input no field of ours may hold, refused before any view sees it.

PostgreSQL text cannot hold a NUL byte (SQLite can), so a NUL anywhere in the input would
otherwise answer 500 on one backend and pass on the other: in a path it is a 404 (no id
has one), in a query parameter or a JSON string a 422 naming where.
"""

from __future__ import annotations

from flask import Flask, abort, request

from .errors import N_, BadRequest, ValidationFailed

NUL = "\x00"
MESSAGE = N_("Must not contain NUL bytes.")
# No body of ours nests deeper than a handful of levels; Python's parser recurses per level
# and a body nested 50,000 deep raised RecursionError (a 500) before any view ran.
MAX_JSON_DEPTH = 64


def json_depth_exceeds(data: bytes, limit: int = MAX_JSON_DEPTH) -> bool:
    """Whether the JSON text ``data`` nests arrays/objects deeper than ``limit``.

    One pass over the bytes without parsing: brackets inside strings do not count. A body
    with no more opening brackets than the limit cannot exceed it (counted in C, at once).
    """
    if data.count(b"[") + data.count(b"{") <= limit:
        return False
    depth = 0
    in_string = escaped = False
    for byte in data:
        if in_string:
            if escaped:
                escaped = False
            elif byte == 0x5C:  # backslash
                escaped = True
            elif byte == 0x22:  # quote
                in_string = False
        elif byte == 0x22:
            in_string = True
        elif byte in (0x5B, 0x7B):  # [ {
            depth += 1
            if depth > limit:
                return True
        elif byte in (0x5D, 0x7D):
            depth -= 1
    return False


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
        # Before any parsing and before authentication (views check credentials themselves).
        if request.is_json and json_depth_exceeds(request.get_data(cache=True)):
            raise BadRequest("The JSON body nests too deeply.", code="json_too_deep",
                             details={"max_depth": MAX_JSON_DEPTH})
        fields = ({name: [MESSAGE] for name, value in request.args.items(multi=True) if NUL in name + value}
                  if request.query_string else {})  # most requests have none: no parse
        if request.is_json:
            fields.update({path: [MESSAGE] for path in _json_paths_with_nul(request.get_json(silent=True))})
        if fields:
            raise ValidationFailed(fields)
