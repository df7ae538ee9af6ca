"""Provincial services: the catalogue, proxied queries, applications and their status.

Rules kept here:

- A service is for citizens or for enterprises (its ``audience``). A citizen uses a
  citizen service for themself or, under a live grant, for the grantor; an enterprise
  service is used acting for the enterprise (act-as). ``authorize`` decides, with the
  actions ``gov_services:query`` and ``gov_services:apply`` and the service code as the
  constraint grants may limit.
- The upstream receives the verified identity of whom the call is for (real name and ID
  number; for an enterprise its USCC and name, with the acting member's identity when
  verified) in signed headers. Every proxied call is audited (no personal data in it).
- Applications are stored first as ``queued`` and then delivered; the upstream is
  idempotent on our application id, so an application accepted while the upstream was
  down or slow is delivered later (``flask gov-services poll`` / the Celery job) exactly
  once: never lost, never doubled.
- Every status change is a history row, an audit event, the
  ``application_status_changed`` domain event and an inbox message (nanhaitong.messages),
  all in one transaction.
"""

from .applications import (  # noqa: F401  (the domain's operations, as routes, jobs and other domains call them)
    apply,
    deliver,
    get_application,
    list_applications,
    poll,
    receive_callback,
    with_history,
)
from .catalogue import (  # noqa: F401
    AUDIENCE_OF,
    CATALOGUE_FILE,
    KINDS,
    PROVIDERS,
    STATUSES,
    create_item,
    get_item,
    list_items,
    load_catalogue,
    update_item,
)
from .queries import query  # noqa: F401
