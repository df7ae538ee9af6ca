"""The console over plain HTTP: its cookie, CSRF, CSP and role pages (the browser tests walk the journeys)."""

from __future__ import annotations

from tests.support.citizens import LI, verified

from .conftest import console_sign_in, csrf

PAGES = {
    "operator": ["/console/partners", "/console/catalogue", "/console/people", "/console/staff"],
    "policy_editor": ["/console/policies"],
    "payments_ops": ["/console/orders", "/console/refunds", "/console/reconciliation", "/console/stuck"],
    "auditor": ["/console/audit", "/console/audit/verify", "/console/access-log"],
}


def test_the_session_cookie_is_httponly_strict_and_scoped(app, client):
    answer = console_sign_in(app, client, "auditor")
    cookie = answer.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie and "Path=/console" in cookie
    assert "Secure" not in cookie  # test settings; production sets it (below)
    page = client.get("/console/")
    assert page.status_code == 200 and "审计人员" in page.get_data(as_text=True)
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "frame-ancestors 'none'" in csp
    assert page.headers["X-Frame-Options"] == "DENY"


def test_secure_cookie_in_production(make_app, database_url):
    from nanhaitong import create_app

    app = create_app({"ENV": "production", "ALLOW_INSECURE": True, "DATABASE_URL": database_url,
                      "SANDBOX": True, "TESTING": True, "PUBLIC_URL": "https://console.nanhai.example"})
    # Production answers only its public host (issue 21, finding 6).
    cookie = app.test_client().get("/console/login", base_url="https://console.nanhai.example").headers["Set-Cookie"]
    assert "Secure" in cookie and "SameSite=Strict" in cookie and "HttpOnly" in cookie


def test_every_form_needs_its_csrf_token(app, client):
    console_sign_in(app, client, "operator")
    refused = client.post("/console/people", data={"kind": "phone", "value": LI.phone, "reason": "来电咨询"})
    assert refused.status_code == 400 and "表单已过期" in refused.get_data(as_text=True)
    wrong = client.post("/console/people", data={"csrf_token": "x" * 43, "kind": "phone", "value": LI.phone,
                                                 "reason": "来电咨询"})
    assert wrong.status_code == 400
    page = client.get("/console/people").get_data(as_text=True)
    # every form that posts carries the token
    assert page.count('method="post"') == page.count('name="csrf_token"')


def test_a_console_look_up_lands_in_the_citizens_access_log(app, client, sign_in):
    li = verified(sign_in, LI)
    console = app.test_client()
    console_sign_in(app, console, "operator")
    page = console.get("/console/people").get_data(as_text=True)
    answer = console.post("/console/people", data={"csrf_token": csrf(page), "kind": "phone", "value": LI.phone,
                                                   "reason": "窗口办事核对身份"})
    text = answer.get_data(as_text=True)
    assert answer.status_code == 200 and LI.phone[-4:] in text and LI.phone not in text and LI.id_number not in text
    [entry] = [e for e in li.get("/api/v1/me/access-log").get_json()["items"] if e["accessor"]["kind"] == "staff"]
    assert entry["reason"] == "窗口办事核对身份"


def test_each_role_sees_its_pages_and_is_refused_the_others(app, make_app):
    for role, own in PAGES.items():
        client = app.test_client()
        console_sign_in(app, client, role)
        for path in own:
            assert client.get(path).status_code == 200, (role, path)
        for other, pages in PAGES.items():
            if other == role:
                continue
            for path in pages:
                refused = client.get(path)
                assert refused.status_code == 403, (role, path)
                assert "无权访问" in refused.get_data(as_text=True)


def test_signed_out_pages_go_to_the_sign_in_page(client):
    answer = client.get("/console/orders")
    assert answer.status_code == 302 and answer.headers["Location"].endswith("/console/login")


def test_wrong_code_says_so_without_saying_which_factor(app, client):
    from tests.support.staff import create_staff

    create_staff(app, "13900139001", "operator")
    page = client.get("/console/login").get_data(as_text=True)
    answer = client.post("/console/login", data={"csrf_token": csrf(page), "phone": "13900139001",
                                                  "password": "wrong password 1", "code": "000000"})
    assert answer.status_code == 401 and "手机号、密码或验证码有误" in answer.get_data(as_text=True)


def test_the_vendored_htmx_is_the_pinned_release_served_from_our_origin(client):
    import hashlib
    import re
    from pathlib import Path

    static = Path(__file__).resolve().parents[2] / "nanhaitong" / "console" / "static"
    row = next(line for line in (static / "VENDORED.md").read_text().splitlines() if "htmx-2.0.11.min.js" in line)
    pinned = re.search(r"\b[0-9a-f]{64}\b", row).group(0)
    served = client.get("/console/static/htmx-2.0.11.min.js")
    assert served.status_code == 200 and hashlib.sha256(served.data).hexdigest() == pinned
    assert "Zero-Clause BSD" in (static / "htmx-LICENSE.txt").read_text()
    page = client.get("/console/login").get_data(as_text=True)
    assets = re.findall(r'<(?:script|link)[^>]+(?:src|href)="([^"]+)"', page)
    assert "/console/static/htmx-2.0.11.min.js" in assets
    assert all(url.startswith("/console/static/") for url in assets), assets  # no CDN
