"""Serves Swagger UI's files from the installed swagger-ui-bundle package.

The docs page must work offline (no CDN): flask-smorest's /docs page loads its scripts
from here (OPENAPI_SWAGGER_UI_URL).
"""

from flask import Blueprint, send_from_directory
from swagger_ui_bundle import swagger_ui_path

blp = Blueprint("docs_assets", __name__)


@blp.route("/docs/assets/<path:filename>")
def asset(filename: str):
    return send_from_directory(swagger_ui_path, filename, max_age=86400)
