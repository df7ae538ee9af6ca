"""E-signatures over the API: the esign path, the step-up code texted to a signer, envelopes
signed by each party and the notices they leave in the signers' inboxes."""

from __future__ import annotations

import io
import re

import requests

from .citizens import Citizen
from .messages import inbox

ESIGN = "/api/v1/esign"


def esign_code(citizen: Citizen) -> str:
    """The newest code texted to the citizen (the esign step-up code after a signing request)."""
    answer = requests.get(f"{citizen.app.config['SANDBOX_URL']}/sms/messages", timeout=5,
                          params={"phone": citizen.phone})
    answer.raise_for_status()
    return re.search(r"验证码(?:为)?(\d{6})", answer.json()["messages"][0]["text"]).group(1)


def sign_envelope(citizen, envelope_id: str, certificate_id: str) -> dict:
    asked = citizen.post(f"{ESIGN}/envelopes/{envelope_id}/sign", json={"certificate_id": certificate_id})
    assert asked.status_code == 202, asked.get_json()
    confirmed = citizen.post(f"{ESIGN}/signing-requests/{asked.get_json()['id']}/confirm",
                             json={"code": esign_code(citizen)})
    assert confirmed.status_code == 200, confirmed.get_json()
    return confirmed.get_json()


def notices(citizen, envelope_id: str, kind: str) -> list[dict]:
    return [m for m in inbox(citizen) if m["data"].get("envelope_id") == envelope_id and m["data"]["kind"] == kind]


def issue(citizen: Citizen, kind: str = "personal", **extra) -> dict:
    answer = citizen.post(f"{ESIGN}/certificates", json={"kind": kind, **extra})
    assert answer.status_code == 201, answer.get_json()
    return answer.get_json()


def request_signing(citizen: Citizen, certificate_id: str, document: bytes | None = None, **form):
    data = {"certificate_id": certificate_id, **{k: str(v) for k, v in form.items()}}
    if document is not None:
        data["file"] = (io.BytesIO(document), "contract.pdf")
    return citizen.post(f"{ESIGN}/signing-requests", data=data)


def sign(citizen: Citizen, certificate_id: str, document: bytes | None = None, **form) -> tuple[dict, bytes]:
    """Ask, confirm with the texted code, download: (the request, the signed PDF)."""
    asked = request_signing(citizen, certificate_id, document, **form)
    assert asked.status_code == 202, asked.get_json()
    assert asked.get_json()["status"] == "pending_confirmation"
    confirmed = citizen.post(f"{ESIGN}/signing-requests/{asked.get_json()['id']}/confirm",
                             json={"code": esign_code(citizen)})
    assert confirmed.status_code == 200, confirmed.get_json()
    assert confirmed.get_json()["status"] == "signed"
    document = citizen.get(f"{ESIGN}/signing-requests/{asked.get_json()['id']}/document")
    assert document.status_code == 200 and document.mimetype == "application/pdf"
    return confirmed.get_json(), document.data
