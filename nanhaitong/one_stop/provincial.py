"""Provincial applications (粤省事, 粤商通) that gov_services already tracks, followed as cases:
the person adds one to their cases (``track``), and its status follows the provincial
platform through gov_services' ``application_status_changed`` event, inside the transaction
that records the change. Staff do not move these cases: the province does."""

from __future__ import annotations

from sqlalchemy import select

from .. import db
from ..errors import Conflict
from ..events import application_status_changed
from ..gov_services import service as gov_services
from ..kernel import Principal
from ..timeutil import utcnow
from . import cases
from .models import Case

# gov_services' statuses as case statuses
STATUS = {"queued": "submitted", "submitted": "submitted", "accepted": "accepted",
          "need_more_materials": "accepted", "approved": "completed", "rejected": "rejected"}


@db.unit_of_work(conflict=Conflict("This application is already among your cases.", code="case_exists"))
def track(principal: Principal, application_id: str) -> Case:
    application = gov_services.with_history([gov_services.get_application(principal, application_id)])[0]
    if db.session().execute(select(Case.id).where(Case.gov_application_id == application_id)).first():
        raise Conflict("This application is already among your cases.", code="case_exists")
    kind, ident = principal.subject
    case = cases.new_case(owner=(kind, ident), applicant_id=principal.account_id, matter=None, centre_code=None,
                          channel="provincial", actor=principal.audit_name, form={},
                          status=STATUS[application.status])
    case.gov_application_id, case.title = application_id, application.service_name
    if case.status in cases.CLOSED:
        case.closed_at = utcnow()
    return case


@application_status_changed.connect
def _follow(sender, *, application_id: str, status: str, **_fields) -> None:
    case = db.session().execute(select(Case).where(Case.gov_application_id == application_id)).scalar_one_or_none()
    if case is None or STATUS.get(status, case.status) == case.status:
        return
    case.status = STATUS[status]
    if case.status in cases.CLOSED:
        case.closed_at = utcnow()
    cases.record_event(case, case.status, "system:gov_services", note=f"省级平台状态：{status}")
