"""Rate limits refuse in the one error shape with Retry-After, on memory or Redis storage."""

import pytest

from nanhaitong.errors import RateLimited
from nanhaitong.ratelimit import enforce


def test_default_limit_per_client(make_app):
    app = make_app(RATELIMIT_DEFAULT="3 per minute")
    client = app.test_client()
    statuses = [client.get("/openapi.json").status_code for _ in range(4)]
    assert statuses == [200, 200, 200, 429]
    refused = client.get("/openapi.json")
    body = refused.get_json()
    assert body["code"] == "rate_limited" and set(body) == {"code", "message", "details", "request_id"}
    retry_after = int(refused.headers["Retry-After"])
    assert 1 <= retry_after <= 60 and body["details"]["retry_after"] == retry_after


def test_health_probes_are_exempt(make_app):
    client = make_app(RATELIMIT_DEFAULT="2 per minute").test_client()
    assert all(client.get("/health/live").status_code == 200 for _ in range(5))


@pytest.mark.parametrize("path", ["/api/v1/payments/callbacks/wechat", "/api/v1/payments/callbacks/alipay",
                                  "/api/v1/gov-services/callbacks/status"])
def test_upstream_callbacks_are_not_limited_per_client(make_app, path):
    """Gateways call from a few addresses for everyone; the signature is what they are checked by."""
    client = make_app(RATELIMIT_DEFAULT="2 per minute").test_client()
    statuses = [client.post(path, data=b"{}", content_type="application/json").status_code for _ in range(4)]
    assert 429 not in statuses and all(s < 500 for s in statuses), statuses  # Alipay: 200 "fail"


def test_clients_are_counted_separately(make_app):
    client = make_app(RATELIMIT_DEFAULT="1 per minute").test_client()
    assert client.get("/openapi.json", environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 200
    assert client.get("/openapi.json", environ_base={"REMOTE_ADDR": "198.51.100.2"}).status_code == 200
    assert client.get("/openapi.json", environ_base={"REMOTE_ADDR": "198.51.100.1"}).status_code == 429


def test_domain_limit_on_its_own_key(app):
    with app.app_context():
        enforce("2 per hour", "sms", "phone-digest-a")
        enforce("2 per hour", "sms", "phone-digest-a")
        enforce("2 per hour", "sms", "phone-digest-b")
        with pytest.raises(RateLimited) as refused:
            enforce("2 per hour", "sms", "phone-digest-a")
    assert 1 <= int(refused.value.headers["Retry-After"]) <= 3600


def test_limits_are_shared_between_instances_on_redis(make_app, redis_url):
    if not redis_url:
        pytest.skip("needs the Redis backend (make test runs it when Redis answers)")
    first = make_app(RATELIMIT_DEFAULT="2 per minute").test_client()
    second = make_app(RATELIMIT_DEFAULT="2 per minute").test_client()
    assert first.get("/openapi.json").status_code == 200
    assert second.get("/openapi.json").status_code == 200
    assert first.get("/openapi.json").status_code == 429
