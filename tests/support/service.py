"""The service-level layer: a rule tested by calling a service function directly, as a view
would, without a server round trip, a token or a JSON body.

``service_context(app, principal)`` opens the app and a request context with
``g.principal`` set (what the authenticators hand to views); inside it a test calls the
service, whose own unit of work commits or rolls back at its edge, and reads the result
through ``ctx.session``. Data a test arranges beforehand goes in through ``ctx.unit()``
(``db.unit_of_work``), so it is committed as a service's would be.

``principal(...)`` makes the caller without signing anyone in, and ``citizen_account``
stores a citizen straight in the database.
"""

from __future__ import annotations

import contextlib
import itertools
from collections.abc import Iterator
from dataclasses import dataclass

from flask import Flask, g

from nanhaitong import db
from nanhaitong.identity import codes
from nanhaitong.identity.models import User
from nanhaitong.kernel import Principal

_phones = itertools.count(1)


@dataclass
class ServiceContext:
    app: Flask
    principal: Principal | None

    @property
    def session(self):
        return db.session()

    def unit(self, name: str | None = None) -> db.unit_of_work:
        """A unit of work of the test's own (arranging data): commits at its edge."""
        return db.unit_of_work(name)

    def acting(self, principal: Principal | None) -> Principal | None:
        """From here on the request is ``principal``'s (another caller, same request)."""
        self.principal = g.principal = principal
        return principal


@contextlib.contextmanager
def service_context(app: Flask, principal: Principal | None = None, **request) -> Iterator[ServiceContext]:
    """An app and request context (``request``: path, headers ... as for
    ``app.test_request_context``) in which ``g.principal`` is ``principal``."""
    with app.test_request_context(**request):
        g.principal = principal
        g.request_id = "service-test"
        yield ServiceContext(app, principal)


def principal(account_id: str, *, kind: str = "citizen", level: int = 2, enterprise_id: str | None = None,
              role: str | None = None, grant_id: str | None = None, for_citizen: str | None = None,
              audience: str = "app") -> Principal:
    """A caller as an authenticator would make it from a token (no session is checked)."""
    return Principal(kind=kind, account_id=account_id, session_id=f"session-of-{account_id}", audience=audience,
                     assurance_level=level, enterprise_id=enterprise_id, role=role, grant_id=grant_id,
                     for_citizen=for_citizen)


def citizen_account(level: int = 1) -> str:
    """A citizen stored straight in the database (inside an app context); their user id."""
    phone = f"136{next(_phones):08d}"
    with db.unit_of_work():
        user = User(phone=phone, phone_index=codes.phone_index(phone), assurance_level=level)
        db.session().add(user)
    return user.id
