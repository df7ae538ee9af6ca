"""The consent page's SMS names the partner and the data the code approves; its OAuth
errors read as Chinese, never Authlib's English."""

from __future__ import annotations

import re
import secrets

import requests

from nanhaitong.sms_templates import render
from tests.support.citizens import LI, verified
from tests.support.partners import Browser, authorize_url, code_flow, oauth_session, parse_page, register

CJK = re.compile(r"[\u4e00-\u9fff]")
ENGLISH_SENTENCE = re.compile(r"\b[A-Za-z]{2,}(?: [A-Za-z]{2,}){2,}\b")


def _texts(app, phone):
    answer = requests.get(f"{app.config['SANDBOX_URL']}/sms/messages", params={"phone": phone}, timeout=5)
    answer.raise_for_status()
    return answer.json()["messages"]


def test_the_consent_code_sms_names_the_partner_and_the_data(app, live_server, operator):
    partner = register(operator)
    session = oauth_session(live_server, partner, scope="openid profile:read licences:read")
    url = authorize_url(live_server, session, secrets.token_urlsafe(48))
    browser = Browser(app, live_server)
    page = browser.open(url)
    sent = browser.post(url, csrf_token=parse_page(page.text).value("csrf_token"), action="send_code",
                        phone="13800138009")
    assert sent.status_code == 200, sent.text
    message = _texts(app, "13800138009")[0]
    assert message["template"] == "partner_consent_code"
    code = message["params"]["code"]
    assert message["text"] == render("partner_consent_code", {
        "code": code, "minutes": message["params"]["minutes"], "partner": "佛山农商银行",
        "data": "实名身份信息、电子证照"})
    assert message["text"].startswith(f"【南海通】验证码{code}，用于授权佛山农商银行读取您的实名身份信息、电子证照")


def test_oauth_errors_on_the_consent_page_are_chinese(app, live_server, operator):
    partner = register(operator)
    session = oauth_session(live_server, partner, scope="openid profile:read")
    url = authorize_url(live_server, session, secrets.token_urlsafe(48))
    pages = 0
    for broken in (url.replace("response_type=code", "response_type=token"),  # unsupported_response_type
                   url.replace(partner["client_id"], "no-such-client"),         # invalid_client
                   re.sub(r"code_challenge=[^&]+&?", "", url)):                   # PKCE missing: invalid_request
        # Even a browser asking for English: the page is Chinese, and so is what it says.
        page = requests.get(broken, timeout=10, allow_redirects=False, headers={"Accept-Language": "en"})
        if page.status_code in (302, 303):  # an error the partner is told of, by redirect
            continue
        assert page.status_code >= 400, page.text
        assert page.headers["Content-Language"] == "zh-CN"
        pages += 1
        main = re.sub(r"<[^>]+>", " ", page.text)
        assert "授权请求无效" in main and CJK.search(main)
        assert not ENGLISH_SENTENCE.search(re.sub(r"<(style|head)[^>]*>.*?</\1>", " ", page.text, flags=re.S)
                                           .replace("nanhaitong", "")), page.text
    assert pages >= 1  # an unknown client at least is shown a page, not redirected


def test_the_consent_inbox_message_is_the_chinese_template(app, live_server, operator, sign_in):
    owner = verified(sign_in, LI)
    partner = register(operator)
    code_flow(app, live_server, partner, LI.phone, scope="openid profile:read")
    inbox = owner.get("/api/v1/messages").get_json()
    told = [m for m in inbox["items"] if m["title"] == "您已授权佛山农商银行"]
    assert told and told[0]["body"] == "您已同意佛山农商银行读取：实名身份信息。如非本人操作，请在“我的授权”中撤回。", inbox
