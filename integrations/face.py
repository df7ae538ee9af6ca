"""Client of the face verification upstream (liveness detection and comparison, 人脸核身).

The face SDK on the phone performs the liveness check and hands the app a liveness
token; the app sends it to us and we redeem it here, together with the person it must
show. Protocol: ``POST {base}/face/v1/verifications`` with header ``X-Api-Key`` and JSON
``{"liveness_token", "name", "id_number"}``; the answer is
``{"result": "pass"|"fail", "score", "reason", "request_id"}``.

No image or other biometric data passes through us: only the token, and a score.

A token is single use, so the POST is never retried here: a retry after a lost answer
would only be told ``token_used``. Failure reasons include ``face_mismatch``,
``person_mismatch`` (the token was issued for someone else), ``token_used``,
``token_expired``, ``token_invalid``, ``name_mismatch`` and ``not_found``.
"""

from __future__ import annotations

from dataclasses import dataclass

from integrations.errors import NonRetryableError
from integrations.http import ApiKeyClient

VERIFY_PATH = "/face/v1/verifications"


@dataclass(frozen=True)
class FaceCheck:
    """The outcome of a face verification.

    ``score`` is the upstream's similarity, 0..1 (0 when no comparison was made);
    ``reason`` is ``None`` when ``passed``.
    """

    passed: bool
    score: float
    reason: str | None = None
    request_id: str | None = None


class FaceVerificationClient(ApiKeyClient):
    """Redeems liveness tokens from the face SDK against a claimed identity."""

    upstream_name = "face"

    def verify(self, liveness_token: str, *, name: str, id_number: str) -> FaceCheck:
        """Whether the live face behind ``liveness_token`` is the holder of ``id_number``."""
        answer = self.request(
            "POST",
            VERIFY_PATH,
            json={"liveness_token": liveness_token, "name": name, "id_number": id_number},
            idempotent=False,  # the token is spent by the first attempt
        )
        result, score, reason = answer.get("result"), answer.get("score"), answer.get("reason")
        if (
            result not in ("pass", "fail")
            or isinstance(score, bool)
            or not isinstance(score, (int, float))
            or not 0 <= score <= 1
            or (result == "fail" and not isinstance(reason, str))
        ):
            raise NonRetryableError(
                self.upstream, f"{self.upstream}: POST {VERIFY_PATH} answered a malformed result"
            )
        request_id = answer.get("request_id")
        return FaceCheck(
            passed=result == "pass",
            score=float(score),
            reason=None if result == "pass" else reason,
            request_id=request_id if isinstance(request_id, str) else None,
        )
