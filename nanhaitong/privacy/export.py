"""A copy of one's data (PIPL art. 45; GB/T 35273-2020 8.6).

A request queues a job that builds a ZIP: a readable index (索引.html and README.txt),
one JSON file per domain, each e-licence as its own file, the signed PDFs, and the
access log. The job reports its progress on the export; when done the person gets an
inbox notice. The archive is encrypted at rest and can be downloaded for
``NHT_PRIVACY_EXPORT_LINK_DAYS`` (7) days, by the person only, with their own access
token, once they have confirmed the export with a step_up SMS code; then the job that
expires exports deletes it.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import zipfile
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from schemas.common import With

from .. import authorizations, db, esign, gov_services, identity, licences, messages, one_stop, payments
from ..audit.service import record as audit
from ..authorizations import authorize
from ..errors import NotFound
from ..kernel import Principal
from ..messages.service import notify_user
from ..sms_templates import china_time_text, inbox_text
from ..timeutil import as_utc, isoformat, utcnow
from .errors import Gone, PreconditionRequired
from .models import Agreement, DataExport, DeletionRequest, OptionalConsent
from .terms import own_account

SYSTEM = "system:data-export"
LIVE = ("queued", "building")

# The parts of the copy, in order: (file, what it holds, where it comes from).
DOMAINS = (
    ("account", "账号、实名信息、所属企业、登录设备", identity.export_personal_data),
    ("authorizations", "您给出和收到的授权与同意", authorizations.export_personal_data),
    ("licences", "电子证照与亮证记录", licences.export_personal_data),
    ("gov_services", "政务服务申请与办理进度", gov_services.export_personal_data),
    ("one_stop", "办件（含填写的表单）、预约与评价", one_stop.export_personal_data),
    ("payments", "缴费账户与支付订单", payments.export_personal_data),
    ("esign", "签名证书与签署记录", esign.export_personal_data),
    ("messages", "消息、推送设备与订阅", messages.export_personal_data),
)


def _own(principal: Principal) -> str:
    authorize(principal, "privacy:manage", own_account(principal))
    return principal.account_id


def _get(principal: Principal, export_id: str) -> DataExport:
    user_id = _own(principal)
    row = db.session().get(DataExport, export_id)
    if row is None or row.user_id != user_id:
        raise NotFound("No such export.", code="export_not_found")
    return row


@db.unit_of_work()
def request_export(principal: Principal) -> DataExport:
    user_id = _own(principal)
    session = db.session()
    pending = session.execute(select(DataExport).where(DataExport.user_id == user_id, DataExport.status.in_(LIVE))
                              .with_for_update()).scalars().first()
    if pending is not None:
        return pending
    row = DataExport(user_id=user_id, status="queued", progress=0)
    session.add(row)
    session.flush()
    audit("privacy.export_requested", object_type="data_export", object_id=row.id)
    return row


def queue(row: DataExport) -> DataExport:
    """Hand the export to the job (a worker with Redis; at once in the embedded mode)."""
    if row.status == "queued":
        from .jobs import build_export

        build_export.delay(row.id)
        db.session().expire_all()
        row = db.session().get(DataExport, row.id)
    return row


def list_exports(principal: Principal) -> list[DataExport]:
    user_id = _own(principal)
    return list(db.session().execute(select(DataExport).where(DataExport.user_id == user_id)
                                     .order_by(DataExport.id.desc()).limit(20)).scalars())


def get_export(principal: Principal, export_id: str) -> DataExport:
    return _get(principal, export_id)


def _expired(row: DataExport) -> bool:
    return row.status == "expired" or (row.expires_at is not None and as_utc(row.expires_at) <= utcnow())


@db.unit_of_work()
def confirm(principal: Principal, export_id: str, code: str) -> DataExport:
    row = _get(principal, export_id)
    if _expired(row):
        raise Gone("This copy of your data has expired; ask for a new one.", code="export_expired")
    identity.confirm_with_code(row.user_id, code)
    if row.confirmed_at is None:
        row.confirmed_at = utcnow()
        audit("privacy.export_confirmed", object_type="data_export", object_id=row.id)
    return row


@db.unit_of_work()
def download(principal: Principal, export_id: str) -> tuple[bytes, str]:
    row = _get(principal, export_id)
    if _expired(row):
        raise Gone("This copy of your data has expired; ask for a new one.", code="export_expired")
    if row.status != "ready":
        raise PreconditionRequired("The copy is not ready yet.", code="export_not_ready",
                                   details={"status": row.status, "progress": row.progress})
    if row.confirmed_at is None:
        raise PreconditionRequired("Confirm with an SMS code first.", code="sms_confirmation_required")
    data = base64.b64decode(row.archive)
    row.downloaded_at = utcnow()
    audit("privacy.export_downloaded", object_type="data_export", object_id=row.id,
          details={"sha256": row.archive_sha256})
    return data, f"nanhaitong-personal-data-{row.id}.zip"


def with_state(row: DataExport) -> With:
    """An export with its state now (``expired`` once its link has lapsed) and, while it
    can be downloaded, where."""
    expired = _expired(row)
    return With(row, status="expired" if expired else row.status,
                download_url=f"/api/v1/me/data-exports/{row.id}/archive" if row.status == "ready" and not expired
                else None)


# -- the job ------------------------------------------------------------------------------

def _progress(export_id: str, percent: int, **changes) -> None:
    with db.unit_of_work("progress"):
        row = db.session().get(DataExport, export_id)
        row.progress = percent
        for name, value in changes.items():
            setattr(row, name, value)


def _own_records(user_id: str) -> dict:
    session = db.session()
    return {
        "agreements": [{"kind": a.kind, "version": a.version, "context": a.context, "channel": a.channel,
                        "client": a.client, "agreed_at": isoformat(a.agreed_at)} for a in session.execute(
            select(Agreement).where(Agreement.user_id == user_id).order_by(Agreement.id)).scalars()],
        "optional_consents": [{"name": c.name, "granted": c.granted, "changed_at": isoformat(c.changed_at)}
                              for c in session.execute(select(OptionalConsent).where(
                                  OptionalConsent.user_id == user_id)).scalars()],
        "deletion_requests": [{"id": d.id, "status": d.status, "requested_at": isoformat(d.requested_at)}
                              for d in session.execute(select(DeletionRequest).where(
                                  DeletionRequest.user_id == user_id)).scalars()],
    }


def _dump(value) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True).encode()


def build(export_id: str) -> DataExport | None:
    """Build the archive (safe to run twice: only a queued export is claimed)."""
    try:
        return _build(export_id)
    except Exception as exc:
        db.session().rollback()
        with db.unit_of_work("failed"):
            row = db.session().get(DataExport, export_id)
            row.status, row.error = "failed", type(exc).__name__
            audit("privacy.export_failed", result="failure", actor=SYSTEM, object_type="data_export",
                  object_id=export_id, details={"error": type(exc).__name__})
        raise


def _build(export_id: str) -> DataExport | None:
    with db.unit_of_work("claim"):
        row = db.session().execute(select(DataExport).where(DataExport.id == export_id).with_for_update()
                                   ).scalar_one_or_none()
        if row is None or row.status != "queued":
            return row
        row.status, row.progress = "building", 1
        user_id = row.user_id
    files: dict[str, bytes] = {}
    parts = []
    for number, (name, title, collect) in enumerate(DOMAINS, start=1):
        data = collect(user_id)
        files[f"data/{name}.json"] = _dump(data)
        parts.append((f"data/{name}.json", title))
        _progress(export_id, int(80 * number / (len(DOMAINS) + 1)))
    files["data/privacy.json"] = _dump(_own_records(user_id))
    parts.append(("data/privacy.json", "协议同意记录、可选同意、注销申请"))
    licence_data = json.loads(files["data/licences.json"])
    for licence in licence_data["licences"]:
        files[f"licences/{licence['code']}.json"] = _dump(licence)
    access_log = json.loads(files["data/authorizations.json"])["access_log"]
    files["access_log.json"] = _dump(access_log)
    for name, pdf in esign.signed_documents(user_id):
        files[f"signed/{name}"] = pdf
    _progress(export_id, 90)
    archive = _zip(export_id, files, parts, len(licence_data["licences"]), len(access_log))
    days = current_app.config["PRIVACY_EXPORT_LINK_DAYS"]
    with db.unit_of_work("ready"):
        row = db.session().execute(select(DataExport).where(DataExport.id == export_id).with_for_update()
                                   ).scalar_one()
        now = utcnow()
        row.archive = base64.b64encode(archive).decode()
        row.archive_sha256, row.size_bytes = hashlib.sha256(archive).hexdigest(), len(archive)
        row.status, row.progress, row.ready_at, row.expires_at = "ready", 100, now, now + timedelta(days=days)
        audit("privacy.export_ready", actor=SYSTEM, object_type="data_export", object_id=row.id,
              on_behalf_of=f"citizen:{user_id}", details={"size_bytes": len(archive), "files": len(files)})
        title, body = inbox_text("data_export_ready", until=china_time_text(as_utc(row.expires_at)))
        notify_user(user_id, topic="security", title=title, body=body,
                    data={"export_id": row.id}, dedupe_key=f"privacy:export:{row.id}:ready")
    return row


def _zip(export_id: str, files: dict[str, bytes], parts: list, licences_count: int, access_count: int) -> bytes:
    index = {"export_id": export_id, "generated_at": isoformat(utcnow()),
             "files": [{"name": name, "bytes": len(data), "sha256": hashlib.sha256(data).hexdigest()}
                       for name, data in sorted(files.items())]}
    rows = "".join(f"<tr><td><a href=\"{html.escape(name)}\">{html.escape(name)}</a></td><td>{html.escape(title)}</td>"
                   "</tr>" for name, title in parts)
    page = (f"<!doctype html><html lang=\"zh-CN\"><meta charset=\"utf-8\"><title>南海通个人信息副本</title>"
            f"<h1>南海通个人信息副本</h1><p>生成时间（UTC）：{index['generated_at']}</p>"
            f"<table><tr><th>文件</th><th>内容</th></tr>{rows}"
            f"<tr><td>licences/</td><td>电子证照（{licences_count} 份，每份一个文件）</td></tr>"
            f"<tr><td>signed/</td><td>您签署的PDF文件</td></tr>"
            f"<tr><td>access_log.json</td><td>他人使用您数据的记录（{access_count} 条）</td></tr>"
            f"<tr><td>index.json</td><td>全部文件及其SHA-256校验值</td></tr></table></html>")
    readme = ("南海通个人信息副本\n\n打开 索引.html 查看各文件内容说明；index.json 列出全部文件及其 SHA-256。\n"
              "本副本包含您的个人信息，请妥善保管。\n")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        archive.writestr("README.txt", readme)
        archive.writestr("索引.html", page)
        archive.writestr("index.json", _dump(index))
        for name, data in sorted(files.items()):
            archive.writestr(name, data)
    return out.getvalue()


def expire_due() -> int:
    """Delete the archives whose link has expired."""
    with db.unit_of_work("expire"):
        rows = db.session().execute(select(DataExport).where(
            DataExport.status == "ready", DataExport.expires_at <= utcnow()).with_for_update()).scalars().all()
        for row in rows:
            row.status, row.archive = "expired", None
            audit("privacy.export_deleted", actor=SYSTEM, object_type="data_export", object_id=row.id,
                  on_behalf_of=f"citizen:{row.user_id}")
    return len(rows)
