"""The simulators the sandbox serves. A new upstream: write its module, list it here."""

from __future__ import annotations

from integrations.sandbox.base import Simulator
from integrations.sandbox.identity import FaceSimulator, IdvSimulator
from integrations.sandbox.licence_library import LicenceLibrarySimulator
from integrations.sandbox.push import PushSimulator
from integrations.sandbox.sms import SmsSimulator
from integrations.sandbox.yueshangtong import YueshangtongSimulator

SIMULATORS: tuple[type[Simulator], ...] = (
    SmsSimulator,
    IdvSimulator,
    FaceSimulator,
    YueshangtongSimulator,
    LicenceLibrarySimulator,
    PushSimulator,
)

DEFAULT_API_KEYS: dict[str, str] = {
    simulator.name: simulator.default_api_key
    for simulator in SIMULATORS
    if simulator.default_api_key is not None
}
