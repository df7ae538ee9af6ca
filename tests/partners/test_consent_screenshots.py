"""The consent page in headless Chromium, its error pages included: Chinese, no English
sentence (Authlib's error descriptions are translated), screenshots taken (kept when
NHT_SCREENSHOT_DIR names a directory)."""

from __future__ import annotations

import re
import secrets

import pytest

from tests.support.browser import (
    CHINESE,
    WINDOW,
    RefusingProxy,
    browser_or_skip,
    keep,
    png_size_and_variety,
    run_chromium,
)
from tests.support.partners import authorize_url, oauth_session, register

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}\b")


def _visible_text(html: str) -> str:
    html = re.sub(r"<(style|script|head)[^>]*>.*?</\1>", " ", html, flags=re.S)
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


@pytest.mark.browser
def test_consent_pages_and_their_errors_are_chinese_in_chromium(app, live_server, operator, tmp_path):
    binary = browser_or_skip()
    partner = register(operator)
    session = oauth_session(live_server, partner, scope="openid profile:read licences:read")
    url = authorize_url(live_server, session, secrets.token_urlsafe(48))
    pages = {
        "consent-login.png": (url, "佛山农商银行"),
        "consent-error-unknown-client.png": (url.replace(partner["client_id"], "no-such-client"), "授权请求无效"),
        "consent-error-bad-scope.png": (url.replace("licences%3Aread", "payments%3Apay"), "授权请求无效"),
    }
    proxy = RefusingProxy()
    try:
        for name, (page, expected) in pages.items():
            dumped = run_chromium(binary, proxy, *CHINESE, "--dump-dom", page)
            assert dumped.returncode == 0, dumped.stderr[-2000:]
            text = _visible_text(dumped.stdout)
            assert expected in text, (name, text[:300])
            assert CJK.search(text) and not ENGLISH_SENTENCE.search(text), (name, text)
            screenshot = tmp_path / name
            shot = run_chromium(binary, proxy, *CHINESE, f"--screenshot={screenshot}", page)
            assert shot.returncode == 0, shot.stderr[-2000:]
            size, variety = png_size_and_variety(screenshot.read_bytes())
            assert size == WINDOW and variety > 8, (name, size, variety)
            keep(screenshot, name)
    finally:
        proxy.close()
