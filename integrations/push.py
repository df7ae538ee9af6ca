"""Client of the push-notification provider (the app's and mini-program's push channel).

Protocol: ``POST {base}/push/v1/notifications`` with header ``X-Api-Key`` and JSON
``{"token", "platform", "title", "body", "data"}``; the answer carries the provider's
notification ``id``. A ``404 unknown_token`` means the device uninstalled the app: the
token will never work again. An ``Idempotency-Key`` header makes a repeated send return
the first id instead of notifying twice, which makes the POST safe to retry.
"""

from __future__ import annotations

from typing import Any, Mapping

from integrations.errors import NonRetryableError, UpstreamRejectedError
from integrations.http import ApiKeyClient


class UnknownPushToken(Exception):
    """The provider no longer knows this device token."""


class PushClient(ApiKeyClient):
    upstream_name = "push"

    def send(self, token: str, platform: str, title: str, body: str, data: Mapping[str, Any] | None = None,
             *, idempotency_key: str) -> str:
        try:
            answer = self.request(
                "POST", "/push/v1/notifications",
                json={"token": token, "platform": platform, "title": title, "body": body, "data": dict(data or {})},
                headers={"Idempotency-Key": idempotency_key}, idempotent=True,
            )
        except UpstreamRejectedError as exc:
            if exc.status == 404:
                raise UnknownPushToken() from None
            raise
        notification_id = answer.get("id")
        if not isinstance(notification_id, str) or not notification_id:
            raise NonRetryableError(self.upstream, "push: POST /push/v1/notifications answered without an id")
        return notification_id
