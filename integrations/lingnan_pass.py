"""Client of the Lingnan Pass (岭南通) bus-card system: card lookup and top-up.

Protocol (JSON over HTTPS, header ``X-Api-Key``):

* ``POST /lingnan/v1/cards/query`` ``{"card_no"}`` -> ``{"card_no", "status", "balance_fen",
  "max_balance_fen"}``, or 404 ``{"code": "card_not_found"}``.
* ``POST /lingnan/v1/topups`` ``{"card_no", "amount_fen", "order_no"}`` with an
  ``Idempotency-Key`` header -> ``{"topup_id", "balance_fen"}``. The same key answers the
  first top-up again instead of crediting twice, which is what makes the call safe to retry.

Card numbers go in bodies, never in paths, so they cannot reach error messages or logs.

The card-number check rule: no public specification of the printed Lingnan Pass number
exists that we could find, so we implement this one (and the sandbox's demo cards keep
it): 16 digits, the last a Luhn (ISO/IEC 7812-1, mod 10) check digit over the first 15.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from integrations.errors import NonRetryableError, UpstreamRejectedError
from integrations.http import ApiKeyClient

_CARD = re.compile(r"^\d{16}$")


def luhn_check_digit(payload: str) -> str:
    total = 0
    for index, char in enumerate(reversed(payload)):
        digit = int(char)
        if index % 2 == 0:  # doubled: the rightmost payload digit and every second one after it
            digit *= 2
            if digit > 9:
                digit -= 9
        total += digit
    return str((10 - total % 10) % 10)


def valid_card_number(card_no: str) -> bool:
    return bool(isinstance(card_no, str) and _CARD.match(card_no)) and luhn_check_digit(card_no[:-1]) == card_no[-1]


@dataclass(frozen=True)
class Card:
    card_no: str
    status: str  # active | lost | cancelled
    balance_fen: int
    max_balance_fen: int


def _int(value: Any, name: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool):
        raise NonRetryableError("lingnan_pass", f"lingnan_pass answered a non-integer {name}")
    return value


class LingnanPassClient(ApiKeyClient):
    upstream_name = "lingnan_pass"

    def card(self, card_no: str) -> Card | None:
        try:
            answer = self.request("POST", "/lingnan/v1/cards/query", json={"card_no": card_no}, idempotent=True)
        except UpstreamRejectedError as exc:
            if exc.upstream_code == "card_not_found":
                return None
            raise
        return Card(card_no=card_no, status=str(answer.get("status")),
                    balance_fen=_int(answer.get("balance_fen"), "balance_fen"),
                    max_balance_fen=_int(answer.get("max_balance_fen"), "max_balance_fen"))

    def top_up(self, card_no: str, amount_fen: int, *, order_no: str, idempotency_key: str) -> dict[str, Any]:
        answer = self.request("POST", "/lingnan/v1/topups",
                              json={"card_no": card_no, "amount_fen": amount_fen, "order_no": order_no},
                              headers={"Idempotency-Key": idempotency_key}, idempotent=True)
        if not isinstance(answer.get("topup_id"), str):
            raise NonRetryableError(self.upstream, "lingnan_pass: top-up answered without topup_id")
        return answer
