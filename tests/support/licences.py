"""The e-licence wallet: pulling it from the sandbox licence library and reading it; presenting
a licence and verifying the presentation; the SMS texts the sandbox gateway delivered."""

from __future__ import annotations

import requests

from .citizens import Citizen

LICENCES = "/api/v1/licences"
VERIFICATIONS = "/api/v1/licence-verifications"


def sync(citizen: Citizen) -> dict:
    answer = citizen.post(f"{LICENCES}/sync")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()


def wallet(citizen: Citizen, query: str = "") -> list[dict]:
    answer = citizen.get(f"{LICENCES}{query}")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]


def by_code(citizen: Citizen, code: str) -> dict:
    [licence] = [item for item in wallet(citizen, "?limit=100") if item["code"] == code]
    return licence


def sandbox(app) -> str:
    return app.config["SANDBOX_URL"]


def sms_messages(app, phone: str) -> list[dict]:
    """Every SMS the sandbox gateway delivered to ``phone`` (template, params, text), newest first."""
    answer = requests.get(f"{sandbox(app)}/sms/messages", params={"phone": phone}, timeout=5)
    answer.raise_for_status()
    return answer.json()["messages"]


def sms_texts(app, phone: str) -> list[str]:
    """Every SMS the sandbox gateway delivered to ``phone``, newest first."""
    return [message["text"] for message in sms_messages(app, phone)]


def present(citizen: Citizen, licence_id: str, fields, ttl_seconds: int = 120) -> dict:
    answer = citizen.post(f"{LICENCES}/{licence_id}/presentations",
                          json={"fields": list(fields), "ttl_seconds": ttl_seconds})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def verify(citizen: Citizen, token: str) -> dict:
    answer = citizen.post(VERIFICATIONS, json={"token": token})
    assert answer.status_code == 200, (answer.status_code, answer.get_json())
    return answer.get_json()
