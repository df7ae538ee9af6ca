"""The sandbox on a real loopback port, and clients pointed at it."""

from __future__ import annotations

import threading
from typing import Any

import pytest
import requests
from werkzeug.serving import make_server

from integrations.face import FaceVerificationClient
from integrations.http import HttpClient
from integrations.identity_verification import IdentityVerificationClient
from integrations.licence_library import LicenceLibraryClient
from integrations.sandbox import DEFAULT_API_KEYS, create_sandbox_app
from integrations.sms import SmsClient
from integrations.yueshangtong import YueshangtongClient

CONTROL_TIMEOUT = 5

# client class -> the sandbox simulator whose default API key it is given
SIMULATOR_OF: dict[type[HttpClient], str] = {
    SmsClient: "sms",
    IdentityVerificationClient: "idv",
    FaceVerificationClient: "face",
    YueshangtongClient: "yueshangtong",
    LicenceLibraryClient: "licence_library",
}


class RunningSandbox:
    """A sandbox served over HTTP, with the control calls tests make on it."""

    def __init__(self, url: str) -> None:
        self.url = url

    def get(self, path: str, **params: Any) -> requests.Response:
        return requests.get(self.url + path, params=params, timeout=CONTROL_TIMEOUT)

    def add_fault(self, path_prefix: str, *, status: int | None = None, latency_ms: int = 0,
                  times: int = 1) -> dict[str, Any]:
        """Add a fault rule. A request the client gave up on still runs after its
        latency; give a status too when it would change state, or it lands in the
        next test."""
        rule = {"path_prefix": path_prefix, "status": status, "latency_ms": latency_ms, "times": times}
        response = requests.post(self.url + "/_control/faults", json=rule, timeout=CONTROL_TIMEOUT)
        assert response.status_code == 201, response.text
        return response.json()

    def faults(self) -> list[dict[str, Any]]:
        return self.get("/_control/faults").json()["faults"]

    def remaining(self, fault: dict[str, Any]) -> int:
        """Uses left of a fault rule; a spent rule is gone from the list."""
        return next((rule["remaining"] for rule in self.faults() if rule["id"] == fault["id"]), 0)

    def messages(self, phone: str) -> list[dict[str, Any]]:
        response = self.get("/sms/messages", phone=phone)
        assert response.status_code == 200, response.text
        return response.json()["messages"]

    def demo(self) -> dict[str, Any]:
        response = self.get("/demo")
        assert response.status_code == 200, response.text
        return response.json()

    def liveness_token(self, id_number: str, outcome: str = "pass", *,
                       ttl_seconds: float | None = None) -> str:
        """A liveness token, as the face SDK would hand the app one."""
        body: dict[str, Any] = {"id_number": id_number, "outcome": outcome}
        if ttl_seconds is not None:
            body["ttl_seconds"] = ttl_seconds
        response = requests.post(self.url + "/face/liveness-tokens", json=body, timeout=CONTROL_TIMEOUT)
        assert response.status_code == 201, response.text
        return response.json()["liveness_token"]

    def idv_verifications(self) -> int:
        """How many (billed) verifications the IDV simulator has answered since the reset."""
        return self.get("/idv/usage").json()["verifications"]

    def reset(self) -> None:
        response = requests.post(self.url + "/_control/reset", timeout=CONTROL_TIMEOUT)
        assert response.status_code == 204


@pytest.fixture(scope="session")
def sandbox_server():
    server = make_server("127.0.0.1", 0, create_sandbox_app(), threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="sandbox", daemon=True)
    thread.start()
    try:
        yield RunningSandbox(f"http://127.0.0.1:{server.server_port}")
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


@pytest.fixture
def sandbox(sandbox_server):
    """The shared sandbox, emptied of messages and fault rules before and after the test."""
    sandbox_server.reset()
    yield sandbox_server
    sandbox_server.reset()


@pytest.fixture
def make_http_client(sandbox):
    """Build HttpClients on the sandbox; small timeouts and backoff keep fault tests fast."""
    clients: list[HttpClient] = []

    def factory(cls: type[HttpClient] = HttpClient, **overrides: Any) -> Any:
        options: dict[str, Any] = {"timeout": 1.0, "retries": 2, "backoff": 0.01}
        if cls is HttpClient:
            options["upstream"] = "sandbox"
        if cls in SIMULATOR_OF:
            options["api_key"] = DEFAULT_API_KEYS[SIMULATOR_OF[cls]]
        options.update(overrides)
        client = cls(sandbox.url, **options)
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.close()


@pytest.fixture
def make_sms_client(make_http_client):
    def factory(**overrides: Any) -> SmsClient:
        return make_http_client(SmsClient, **overrides)

    return factory


@pytest.fixture
def make_idv_client(make_http_client):
    def factory(**overrides: Any) -> IdentityVerificationClient:
        return make_http_client(IdentityVerificationClient, **overrides)

    return factory


@pytest.fixture
def make_face_client(make_http_client):
    def factory(**overrides: Any) -> FaceVerificationClient:
        return make_http_client(FaceVerificationClient, **overrides)

    return factory


@pytest.fixture
def make_yueshangtong_client(make_http_client):
    def factory(**overrides: Any) -> YueshangtongClient:
        return make_http_client(YueshangtongClient, **overrides)

    return factory


@pytest.fixture
def make_licence_library_client(make_http_client):
    """A LicenceLibraryClient on the sandbox; without trust_anchor_pem it fetches the anchor."""

    def factory(**overrides: Any) -> LicenceLibraryClient:
        return make_http_client(LicenceLibraryClient, **overrides)

    return factory


@pytest.fixture
def serve():
    """Serve any WSGI app on a loopback port for the test; returns its base URL."""
    servers = []

    def start(app: Any) -> str:
        server = make_server("127.0.0.1", 0, app, threaded=True)
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        servers.append((server, thread))
        return f"http://127.0.0.1:{server.server_port}"

    yield start
    for server, thread in servers:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)
