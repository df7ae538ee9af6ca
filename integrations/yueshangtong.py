"""Client of Yueshangtong (粤商通), the Guangdong provincial enterprise platform.

Enterprise lookup: ``GET {base}/ysst/v1/enterprises/{uscc}`` with header ``X-Api-Key``
answers the enterprise's registration record, or 404 ``{"code": "enterprise_not_found"}``.

The enterprise high-frequency services (licences, filings, subsidies...) will join this
client as further methods on the same session, API key and error mapping; each one
parses its answer into a dataclass of its own, as :meth:`lookup_enterprise` does.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from integrations.errors import NonRetryableError, UpstreamRejectedError
from integrations.http import ApiKeyClient

ENTERPRISES_PATH = "/ysst/v1/enterprises"

# Shape only, to keep the code a single safe path segment; callers validate it fully
# (schemas.identity_numbers.check_uscc) before asking.
_USCC_SHAPE = re.compile(r"^[0-9A-HJ-NP-RTUW-Y]{18}$")

ENTERPRISE_STATUSES = frozenset({"active", "revoked", "cancelled"})
ENTERPRISE_SIZES = frozenset({"micro", "small", "medium", "large"})


@dataclass(frozen=True)
class EnterpriseRecord:
    """An enterprise as registered (market-supervision registration data)."""

    uscc: str
    name: str
    legal_representative_name: str
    legal_representative_id_number: str
    status: str  # "active" | "revoked" (吊销) | "cancelled" (注销)
    registered_on: str  # ISO date, e.g. "2016-05-18"
    industry_code: str  # GB/T 4754 national industry classification, e.g. "C3311"
    town: str  # the Nanhai town or street, e.g. "桂城街道", "狮山镇"
    size: str  # "micro" | "small" | "medium" | "large"

    @property
    def is_active(self) -> bool:
        return self.status == "active"


_RECORD_FIELDS = tuple(EnterpriseRecord.__dataclass_fields__)


class YueshangtongClient(ApiKeyClient):
    """Reads enterprise data from Yueshangtong."""

    upstream_name = "yueshangtong"

    def lookup_enterprise(self, uscc: str) -> EnterpriseRecord | None:
        """The enterprise registered under ``uscc``, or ``None`` when there is none."""
        uscc = uscc.strip().upper() if isinstance(uscc, str) else uscc
        if not isinstance(uscc, str) or not _USCC_SHAPE.match(uscc):
            raise ValueError("uscc must be 18 characters of the unified social credit code set")
        try:
            answer = self.request("GET", f"{ENTERPRISES_PATH}/{quote(uscc, safe='')}")
        except UpstreamRejectedError as refusal:
            if refusal.status == 404 and refusal.upstream_code == "enterprise_not_found":
                return None
            raise
        return self._enterprise(answer)

    # -- answers -------------------------------------------------------------------

    def _enterprise(self, answer: dict[str, Any]) -> EnterpriseRecord:
        values = {field: answer.get(field) for field in _RECORD_FIELDS}
        if not all(isinstance(value, str) and value for value in values.values()):
            # Name no field values: they include a person's name and ID number.
            raise NonRetryableError(
                self.upstream, f"{self.upstream}: GET {ENTERPRISES_PATH}/... answered an incomplete record"
            )
        return EnterpriseRecord(**values)


# -- enterprise high-frequency services (issue 7) ----------------------------------------
# Reached through the provincial services gateway rather than the registry API above:
# signed requests (app key, timestamp, nonce, HMAC) carrying the enterprise's USCC and the
# acting member's verified identity. See integrations.gov_gateway for the protocol.

from integrations.gov_gateway import GovGatewayClient  # noqa: E402

SERVICES_PROVIDER = "yueshangtong_gateway"
SERVICES_PREFIX = "/ysst/gateway"


class YueshangtongServicesClient(GovGatewayClient):
    def __init__(self, base_url: str, **kw: Any) -> None:
        super().__init__(base_url, provider=SERVICES_PROVIDER, prefix=SERVICES_PREFIX, **kw)
