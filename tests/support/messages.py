"""Messages as other domains send them (through ``messages.service`` in a committed
transaction), and what the sandbox push provider delivered."""

from __future__ import annotations

import requests

from nanhaitong import db
from nanhaitong.messages import service


def send_to_user(app, user_id: str, **fields) -> str | None:
    fields = {"topic": "application_status", "title": "办件进度", "body": "您的申请已受理。", **fields}
    with app.app_context():
        message = service.notify_user(user_id, **fields)
        db.session().commit()
        return message.id if message else None


def send_to_enterprise(app, enterprise_id: str, **fields) -> str | None:
    fields = {"topic": "policy", "title": "政策推送", "body": "南海区企业研发补贴开始申报。", **fields}
    with app.app_context():
        message = service.notify_enterprise(enterprise_id, **fields)
        db.session().commit()
        return message.id if message else None


def pushes(app, token: str) -> list[dict]:
    """What the sandbox push provider delivered to ``token``, newest first (over HTTP)."""
    answer = requests.get(f"{app.config['SANDBOX_URL']}/push/notifications", params={"token": token}, timeout=5)
    answer.raise_for_status()
    return answer.json()["notifications"]


def push_outage(app, times: int = 100) -> None:
    answer = requests.post(f"{app.config['SANDBOX_URL']}/_control/faults", timeout=5,
                           json={"path_prefix": "/push/v1/", "status": 503, "times": times})
    assert answer.status_code == 201, answer.text


def end_outage(app) -> None:
    requests.delete(f"{app.config['SANDBOX_URL']}/_control/faults", timeout=5).raise_for_status()


def push_due(app) -> str:
    result = app.test_cli_runner().invoke(args=["messages", "push-due"])
    assert result.exit_code == 0, result.output
    return result.output


def inbox(citizen) -> list[dict]:
    answer = citizen.get("/api/v1/messages")
    assert answer.status_code == 200, answer.get_json()
    return answer.get_json()["items"]
