"""The e-licence wallet: pulling it from the sandbox licence library and reading it."""

from __future__ import annotations

from .citizens import Citizen

LICENCES = "/api/v1/licences"


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
