"""What an envelope's signers read: the inbox message and the SMS come from one registered
template per purpose (never a free-text notice), say the same words, and give the
deadline in China Standard Time as people read it."""

from __future__ import annotations

import base64
import re

import requests

from tests.support.esign import ESIGN, notices

from .conftest import clean_pdf

CHINA_TIME = re.compile(r"\d{4}年\d{1,2}月\d{1,2}日 \d{2}:\d{2}")


def _texts(app, phone: str) -> list[dict]:
    answer = requests.get(f"{app.config['SANDBOX_URL']}/sms/messages", params={"phone": phone}, timeout=5)
    answer.raise_for_status()
    return answer.json()["messages"]


def test_an_invitation_and_a_decline_by_inbox_and_sms_from_their_templates(li, chen):
    made = li.post(f"{ESIGN}/envelopes", json={
        "title": "房屋租赁合同", "file_name": "lease.pdf", "document_base64": base64.b64encode(clean_pdf()).decode(),
        "routing": "parallel", "signers": [{"role": "citizen", "phone": chen.phone},
                                           {"role": "citizen", "phone": li.phone}]})
    assert made.status_code == 201, made.get_json()
    envelope = made.get_json()

    [invited] = notices(chen, envelope["id"], "esign_invitation")
    assert invited["title"] == "请签署文件"
    assert invited["body"].startswith("您收到《房屋租赁合同》的签署邀请，请在") and CHINA_TIME.search(invited["body"])
    [texted] = [m for m in _texts(li.app, chen.phone) if m["template"] == "esign_invitation"]
    assert texted["text"] == "【南海通】" + invited["body"]
    assert texted["params"]["title"] == "房屋租赁合同"

    assert chen.post(f"{ESIGN}/envelopes/{envelope['id']}/decline",
                     json={"reason": "租金条款有误"}).status_code == 200
    [told] = notices(li, envelope["id"], "esign_declined")
    assert (told["title"], told["body"]) == ("签署已终止", "《房屋租赁合同》的签署已终止：一位签署人拒绝签署，理由：租金条款有误")
    [declined] = [m for m in _texts(li.app, li.phone) if m["template"] == "esign_declined"]
    assert declined["text"] == "【南海通】" + told["body"]
    assert not [m for m in _texts(li.app, li.phone) + _texts(li.app, chen.phone) if m["template"] == "notice"]
