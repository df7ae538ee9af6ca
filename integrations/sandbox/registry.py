"""The simulators the sandbox serves. A new upstream: write its module, list it here."""

from __future__ import annotations

from integrations.sandbox.base import Simulator
from integrations.sandbox.identity import FaceSimulator, IdvSimulator
from integrations.sandbox.licence_library import LicenceLibrarySimulator
from integrations.sandbox.payment_gateways import AlipaySimulator, WechatPaySimulator
from integrations.sandbox.push import PushSimulator
from integrations.sandbox.sms import SmsSimulator
from integrations.sandbox.utilities import GasUtilitySimulator, LingnanPassSimulator
from integrations.sandbox.yueshangtong import YueshangtongSimulator

SIMULATORS: tuple[type[Simulator], ...] = (
    SmsSimulator,
    IdvSimulator,
    FaceSimulator,
    YueshangtongSimulator,
    LicenceLibrarySimulator,
    PushSimulator,
    WechatPaySimulator,
    AlipaySimulator,
    LingnanPassSimulator,
    GasUtilitySimulator,
)

DEFAULT_API_KEYS: dict[str, str] = {
    simulator.name: simulator.default_api_key
    for simulator in SIMULATORS
    if simulator.default_api_key is not None
}

# Provincial services gateways (issue 7): appended, so the lists above keep their order.
from integrations.sandbox.gov_gateway import YueshangtongGatewaySimulator, YueshengshiSimulator  # noqa: E402

SIMULATORS += (YueshengshiSimulator, YueshangtongGatewaySimulator)
DEFAULT_API_KEYS.update({simulator.name: simulator.default_api_key
                         for simulator in (YueshengshiSimulator, YueshangtongGatewaySimulator)})
