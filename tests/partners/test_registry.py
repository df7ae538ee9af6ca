"""The partner registry: the CLI and the admin API, validation, secrets at rest, audit,
and presentation verification by a partner (the holder sees it in their access log)."""

from __future__ import annotations

import json

import requests
from sqlalchemy import text

from nanhaitong import db
from tests.crypto_suite import FIELD_TOKEN_PREFIX
from tests.support.audit import audit_rows
from tests.support.citizens import LI, verified
from tests.support.errors import assert_error
from tests.support.partners import ADMIN, REDIRECT_URI, bearer, client_credentials, register
from tests.support.staff import create_staff, sign_in_staff


def test_cli_create_prints_credentials_that_work(app, runner, live_server):
    result = runner.invoke(args=["partners", "create", "--name", "南海人民医院", "--redirect-uri", REDIRECT_URI,
                                 "--scope", "openid", "--scope", "licences:verify"])
    assert result.exit_code == 0, result.output
    printed = json.loads(result.output)
    for name in ("client_id", "client_secret", "app_id", "hmac_secret", "webhook_secret"):
        assert printed[name], name
    partner = {"client_id": printed["client_id"], "credentials": {"client_secret": printed["client_secret"]}}
    token = client_credentials(live_server, partner)
    assert token["scope"] == "licences:verify"
    assert [e.actor for e in audit_rows(app, "partner.created")] == ["system:cli"]


def test_cli_refuses_bad_input(runner):
    bad_scope = runner.invoke(args=["partners", "create", "--name", "N", "--redirect-uri", REDIRECT_URI,
                                    "--scope", "esign:sign"])
    assert bad_scope.exit_code == 2
    bad_uri = runner.invoke(args=["partners", "create", "--name", "N", "--redirect-uri", "http://bank.example.com/cb",
                                  "--scope", "openid"])
    assert bad_uri.exit_code == 1 and "redirect_uris" in bad_uri.output


def test_secrets_are_shown_once_and_not_stored_in_clear(app, operator):
    partner = register(operator)
    credentials = partner["credentials"]
    shown = operator.get(f"{ADMIN}/{partner['id']}").get_json()
    assert "credentials" not in shown and shown["client_id"] == partner["client_id"]
    listed = operator.get(ADMIN).get_json()
    assert [p["id"] for p in listed["items"]] == [partner["id"]] and listed["next_cursor"] is None
    with app.app_context():
        row = db.session().execute(text("SELECT client_secret_hash, hmac_secret, webhook_secret FROM partners")).one()
    stored = " ".join(row)
    for secret in credentials.values():
        assert secret not in stored
    assert row.hmac_secret.startswith(FIELD_TOKEN_PREFIX) and row.webhook_secret.startswith(FIELD_TOKEN_PREFIX)


def test_admin_validation_is_422_with_fields(operator):
    answer = operator.post(ADMIN, json={"name": "N", "redirect_uris": ["http://bank.example.com/cb"],
                                        "scopes": ["openid"]})
    assert "redirect_uris" in assert_error(answer, 422, "validation_failed")["details"]["fields"]
    answer = operator.post(ADMIN, json={"name": "N", "redirect_uris": [REDIRECT_URI], "scopes": ["openid"],
                                        "auth_method": "private_key_jwt"})
    assert "jwks" in assert_error(answer, 422)["details"]["fields"]
    answer = operator.post(ADMIN, json={"name": "N", "redirect_uris": [REDIRECT_URI], "scopes": ["openid"],
                                        "jwks": {"keys": [{"kty": "oct", "k": "c2VjcmV0"}]}})
    assert "jwks" in assert_error(answer, 422)["details"]["fields"]
    answer = operator.post(ADMIN, json={"name": "N", "redirect_uris": [REDIRECT_URI], "scopes": ["openid"],
                                        "optional_scopes": ["profile:read"]})
    assert "optional_scopes" in assert_error(answer, 422)["details"]["fields"]
    answer = operator.post(ADMIN, json={"name": "N", "redirect_uris": [REDIRECT_URI], "scopes": ["esign:sign"]})
    assert "scopes" in assert_error(answer, 422)["details"]["fields"]
    assert_error(operator.post(ADMIN, json={"name": "N"}), 422)


def test_only_operators_manage_partners(app, client, sign_in):
    create_staff(app, "13900139008", "auditor")
    auditor = sign_in_staff(app, client, "13900139008")
    assert_error(auditor.post(ADMIN, json={"name": "N", "redirect_uris": [REDIRECT_URI], "scopes": ["openid"]}),
                 403, "staff_role_required")
    citizen = sign_in("13800138001")
    assert_error(citizen.get(ADMIN), 401)


def test_update_and_audit(app, operator):
    partner = register(operator)
    answer = operator.client.patch(f"{ADMIN}/{partner['id']}", headers=operator.headers, json={"rate_limit": "10 per minute",
                                                              "redirect_uris": [REDIRECT_URI, "https://b.example/cb"]})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["rate_limit"] == "10 per minute" and len(answer.get_json()["redirect_uris"]) == 2
    assert_error(operator.client.patch(f"{ADMIN}/{partner['id']}", headers=operator.headers, json={"rate_limit": "lots"}), 422)
    operator.post(f"{ADMIN}/{partner['id']}/rotate-credentials")
    operator.post(f"{ADMIN}/{partner['id']}/suspend")
    actions = [e.action for e in audit_rows(app, prefix="partner.")]
    assert actions[:4] == ["partner.created", "partner.updated", "partner.credentials_rotated", "partner.suspended"]


def test_partner_verifies_a_real_presentation_and_the_holder_sees_it(app, live_server, operator, sign_in):
    holder = verified(sign_in, LI)
    assert holder.post("/api/v1/licences/sync").status_code == 200
    licence = holder.get("/api/v1/licences").get_json()["items"][0]
    shown = holder.post(f"/api/v1/licences/{licence['id']}/presentations", json={"fields": ["holder_name"]})
    assert shown.status_code == 201, shown.get_json()
    partner = register(operator)
    token = client_credentials(live_server, partner)
    answer = requests.post(f"{live_server.url}/open/v1/presentation-verifications", timeout=10,
                           json={"token": shown.get_json()["token"]}, headers=bearer(token))
    assert answer.status_code == 200, answer.json()
    assert answer.json()["valid"] is True and answer.json()["disclosed"] == {"holder_name": LI.name}
    log = holder.get("/api/v1/me/access-log").get_json()["items"]
    assert any(e["action"] == "licences:verify" and e["accessor"]["kind"] == "partner"
               and e["accessor"]["id"] == partner["id"] for e in log)
    # A token without licences:verify may not.
    narrow = register(operator, name="无核验权限", scopes=["openid"], optional_scopes=[])
    token = client_credentials(live_server, narrow, scope="")
    answer = requests.post(f"{live_server.url}/open/v1/presentation-verifications", timeout=10,
                           json={"token": shown.get_json()["token"]}, headers=bearer(token))
    assert answer.status_code == 403 and answer.json()["code"] == "insufficient_scope"
