"""openapi.yaml is what the code generates, and the docs are served offline."""

from pathlib import Path

import yaml

SPEC_FILE = Path(__file__).resolve().parents[2] / "openapi.yaml"
# libyaml's safe loader when PyYAML has it: the same document, read ten times faster.
SAFE_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def test_checked_in_spec_matches_the_code(app):
    generated = app.extensions["nht.api"].spec.to_dict()
    checked_in = yaml.load(SPEC_FILE.read_text(encoding="utf-8"), Loader=SAFE_LOADER)
    assert checked_in == generated, "openapi.yaml is stale: run `make openapi`"


def test_security_schemes_documented(app):
    schemes = app.extensions["nht.api"].spec.to_dict()["components"]["securitySchemes"]
    assert {"citizen", "staff", "partner"} <= set(schemes)


def test_openapi_json_served(client):
    response = client.get("/openapi.json")
    assert response.status_code == 200 and response.get_json()["openapi"].startswith("3.")


def test_docs_page_loads_assets_from_us_not_a_cdn(client):
    page = client.get("/docs").get_data(as_text=True)
    assert "/docs/assets/swagger-ui-bundle.js" in page
    assert "//cdn" not in page and "unpkg" not in page and "jsdelivr" not in page
    for asset in ("swagger-ui-bundle.js", "swagger-ui-standalone-preset.js", "swagger-ui.css"):
        assert client.get(f"/docs/assets/{asset}").status_code == 200


def test_openapi_check_command(runner, tmp_path):
    stale = tmp_path / "openapi.yaml"
    stale.write_text("openapi: 3.1.0\n")
    assert runner.invoke(args=["openapi", "check", str(stale)]).exit_code == 1
    assert runner.invoke(args=["openapi", "write", str(stale)]).exit_code == 0
    assert runner.invoke(args=["openapi", "check", str(stale)]).exit_code == 0
