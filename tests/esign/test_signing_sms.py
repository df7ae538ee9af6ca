"""The signing code's SMS names the document and the start of its SHA-256, so the signer
knows what the code approves."""

from __future__ import annotations

import hashlib

import requests

from tests.support.documents import make_pdf
from tests.support.esign import issue, request_signing


def test_the_signing_sms_names_the_document_and_its_digest(li):
    certificate = issue(li)
    document = make_pdf()
    asked = request_signing(li, certificate["id"], document)
    assert asked.status_code == 202, asked.get_json()
    answer = requests.get(f"{li.app.config['SANDBOX_URL']}/sms/messages", params={"phone": li.phone}, timeout=5)
    message = answer.json()["messages"][0]
    digest = hashlib.sha256(document).hexdigest()[:8]
    assert message["template"] == "esign_code"
    assert f"《contract.pdf》（文件指纹{digest}）" in message["text"], message["text"]
    assert message["text"].startswith(f"【南海通】验证码{message['params']['code']}，用于签署文件")
