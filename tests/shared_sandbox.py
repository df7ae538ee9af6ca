"""The sandbox's e-licence library signed once per test process instead of once per app.

Every app a test builds mounts a new sandbox, and its licence library made a root CA,
an issuer key and certificate each, and signed every demo licence at start-up (a twentieth
of a test's CPU). The apps' sandboxes here take the CA and the signed demo licences made
for the same day before; their state (what a test changed, dropped or re-signed) is still
their own, copied from those at start and at each reset.

The simulator itself still makes new keys at every start (integrations/sandbox/
licence_library.py, and tests/integrations/test_licence_library_sandbox.py checks it on
the class itself): only the sandboxes that apps mount in tests share them.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import integrations.sandbox.app as sandbox_app
from integrations.sandbox.licence_library import CertificateAuthority, LicenceLibrarySimulator

_signed: dict[date, tuple[CertificateAuthority, dict[str, dict[str, Any]]]] = {}


class OnceSignedLicenceLibrary(LicenceLibrarySimulator):
    @staticmethod
    def signed_library(today: date) -> tuple[CertificateAuthority, dict[str, dict[str, Any]]]:
        if today not in _signed:
            _signed[today] = LicenceLibrarySimulator.signed_library(today)
        return _signed[today]


def install() -> None:
    sandbox_app.SIMULATORS = tuple(OnceSignedLicenceLibrary if simulator is LicenceLibrarySimulator else simulator
                                   for simulator in sandbox_app.SIMULATORS)
