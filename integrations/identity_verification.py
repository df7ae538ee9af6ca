"""Client of the identity verification upstream (ID-number check, 身份核验).

Protocol: ``POST {base}/idv/v1/verifications`` with header ``X-Api-Key`` and JSON
``{"name", "id_number"}``; the answer is ``{"result": "match"|"mismatch"|"not_found",
"request_id"}``. Refusals (malformed name or number) come back as 400
``{"code", "message"}`` and surface as :class:`~integrations.errors.UpstreamRejectedError`.

The upstream bills every call, so callers check the number locally first
(``schemas.identity_numbers.check_resident_id``), and the POST is not retried here:
a retried call after a lost answer is billed twice. A :class:`RetryableError` leaves
the decision to retry to the caller.
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.errors import NonRetryableError
from integrations.http import ApiKeyClient

VERIFY_PATH = "/idv/v1/verifications"

# upstream result -> (match, reason)
_RESULTS: dict[str, tuple[bool, str | None]] = {
    "match": (True, None),
    "mismatch": (False, "name_mismatch"),
    "not_found": (False, "not_found"),
}


@dataclass(frozen=True)
class IdentityCheck:
    """Whether a name and a resident identity number belong together.

    ``reason`` is ``None`` on a match, else ``"name_mismatch"`` (the number exists
    with another name) or ``"not_found"`` (no such number).
    """

    match: bool
    reason: str | None = None
    request_id: str | None = None  # the upstream's, for reconciling its bill


class IdentityVerificationClient(ApiKeyClient):
    """Checks (name, resident identity number) pairs against the national register."""

    upstream_name = "idv"

    def verify(self, name: str, id_number: str) -> IdentityCheck:
        """Ask whether ``name`` is the holder of ``id_number``. Each call is billed."""
        answer = self.request("POST", VERIFY_PATH, json={"name": name, "id_number": id_number})
        outcome = _RESULTS.get(answer.get("result"))  # type: ignore[arg-type]
        if outcome is None:
            raise NonRetryableError(
                self.upstream, f"{self.upstream}: POST {VERIFY_PATH} answered an unknown result"
            )
        request_id = answer.get("request_id")
        return IdentityCheck(
            match=outcome[0],
            reason=outcome[1],
            request_id=request_id if isinstance(request_id, str) else None,
        )
