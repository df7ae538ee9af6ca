"""One-stop services (一站式服务): the district's matters and service centres, appointments,
cases, evaluations, bundles and benefits granted without application."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, DateTime, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from ..db import Base
from ..ids import new_id
from ..security.fields import EncryptedText
from ..timeutil import utcnow

UtcDateTime = DateTime(timezone=True)


FORM_CONTEXT = "one_stop.case_form"


class Matter(Base):
    """A government service matter (政务服务事项) as the district handles it."""

    __tablename__ = "one_stop_matters"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    department: Mapped[str] = mapped_column(String(60), index=True)
    audience: Mapped[str] = mapped_column(String(12), default="citizen")  # citizen | enterprise | both
    materials: Mapped[str] = mapped_column(Text, default="[]")  # JSON list of {name, copies, note}
    legal_days: Mapped[int] = mapped_column(Integer)  # legal time limit, working days
    promised_days: Mapped[int] = mapped_column(Integer)  # the district's promise (承诺时限), working days
    fee_fen: Mapped[int] = mapped_column(Integer, default=0)
    fee_note: Mapped[str | None] = mapped_column(String(200))
    online: Mapped[bool] = mapped_column(Boolean, default=False)
    by_post: Mapped[bool] = mapped_column(Boolean, default=False)
    visits: Mapped[int] = mapped_column(Integer, default=1)  # visits needed in person (跑动次数)
    slot_capacity: Mapped[int] = mapped_column(Integer, default=2)  # people per appointment slot
    status: Mapped[str] = mapped_column(String(10), default="active", index=True)  # active | retired
    search_text: Mapped[str] = mapped_column(Text, default="")
    # The codes of the centres handling it (JSON list, sorted): one_stop_matter_centres' rows,
    # written with them, so a page of matters is one query.
    centre_codes: Mapped[str] = mapped_column(Text, default="[]", server_default="[]")
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class MatterCentre(Base):
    """Which centres handle a matter."""

    __tablename__ = "one_stop_matter_centres"

    matter_id: Mapped[str] = mapped_column(ForeignKey("one_stop_matters.id"), primary_key=True)
    centre_code: Mapped[str] = mapped_column(String(20), primary_key=True, index=True)


class Slot(Base):
    """An appointment slot that somebody booked at least once: the counter the race is run on.
    Slots nobody booked exist only as the centre's calendar computes them."""

    __tablename__ = "one_stop_slots"
    __table_args__ = (UniqueConstraint("centre_code", "matter_id", "day", "start"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    centre_code: Mapped[str] = mapped_column(String(20))
    matter_id: Mapped[str] = mapped_column(ForeignKey("one_stop_matters.id"))
    day: Mapped[str] = mapped_column(String(10))  # ISO date, China
    start: Mapped[str] = mapped_column(String(5))  # HH:MM, China time
    capacity: Mapped[int] = mapped_column(Integer)
    booked: Mapped[int] = mapped_column(Integer, default=0)


class Appointment(Base):
    __tablename__ = "one_stop_appointments"
    __table_args__ = (Index("ix_one_stop_appointments_owner", "owner_kind", "owner_id", "id"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    slot_id: Mapped[str] = mapped_column(ForeignKey("one_stop_slots.id"), index=True)
    owner_kind: Mapped[str] = mapped_column(String(10))
    owner_id: Mapped[str] = mapped_column(String(26))
    user_id: Mapped[str] = mapped_column(String(26))  # who booked (and is reminded)
    centre_code: Mapped[str] = mapped_column(String(20))
    matter_id: Mapped[str] = mapped_column(String(26))
    day: Mapped[str] = mapped_column(String(10), index=True)
    start: Mapped[str] = mapped_column(String(5))
    status: Mapped[str] = mapped_column(String(12), default="booked", index=True)
    # booked | cancelled | checked_in | no_show
    checkin_token: Mapped[str] = mapped_column(String(40), unique=True)
    queue_number: Mapped[str | None] = mapped_column(String(8))
    changes: Mapped[int] = mapped_column(Integer, default=0)
    checked_in_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    reminded_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    cancelled_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    no_show_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class BookingBlock(Base):
    """Booking refused until ``blocked_until`` after three no-shows within 30 days."""

    __tablename__ = "one_stop_booking_blocks"
    __table_args__ = (Index("ix_one_stop_booking_blocks_owner", "owner_kind", "owner_id"),)

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    owner_kind: Mapped[str] = mapped_column(String(10))
    owner_id: Mapped[str] = mapped_column(String(26))
    blocked_until: Mapped[str] = mapped_column(String(10))  # ISO date, China; booking opens again that day
    no_shows: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class QueueCounter(Base):
    """The queue numbers (取号) a centre handed out on a day."""

    __tablename__ = "one_stop_queue_counters"

    centre_code: Mapped[str] = mapped_column(String(20), primary_key=True)
    day: Mapped[str] = mapped_column(String(10), primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Case(Base):
    """A case (办件): one application of one matter, or a bundle's whole (with one part per matter)."""

    __tablename__ = "one_stop_cases"
    __table_args__ = (Index("ix_one_stop_cases_owner", "owner_kind", "owner_id", "id"),
                      Index("ix_one_stop_cases_open_deadline", "status", "deadline"))

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    number: Mapped[str] = mapped_column(String(32), unique=True)  # 办件编号
    owner_kind: Mapped[str] = mapped_column(String(10))
    owner_id: Mapped[str] = mapped_column(String(26))
    applicant_id: Mapped[str | None] = mapped_column(String(26))  # the citizen account that applied
    matter_id: Mapped[str | None] = mapped_column(ForeignKey("one_stop_matters.id"), index=True)
    bundle_id: Mapped[str | None] = mapped_column(String(26), index=True)
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("one_stop_cases.id"), index=True)
    centre_code: Mapped[str | None] = mapped_column(String(20))
    channel: Mapped[str] = mapped_column(String(12))  # appointment | online | counter | bundle | provincial
    appointment_id: Mapped[str | None] = mapped_column(String(26), unique=True)
    gov_application_id: Mapped[str | None] = mapped_column(String(26), unique=True)  # a provincial application
    title: Mapped[str | None] = mapped_column(String(120))  # the provincial service's name
    # The application form (JSON; names, ID numbers, addresses): encrypted at rest.
    form: Mapped[str] = mapped_column(EncryptedText(FORM_CONTEXT), default="{}")
    status: Mapped[str] = mapped_column(String(12))  # submitted | accepted | completed | rejected
    accepted_on: Mapped[str] = mapped_column(String(10))
    legal_days: Mapped[int | None] = mapped_column(Integer)
    deadline: Mapped[str | None] = mapped_column(String(10))  # last working day, ISO date, China
    warned_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    closed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class CaseEvent(Base):
    __tablename__ = "one_stop_case_events"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("one_stop_cases.id"), index=True)
    status: Mapped[str] = mapped_column(String(12))
    note: Mapped[str | None] = mapped_column(String(500))
    actor: Mapped[str] = mapped_column(String(40))
    at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Evaluation(Base):
    """A rating (好差评) of a case, once per case; the case's centre, matter and department
    are copied so statistics need no join."""

    __tablename__ = "one_stop_evaluations"
    __table_args__ = (Index("ix_one_stop_evaluations_centre", "centre_code", "level"),
                      Index("ix_one_stop_evaluations_matter", "matter_id", "level"),
                      Index("ix_one_stop_evaluations_department", "department", "level"))

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    case_id: Mapped[str] = mapped_column(ForeignKey("one_stop_cases.id"), unique=True)
    owner_kind: Mapped[str] = mapped_column(String(10))
    owner_id: Mapped[str] = mapped_column(String(26))
    level: Mapped[int] = mapped_column(Integer)  # 5 非常满意 ... 1 非常不满意
    reasons: Mapped[str] = mapped_column(Text, default="[]")
    text: Mapped[str | None] = mapped_column(Text)
    channel: Mapped[str] = mapped_column(String(12))  # where the person rated: app | miniprogram
    centre_code: Mapped[str | None] = mapped_column(String(20))
    matter_id: Mapped[str | None] = mapped_column(String(26))
    department: Mapped[str | None] = mapped_column(String(60))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow, index=True)


class FollowUp(Base):
    """The follow-up (差评整改) a bad rating opens: staff answer within working days, the
    person appraises the answer."""

    __tablename__ = "one_stop_followups"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    evaluation_id: Mapped[str] = mapped_column(ForeignKey("one_stop_evaluations.id"), unique=True)
    status: Mapped[str] = mapped_column(String(12), default="open", index=True)  # open | answered | closed
    due_on: Mapped[str] = mapped_column(String(10))
    escalated_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    answer: Mapped[str | None] = mapped_column(Text)
    answered_by: Mapped[str | None] = mapped_column(String(40))
    answered_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    appraisal: Mapped[str | None] = mapped_column(String(12))  # satisfied | unsatisfied
    appraisal_text: Mapped[str | None] = mapped_column(Text)
    appraised_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Bundle(Base):
    """A life event's bundle (一件事一次办): matters applied for with one combined form."""

    __tablename__ = "one_stop_bundles"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    code: Mapped[str] = mapped_column(String(40), unique=True)
    name: Mapped[str] = mapped_column(String(100))
    description: Mapped[str] = mapped_column(Text)
    audience: Mapped[str] = mapped_column(String(12), default="citizen")
    matter_codes: Mapped[str] = mapped_column(Text)  # JSON list
    fields: Mapped[str] = mapped_column(Text)  # JSON list of {name, label, required, matters}
    status: Mapped[str] = mapped_column(String(10), default="active")
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Benefit(Base):
    """A published policy granted without application (免申即享), and what each enterprise gets."""

    __tablename__ = "one_stop_benefits"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    policy_id: Mapped[str] = mapped_column(String(26), unique=True)
    policy_version: Mapped[int] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(200))
    amount_fen: Mapped[int] = mapped_column(Integer)
    offered: Mapped[int] = mapped_column(Integer, default=0)
    created_by: Mapped[str] = mapped_column(String(40))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class BenefitOffer(Base):
    __tablename__ = "one_stop_benefit_offers"
    __table_args__ = (UniqueConstraint("benefit_id", "enterprise_id"),
                      Index("ix_one_stop_benefit_offers_enterprise", "enterprise_id", "id"))

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    benefit_id: Mapped[str] = mapped_column(ForeignKey("one_stop_benefits.id"))
    enterprise_id: Mapped[str] = mapped_column(String(26))
    amount_fen: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="offered")  # offered | confirmed
    confirmed_by: Mapped[str | None] = mapped_column(String(40))
    confirmed_at: Mapped[datetime | None] = mapped_column(UtcDateTime)
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class Disbursement(Base):
    """The payment a confirmed offer gives rise to (拨付), to the enterprise's account on file."""

    __tablename__ = "one_stop_disbursements"

    id: Mapped[str] = mapped_column(String(26), primary_key=True, default=new_id)
    offer_id: Mapped[str] = mapped_column(ForeignKey("one_stop_benefit_offers.id"), unique=True)
    enterprise_id: Mapped[str] = mapped_column(String(26), index=True)
    amount_fen: Mapped[int] = mapped_column(Integer)
    status: Mapped[str] = mapped_column(String(12), default="scheduled")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime, default=utcnow)


class EvaluationTally(Base):
    """Ratings counted per centre, matter and department, month and level, as they are
    given: statistics sum a few thousand rows instead of scanning every rating."""

    __tablename__ = "one_stop_evaluation_tallies"
    # A page of one month's (or all time's) keys, read without the other months' rows.
    __table_args__ = (Index("ix_one_stop_evaluation_tallies_month", "dimension", "month", "key", "level", "count"),)

    dimension: Mapped[str] = mapped_column(String(12), primary_key=True)  # centre | matter | department
    key: Mapped[str] = mapped_column(String(60), primary_key=True)
    month: Mapped[str] = mapped_column(String(7), primary_key=True)  # YYYY-MM, China; "all": every month
    level: Mapped[int] = mapped_column(Integer, primary_key=True)
    count: Mapped[int] = mapped_column(Integer, default=0)
