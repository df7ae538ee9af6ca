"""Bundled life events (一件事一次办, 国办发〔2025〕24号): several matters applied for with one
combined form. Each form field says which matters' applications it feeds; applying opens
one case for the person with one part per matter, and each part moves on its own (staff
accept, complete or reject it like any case). The whole follows its parts: accepted once
any part is, completed when every part is closed and one was completed, rejected when all
were. The person rates the whole once.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from .. import db
from ..audit.service import record as audit
from ..authorizations import Resource, authorize
from ..errors import Conflict, NotFound, ValidationFailed
from ..kernel import Principal
from ..timeutil import utcnow
from . import cases, catalogue
from .models import Bundle, Case


def _check(fields: dict) -> list:
    matters = []
    for code in fields["matter_codes"]:
        matter = catalogue.matter_by_code(code)
        if matter is None or matter.status != "active":
            raise ValidationFailed({"matter_codes": ["Every code must be an active matter's."]})
        matters.append(matter)
    if len(set(fields["matter_codes"])) != len(fields["matter_codes"]):
        raise ValidationFailed({"matter_codes": ["A matter appears once."]})
    names = [f["name"] for f in fields["fields"]]
    if len(set(names)) != len(names):
        raise ValidationFailed({"fields": ["Field names must differ."]})
    for field in fields["fields"]:
        if not set(field["matters"]) <= set(fields["matter_codes"]):
            raise ValidationFailed({"fields": ["A field may feed only the bundle's matters."]})
    return matters


@db.unit_of_work(conflict=Conflict("A bundle with this code exists.", code="bundle_code_taken"))
def create_bundle(staff: Principal, fields: dict) -> Bundle:
    _check(fields)
    bundle = Bundle(code=fields["code"], name=fields["name"], description=fields["description"],
                    audience=fields["audience"], matter_codes=json.dumps(fields["matter_codes"]),
                    fields=json.dumps(fields["fields"], ensure_ascii=False), status="active",
                    created_by=staff.audit_name)
    db.session().add(bundle)
    db.session().flush()
    audit("one_stop.bundle_created", actor=staff.audit_name, object_type="bundle", object_id=bundle.id,
          details={"code": bundle.code, "matters": fields["matter_codes"]})
    return bundle


def bundle_by_code(code: str) -> Bundle | None:
    return db.session().execute(select(Bundle).where(Bundle.code == code)).scalar_one_or_none()


def get_bundle_by_id(bundle_id: str) -> Bundle:
    bundle = db.session().get(Bundle, bundle_id)
    if bundle is None:
        raise NotFound("No such bundle.", code="bundle_not_found")
    return bundle


def list_bundles() -> list[Bundle]:
    return list(db.session().execute(select(Bundle).where(Bundle.status == "active").order_by(Bundle.code)).scalars())


@db.unit_of_work()
def apply(principal: Principal, bundle_id: str, answers: dict, centre_code: str | None) -> Case:
    """One combined form: each matter's part gets the answers of the fields that feed it."""
    kind, ident = principal.subject
    authorize(principal, "one_stop:apply", Resource(type="case", owner_kind=kind, owner_id=ident))
    bundle = get_bundle_by_id(bundle_id)
    fields = json.loads(bundle.fields)
    problems = {f["name"]: ["Missing data for required field."] for f in fields
                if f["required"] and answers.get(f["name"]) in (None, "")}
    known = {f["name"] for f in fields}
    problems.update({name: ["Unknown field."] for name in answers if name not in known})
    if problems:
        raise ValidationFailed(problems)
    matters = [catalogue.matter_by_code(code) for code in json.loads(bundle.matter_codes)]
    centre = centre_code or catalogue.centre_codes_of(matters[0].id)[0]
    whole = cases.new_case(owner=(kind, ident), applicant_id=principal.account_id, matter=None, centre_code=centre,
                           channel="bundle", actor=principal.audit_name, form=answers, status="submitted",
                           bundle_id=bundle.id)
    for matter in matters:
        if matter is None or matter.status != "active":
            raise Conflict("A matter of this bundle is no longer offered.", code="bundle_matter_retired")
        part_form = {f["name"]: answers[f["name"]] for f in fields if matter.code in f["matters"] and f["name"] in answers}
        cases.new_case(owner=(kind, ident), applicant_id=principal.account_id, matter=matter,
                       centre_code=centre if catalogue.handles(matter.id, centre) else None, channel="bundle",
                       actor=principal.audit_name, form=part_form, status="submitted", bundle_id=bundle.id,
                       parent=whole)
    return whole


def _status_of(parts: list[Case]) -> str:
    statuses = [p.status for p in parts]
    if all(s in cases.CLOSED for s in statuses):
        return "completed" if "completed" in statuses else "rejected"
    if any(s != "submitted" for s in statuses):
        return "accepted"
    return "submitted"


def follow_parts(parent_id: str, actor: str) -> None:
    """The whole follows its parts (inside the part's unit of work)."""
    whole = db.session().get(Case, parent_id, with_for_update=True)
    parts = cases.parts_of(parent_id)
    deadlines = [p.deadline for p in parts if p.deadline]
    whole.deadline = max(deadlines) if deadlines else None
    status = _status_of(parts)
    if status == whole.status:
        return
    whole.status = status
    if status == "accepted" and whole.accepted_on is None:
        whole.accepted_on = parts[0].accepted_on
    if status in cases.CLOSED:
        whole.closed_at = utcnow()
    db.session().add(whole)
    cases.record_event(whole, status, actor)
    cases.notify(whole, get_bundle_by_id(whole.bundle_id).name)
