"""What the SMS gateway texts people: a registered template per purpose, in Chinese,
the code first."""

from __future__ import annotations

import requests

from nanhaitong.sms_templates import TEMPLATES, registered_text, render
from tests.support.citizens import request_code


def _newest(app, phone):
    answer = requests.get(f"{app.config['SANDBOX_URL']}/sms/messages", params={"phone": phone}, timeout=5)
    answer.raise_for_status()
    return answer.json()["messages"][0]


def test_every_template_is_registered_in_chinese_with_its_parameters(app):
    demo = requests.get(f"{app.config['SANDBOX_URL']}/sms/v1/templates", timeout=5)
    assert demo.status_code in (404, 405)  # registration is a POST; what is registered shows in /demo
    registered = requests.get(f"{app.config['SANDBOX_URL']}/demo", timeout=5).json()["sms"]["templates"]
    for name, template in TEMPLATES.items():
        assert sorted(registered[name]) == sorted(template.params), name
        text = registered_text(name)
        assert text != template.text and any("\u4e00" <= char <= "\u9fff" for char in text), name
        if "code" in template.params:
            assert text.index("{code}") <= 12, name  # the code comes first: it is what people look for


def test_a_sign_in_code_is_texted_with_the_sign_in_template(app, client):
    assert request_code(client, "13800138021").status_code == 202
    message = _newest(app, "13800138021")
    assert message["template"] == "login_code"
    assert message["text"] == render("login_code", message["params"])
    assert message["text"].startswith(f"【南海通】您的南海通登录验证码为{message['params']['code']}，")


def test_a_step_up_code_says_what_it_confirms(app, client):
    assert request_code(client, "13800138022", purpose="step_up").status_code == 202
    message = _newest(app, "13800138022")
    assert message["template"] == "step_up_code" and "安全设置变更" in message["text"]
