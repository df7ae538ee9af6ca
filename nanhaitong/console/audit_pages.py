"""The auditor's pages: audit events, the chain's verification, CSV export and access logs."""

from __future__ import annotations

from flask import (
    Response,
    g,
    request,
)

from schemas.admin import AuditAccessLogEntrySchema, AuditEventSchema

from ..audit import browse as audit_browse
from ..authorizations import authorize, district
from ..authorizations import service as access_logs
from ..errors import ValidationFailed
from ..identity import staff
from . import auth
from .routes import arg, blp, parse_date, render, today

_ACCESS_LOG, _AUDIT_EVENT = AuditAccessLogEntrySchema(), AuditEventSchema()  # masked as the admin API shows them


def _audit_filters() -> dict:
    return {"action": arg("action"), "actor": arg("actor"), "result": arg("result"),
            "date_from": parse_date(arg("date_from"), "date_from"), "date_to": parse_date(arg("date_to"), "date_to")}


@blp.route("/audit", methods=["GET"])
@auth.signed_in
def audit():
    cursor = arg("cursor")
    items, next_cursor = audit_browse.list_events(g.principal, limit=50, cursor=int(cursor) if cursor and
                                                  cursor.isdigit() else None, **_audit_filters())
    return render("audit.html", events=_AUDIT_EVENT.dump(items, many=True), next_cursor=next_cursor,
                   args=request.args, today=today())


@blp.route("/audit/events/<event_id>", methods=["GET"])
@auth.signed_in
def audit_event(event_id):
    return render("audit_event.html", event=_AUDIT_EVENT.dump(audit_browse.get_event(g.principal, event_id)))


@blp.route("/audit/verify", methods=["GET", "POST"])
@auth.signed_in
def audit_verify():
    report = staff.verify_audit_chain(g.principal) if request.method == "POST" else None
    if report is None:  # the page itself is the auditors'
        authorize(g.principal, audit_browse.READ, district("audit_log"), record_use=False)
    return render("verify.html", report=report)


@blp.route("/audit/export", methods=["GET"])
@auth.signed_in
def audit_export():
    date_from, date_to = parse_date(arg("date_from"), "date_from"), parse_date(arg("date_to"), "date_to")
    if not date_from or not date_to:
        raise ValidationFailed({"date_from": ["请选择起止日期。"]})
    text = audit_browse.export_csv(g.principal, date_from=date_from, date_to=date_to, action=arg("action"))
    return Response("\ufeff" + text, mimetype="text/csv", headers={
        "Content-Disposition": f'attachment; filename="audit-{date_from}-{date_to}.csv"'})


@blp.route("/access-log", methods=["GET"])
@auth.signed_in
def access_log():
    filters = {"owner_id": arg("owner_id"), "accessor_kind": arg("accessor_kind"), "action": arg("action")}
    items, next_cursor = access_logs.search_access_log(g.principal, limit=50, cursor=arg("cursor"), **filters)
    return render("access_log.html", entries=_ACCESS_LOG.dump(access_logs.with_accessors(items, owners=True), many=True), next_cursor=next_cursor,
                   args=request.args)
