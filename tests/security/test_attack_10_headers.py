"""Finding 10: answers lacked nosniff, HSTS (production), Referrer-Policy and a CSP on HTML."""

from __future__ import annotations

import requests


def _get(live_server, path, **kw):
    return requests.get(f"{live_server.url}{path}", timeout=10, allow_redirects=False, **kw)


def test_every_kind_of_answer_carries_nosniff_and_referrer_policy(app, live_server):
    answers = [
        _get(live_server, "/openapi.json"),                      # JSON
        _get(live_server, "/api/v1/me"),                         # 401 error
        _get(live_server, "/no/such/page"),                      # 404 error
        _get(live_server, "/docs"),                              # HTML
        _get(live_server, "/docs/assets/swagger-ui.css"),        # a static file
        _get(live_server, "/oauth/authorize?client_id=nope"),    # the consent page's error page
        requests.post(f"{live_server.url}/api/v1/auth/tokens", data="{", timeout=10,
                      headers={"Content-Type": "application/json"}),  # malformed JSON
    ]
    for answer in answers:
        assert answer.headers.get("X-Content-Type-Options") == "nosniff", (answer.url, dict(answer.headers))
        assert answer.headers.get("Referrer-Policy") == "no-referrer", (answer.url, dict(answer.headers))
        assert "Strict-Transport-Security" not in answer.headers  # not in development: it would stick


def test_html_pages_carry_a_content_security_policy(app, live_server):
    for path in ("/docs", "/oauth/authorize?client_id=nope"):
        answer = _get(live_server, path)
        assert answer.headers["Content-Type"].startswith("text/html"), path
        csp = answer.headers.get("Content-Security-Policy", "")
        assert "frame-ancestors 'none'" in csp and "base-uri 'none'" in csp, (path, csp)
        assert "default-src 'none'" in csp or "default-src 'self'" in csp, (path, csp)


def test_production_answers_carry_hsts(make_app, live_server):
    make_app(ENV="production", ALLOW_INSECURE=True, PUBLIC_URL=live_server.url)
    for path in ("/openapi.json", "/api/v1/me"):
        answer = _get(live_server, path)
        hsts = answer.headers.get("Strict-Transport-Security", "")
        assert hsts.startswith("max-age=") and int(hsts.split("=")[1].split(";")[0]) >= 15552000, hsts
        assert answer.headers.get("X-Content-Type-Options") == "nosniff"
