"""Health probes answer for the process (live) and its dependencies (ready)."""


def test_live(client):
    response = client.get("/health/live")
    assert response.status_code == 200 and response.get_json()["status"] == "ok"


def test_ready_checks_database_and_redis(client, app):
    response = client.get("/health/ready")
    assert response.status_code == 200
    checks = response.get_json()["checks"]
    assert checks["database"] == "ok"
    assert checks["redis"] == ("ok" if app.config["REDIS_URL"] else "disabled")


def test_ready_is_503_when_database_is_down(make_app, tmp_path):
    app = make_app(DATABASE_URL=f"sqlite:///{tmp_path}/missing-dir/x.db")
    response = app.test_client().get("/health/ready")
    assert response.status_code == 503
    body = response.get_json()
    assert body["code"] == "not_ready" and body["details"]["checks"]["database"] == "down"


def test_ready_is_503_when_redis_is_down(make_app):
    app = make_app(REDIS_URL="redis://127.0.0.1:1/0")
    response = app.test_client().get("/health/ready")
    assert response.status_code == 503
    assert response.get_json()["details"]["checks"]["redis"] == "down"
