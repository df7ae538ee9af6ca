"""Client of Yueshengshi (粤省事), the Guangdong provincial citizen services platform.

Its high-frequency services (social insurance, housing provident fund, medical
insurance, household registration, traffic...) are reached through the provincial
services gateway: signed requests carrying the citizen's verified identity. The protocol
is in :mod:`integrations.gov_gateway`; this module only names the provider.
"""

from __future__ import annotations

from typing import Any

from integrations.gov_gateway import GovGatewayClient

PROVIDER = "yueshengshi"
PREFIX = "/yss/gateway"


class YueshengshiClient(GovGatewayClient):
    def __init__(self, base_url: str, **kw: Any) -> None:
        super().__init__(base_url, provider=PROVIDER, prefix=PREFIX, **kw)
