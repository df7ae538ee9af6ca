"""The /docs page for the teams who build the apps, in a real headless Chromium: grouped by
caller in Chinese with English, collapsed, with a filter box and the token kept across
reloads, the summaries in Chinese; offline. Screenshots are taken (and kept when
NHT_SCREENSHOT_DIR names a directory)."""

from __future__ import annotations

import re

import pytest

from nanhaitong.docs_assets import GROUPS, SANDBOX, SWAGGER_UI_CONFIG
from tests.support.browser import (
    CHINESE,
    WINDOW,
    RefusingProxy,
    SwaggerDom,
    browser_or_skip,
    keep,
    png_size_and_variety,
    run_chromium,
)

CJK = re.compile(r"[\u4e00-\u9fff]")


def test_the_docs_page_is_configured_for_the_app_teams(client):
    page = client.get("/docs").get_data(as_text=True)
    for setting in ('"docExpansion": "none"', '"filter": true', '"persistAuthorization": true'):
        assert setting in page, setting
    assert SWAGGER_UI_CONFIG["docExpansion"] == "none"
    spec = client.get("/openapi.json").get_json()
    assert [tag["name"] for tag in spec["tags"]] == list(GROUPS)
    used = {tag for item in spec["paths"].values() for op in item.values() if isinstance(op, dict)
            for tag in op.get("tags", [])}
    assert used == set(GROUPS), used  # no operation left by blueprint, no group empty
    sandbox = {path for path, item in spec["paths"].items() for op in item.values()
               if isinstance(op, dict) and op.get("tags") == [SANDBOX]}
    assert {"/sandbox/demo", "/sandbox/sms/messages", "/sandbox/_control/faults"} <= sandbox, sandbox
    assert client.get("/sandbox/demo").status_code == 200  # what the group documents is there
    operations = {(method, path): op for path, item in spec["paths"].items() for method, op in item.items()
                  if method in ("get", "post", "put", "patch", "delete")}
    # Every operation has a summary, in Chinese (an operation without a docstring fails here,
    # one whose docstring is not translated too); so has every longer description.
    assert len(operations) > 200
    assert not [key for key, op in operations.items() if not CJK.search(op.get("summary") or "")]
    described = {key: op["description"] for key, op in operations.items() if op.get("description")}
    assert described and not [key for key, text in described.items() if not CJK.search(text)]
    assert CJK.search(spec["info"]["description"])
    areas = [line for tag in spec["tags"] for line in tag["description"].splitlines() if line.startswith("- **")]
    assert len(areas) > 20 and all(CJK.search(line) for line in areas), [a for a in areas if not CJK.search(a)]
    english = client.get("/openapi.json", headers={"Accept-Language": "en"}).get_json()
    assert english["paths"]["/api/v1/me"]["get"]["summary"] == "Your account, with personal data masked, and your enterprises."
    refresh = english["paths"]["/api/v1/admin/auth/refresh"]["post"]["description"]
    assert refresh.startswith("Refresh tokens are single use")
    assert spec["paths"]["/api/v1/admin/auth/refresh"]["post"]["description"].startswith("刷新令牌只能使用一次")


def test_without_the_sandbox_its_group_documents_nothing(make_app):
    spec = make_app(SANDBOX=False).extensions["nht.api"].spec.to_dict()
    assert not [path for path in spec["paths"] if path.startswith("/sandbox/")]


@pytest.mark.browser
def test_docs_page_in_chinese_in_headless_chromium(app, live_server, tmp_path):
    binary = browser_or_skip()
    proxy = RefusingProxy()
    try:
        url = f"{live_server.url}/docs"
        # Collapsed: the groups are there, in Chinese with English, and no operation is open.
        dumped = run_chromium(binary, proxy, *CHINESE, "--dump-dom", url)
        assert dumped.returncode == 0, dumped.stderr[-2000:]
        dom = SwaggerDom()
        dom.feed(dumped.stdout)
        text = dom.visible_text
        for group in GROUPS:
            assert group in text, (group, text[:500])
        assert "operation-filter-input" in dom.classes, "no filter box"
        assert not dom.paths, f"groups should open collapsed, but these operations show: {sorted(dom.paths)[:5]}"

        # Opened (the same page with ?docExpansion=list): every summary in Chinese.
        opened = run_chromium(binary, proxy, *CHINESE, "--dump-dom", f"{url}?docExpansion=list")
        dom = SwaggerDom()
        dom.feed(opened.stdout)
        spec = app.extensions["nht.api"].spec.to_dict()
        assert set(spec["paths"]) <= dom.paths
        assert "您的账号（个人信息打码）及您的企业。" in dom.visible_text

        for name, page in (("docs.png", url), ("docs-open.png", f"{url}?docExpansion=list")):
            screenshot = tmp_path / name
            shot = run_chromium(binary, proxy, *CHINESE, f"--screenshot={screenshot}", page)
            assert shot.returncode == 0, shot.stderr[-2000:]
            size, variety = png_size_and_variety(screenshot.read_bytes())
            assert size == WINDOW and variety > 16, (name, size, variety)
            keep(screenshot, name)
    finally:
        proxy.close()
