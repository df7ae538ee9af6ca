"""Evaluation (好差评) after GB/T 39734-2020 and GB/T 39735-2020: once a case is closed the
person rates it once on five levels, optionally with reasons (the standard's evaluation
categories) and text. 不满意 or worse opens a follow-up (差评整改) that staff answer within
``ONE_STOP_FOLLOWUP_DAYS`` working days; overdue ones escalate (a job). The person sees the
answer and appraises it once. Staff read statistics per centre, matter and department and
export ratings in the national platform's data items.
"""

from __future__ import annotations

import json
from datetime import date, datetime, time, timezone

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.dialects import postgresql, sqlite

from .. import db
from ..audit.service import record as audit
from ..errors import Conflict, NotFound
from ..kernel import Principal
from ..messages import service as messages
from ..sms_templates import inbox_text
from ..timeutil import CHINA_STANDARD_TIME, as_utc, china_now, utcnow
from . import calendar, cases, catalogue
from .centres import CENTRES
from .models import Case, Evaluation, EvaluationTally, FollowUp, Matter

LEVELS = {5: "非常满意", 4: "满意", 3: "基本满意", 2: "不满意", 1: "非常不满意"}
BAD = 2  # this level or lower opens a follow-up
ALL_TIME = "all"  # the tallies' month for every month together
# The standard's evaluation categories (渠道、事项、效率、态度、效果、廉洁), as reasons a person may pick.
REASONS = {
    "guide": "办事指南不清晰、不准确",
    "materials": "申请材料过多或重复提交",
    "time": "办理时间过长或超时办结",
    "visits": "多次跑动、未能一次办成",
    "attitude": "工作人员服务态度不好",
    "channel": "线上系统、预约或窗口渠道不便",
    "result": "办理结果不符合预期",
    "fees": "收费不合理",
    "integrity": "存在吃拿卡要等不廉洁行为",
    "other": "其他",
}
AREA_CODE = "440605"  # 佛山市南海区
CHANNEL_CODES = {"app": "2", "miniprogram": "2", "counter": "4"}  # national pf: 2 mobile, 4 hall terminal


def evaluated(case_id: str) -> bool:
    return db.session().execute(select(Evaluation.id).where(Evaluation.case_id == case_id)).first() is not None


def _today() -> date:
    return china_now().date()


@db.unit_of_work(conflict=Conflict("This case has been rated already.", code="already_evaluated"))
def rate(principal: Principal, case_id: str, level: int, reasons: list[str], text: str | None) -> Evaluation:
    case = cases.get_case(principal, case_id, "one_stop:evaluate", lock=True)
    if case.status not in cases.CLOSED:
        raise Conflict("A case can be rated once it is closed.", code="case_not_closed", details={"status": case.status})
    if evaluated(case.id):
        raise Conflict("This case has been rated already.", code="already_evaluated")
    department = catalogue.get_matter(case.matter_id).department if case.matter_id else None
    evaluation = Evaluation(case_id=case.id, owner_kind=case.owner_kind, owner_id=case.owner_id, level=level,
                            reasons=json.dumps(sorted(set(reasons))), text=text, channel=principal.audience,
                            centre_code=case.centre_code, matter_id=case.matter_id, department=department)
    session = db.session()
    session.add(evaluation)
    session.flush()
    _count(evaluation)
    followup = None
    if level <= BAD:
        due = calendar.add_working_days(_today(), current_app.config["ONE_STOP_FOLLOWUP_DAYS"])
        followup = FollowUp(evaluation_id=evaluation.id, status="open", due_on=due.isoformat())
        session.add(followup)
        session.flush()
    audit("one_stop.evaluated", object_type="case", object_id=case.id,
          details={"evaluation_id": evaluation.id, "level": level, "followup_id": followup.id if followup else None})
    return evaluation


def _count(evaluation: Evaluation) -> None:
    """Add the rating to its tallies, this month's and all time's, per dimension: one upsert
    of up to six rows, in the rating's unit of work."""
    session = db.session()
    insert = postgresql.insert if session.get_bind().dialect.name == "postgresql" else sqlite.insert
    month = _today().strftime("%Y-%m")
    table = EvaluationTally.__table__
    rows = [{"dimension": dimension, "key": key, "month": period, "level": evaluation.level, "count": 1}
            for dimension, key in (("centre", evaluation.centre_code), ("matter", evaluation.matter_id),
                                   ("department", evaluation.department)) if key is not None
            for period in (month, ALL_TIME)]
    if not rows:  # a provincial application's case: no centre, matter or department of ours
        return
    statement = insert(table).values(rows)
    session.execute(statement.on_conflict_do_update(
        index_elements=[table.c.dimension, table.c.key, table.c.month, table.c.level],
        set_={"count": table.c.count + statement.excluded.count}))


def evaluation_of(principal: Principal, case_id: str) -> Evaluation:
    case = cases.get_case(principal, case_id, "one_stop:evaluate")
    evaluation = db.session().execute(select(Evaluation).where(Evaluation.case_id == case.id)).scalar_one_or_none()
    if evaluation is None:
        raise NotFound("This case has not been rated.", code="evaluation_not_found")
    return evaluation


def evaluation_by_id(evaluation_id: str) -> Evaluation | None:
    return db.session().get(Evaluation, evaluation_id)


def followup_of(evaluation_id: str, *, lock: bool = False) -> FollowUp | None:
    query = select(FollowUp).where(FollowUp.evaluation_id == evaluation_id)
    return db.session().execute(query.with_for_update() if lock else query).scalar_one_or_none()


@db.unit_of_work()
def appraise(principal: Principal, case_id: str, appraisal: str, text: str | None) -> Evaluation:
    """The person's word on the staff's answer to their bad rating (once)."""
    evaluation = evaluation_of(principal, case_id)
    followup = followup_of(evaluation.id, lock=True)
    if followup is None:
        raise NotFound("This rating has no follow-up.", code="followup_not_found")
    if followup.status != "answered":
        raise Conflict("The follow-up has not been answered, or was appraised already.", code="followup_not_answered",
                       details={"status": followup.status})
    followup.appraisal, followup.appraisal_text, followup.appraised_at = appraisal, text, utcnow()
    followup.status = "closed"
    audit("one_stop.followup_appraised", object_type="followup", object_id=followup.id,
          details={"appraisal": appraisal})
    return evaluation


# -- staff: follow-ups --------------------------------------------------------------------

def list_followups(*, status: str | None, escalated: bool | None, limit: int, cursor: str | None):
    query = select(FollowUp)
    if status:
        query = query.where(FollowUp.status == status)
    if escalated is not None:
        query = query.where(FollowUp.escalated_at.is_not(None) if escalated else FollowUp.escalated_at.is_(None))
    if cursor:
        query = query.where(FollowUp.id < cursor)
    rows = db.session().execute(query.order_by(FollowUp.id.desc()).limit(limit + 1)).scalars().all()
    return rows[:limit], (rows[limit - 1].id if len(rows) > limit else None)


@db.unit_of_work()
def answer(staff: Principal, followup_id: str, text: str) -> FollowUp:
    followup = db.session().get(FollowUp, followup_id, with_for_update=True)
    if followup is None:
        raise NotFound("No such follow-up.", code="followup_not_found")
    if followup.status != "open":
        raise Conflict("This follow-up has been answered.", code="followup_answered")
    followup.status, followup.answer, followup.answered_by, followup.answered_at = (
        "answered", text, staff.audit_name, utcnow())
    evaluation = db.session().get(Evaluation, followup.evaluation_id)
    case = db.session().get(Case, evaluation.case_id)
    audit("one_stop.followup_answered", actor=staff.audit_name, object_type="followup", object_id=followup.id,
          details={"late": followup.due_on < _today().isoformat()})
    title, body = inbox_text("case_followup_answered", number=case.number)
    data = {"case_id": case.id, "kind": "one_stop_followup"}
    if case.owner_kind == "enterprise":
        messages.notify_enterprise(case.owner_id, topic="application_status", title=title, body=body, data=data,
                                   dedupe_key=f"one-stop-followup:{followup.id}")
    else:
        messages.notify_user(case.applicant_id or case.owner_id, topic="application_status", title=title, body=body,
                             data=data, dedupe_key=f"one-stop-followup:{followup.id}")
    return followup


@db.unit_of_work()
def escalate_overdue() -> int:
    """Open follow-ups past their due day escalate (once each): answers how many."""
    overdue = db.session().execute(select(FollowUp).where(
        FollowUp.status == "open", FollowUp.due_on < _today().isoformat(), FollowUp.escalated_at.is_(None))
        .with_for_update()).scalars().all()
    for followup in overdue:
        followup.escalated_at = utcnow()
        audit("one_stop.followup_escalated", actor="system:jobs", object_type="followup", object_id=followup.id,
              details={"due_on": followup.due_on})
    return len(overdue)


# -- statistics and export ----------------------------------------------------------------

def statistics(by: str, *, from_month: str | None, to_month: str | None, limit: int = 100,
               cursor: str | None = None) -> tuple[list[dict], str | None]:
    """Ratings per level for each centre, matter or department (a page of them, by key),
    summed from the monthly tallies, or read from the all-time ones without a month range:
    a few hundred to a few thousand rows at district scale, whatever the number of ratings."""
    where = [EvaluationTally.dimension == by]
    if from_month or to_month:
        where.append(EvaluationTally.month != ALL_TIME)
        if from_month:
            where.append(EvaluationTally.month >= from_month)
        if to_month:
            where.append(EvaluationTally.month <= to_month)
    else:  # all time: one row per key and level, kept as ratings come
        where.append(EvaluationTally.month == ALL_TIME)
    offset = catalogue.offset_of(cursor)
    keys = list(db.session().execute(select(EvaluationTally.key).where(*where).group_by(EvaluationTally.key)
                                     .order_by(EvaluationTally.key).offset(offset).limit(limit + 1)).scalars())
    page = keys[:limit]
    per_key: dict[str, dict[int, int]] = {key: {} for key in page}
    if page:
        for key, level, count in db.session().execute(
                select(EvaluationTally.key, EvaluationTally.level, func.sum(EvaluationTally.count))
                .where(*where, EvaluationTally.key.between(page[0], page[-1]))  # the page's keys: one range
                .group_by(EvaluationTally.key, EvaluationTally.level)):
            per_key[key][level] = int(count)
    names = {}
    if by == "matter":
        names = {key: name for key, (_, name) in catalogue.names_and_codes(page).items()}
    out = []
    for key in page:
        counts = per_key[key]
        total = sum(counts.values())
        levels = {LEVELS[level]: counts.get(level, 0) for level in LEVELS}
        good = sum(counts.get(level, 0) for level in (5, 4, 3))
        name = CENTRES[key].name if by == "centre" and key in CENTRES else names.get(key, key)
        out.append({"key": key, "name": name, "total": total, "levels": levels,
                    "bad": total - good, "satisfaction_rate": round(good / total, 4) if total else None})
    return out, (str(offset + limit) if len(keys) > limit else None)


def _utc_bounds(from_day: str | None, to_day: str | None):
    # In UTC, as the ratings' times are kept: SQLite compares the wall-clock text, so a
    # China-time bound would be eight hours off there.
    start = datetime.combine(date.fromisoformat(from_day), time(0), tzinfo=CHINA_STANDARD_TIME) if from_day else None
    end = datetime.combine(date.fromisoformat(to_day), time(23, 59, 59, 999999),
                           tzinfo=CHINA_STANDARD_TIME) if to_day else None
    return (start.astimezone(timezone.utc) if start else None), (end.astimezone(timezone.utc) if end else None)


def export(*, from_day: str | None, to_day: str | None, limit: int, cursor: str | None) -> tuple[list[dict], str | None]:
    """Ratings in the national platform's data items (全国一体化政务服务平台 好差评), oldest first.

    One query of the columns the items need (the case's number, the matter's code and name,
    the follow-up's outcome joined in): a page of thousands of rows builds no ORM objects
    and sends no lists of ids back to the database."""
    query = (select(Evaluation.id, Evaluation.level, Evaluation.reasons, Evaluation.text, Evaluation.channel,
                    Evaluation.department, Evaluation.owner_kind, Evaluation.created_at, Case.number,
                    Case.centre_code, Matter.code.label("matter_code"), Matter.name.label("matter_name"),
                    FollowUp.status.label("rectify_status"), FollowUp.answer.label("rectify_result"),
                    FollowUp.appraisal.label("rectify_appraisal"))
             .join(Case, Case.id == Evaluation.case_id)
             .outerjoin(Matter, Matter.id == Evaluation.matter_id)
             .outerjoin(FollowUp, FollowUp.evaluation_id == Evaluation.id))
    start, end = _utc_bounds(from_day, to_day)
    if start:
        query = query.where(Evaluation.created_at >= start)
    if end:
        query = query.where(Evaluation.created_at <= end)
    if cursor:
        query = query.where(Evaluation.id > cursor)
    rows = db.session().execute(query.order_by(Evaluation.id).limit(limit + 1)).all()
    halls = {code: centre.name for code, centre in CENTRES.items()}
    items = []
    for row in rows[:limit]:
        reasons = json.loads(row.reasons)
        items.append({
            "assessNumber": row.id, "projectNo": row.number, "taskCode": row.matter_code, "taskName": row.matter_name,
            "deptName": row.department, "areaCode": AREA_CODE, "hallName": halls.get(row.centre_code),
            "pf": CHANNEL_CODES.get(row.channel, "2"), "alternate": str(row.level),
            "alternateName": LEVELS[row.level], "appraisald": ",".join(reasons),
            "appraisaldName": "；".join(REASONS[r] for r in reasons), "writingEvaluation": row.text,
            "assessTime": as_utc(row.created_at).astimezone(CHINA_STANDARD_TIME).strftime("%Y-%m-%d %H:%M:%S"),
            "userProp": "2" if row.owner_kind == "enterprise" else "1",
            "rectifyStatus": row.rectify_status, "rectifyResult": row.rectify_result,
            "rectifyAppraisal": row.rectify_appraisal,
        })
    return items, (rows[limit - 1].id if len(rows) > limit else None)
