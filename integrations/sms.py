"""Client of the SMS gateway.

Protocol: ``POST {base}/sms/v1/messages`` with header ``X-Api-Key`` and JSON
``{"phone", "template", "params"}``; the answer carries the gateway's message ``id``.
An ``Idempotency-Key`` header makes a repeated send return the first message's id
instead of sending again, which is also what makes the POST safe to retry.
"""

from __future__ import annotations

from typing import Any, Mapping

from integrations.errors import NonRetryableError
from integrations.http import ApiKeyClient


class SmsClient(ApiKeyClient):
    """Sends templated text messages through the SMS gateway."""

    upstream_name = "sms"

    def send(
        self,
        phone: str,
        template: str,
        params: Mapping[str, Any],
        *,
        idempotency_key: str | None = None,
    ) -> str:
        """Send ``template`` rendered with ``params`` to ``phone``; return the message id."""
        headers = {"Idempotency-Key": idempotency_key} if idempotency_key else None
        answer = self.request(
            "POST",
            "/sms/v1/messages",
            json={"phone": phone, "template": template, "params": dict(params)},
            headers=headers,
            # Without a key a retried POST could text the citizen twice.
            idempotent=True if idempotency_key else None,
        )
        message_id = answer.get("id")
        if not isinstance(message_id, str) or not message_id:
            raise NonRetryableError(self.upstream, "sms: POST /sms/v1/messages answered without an id")
        return message_id
