"""One-stop objects served with the facts their response schemas show beside their own
columns (a matter's centres, a case's progress, a rating's follow-up): the models
themselves, ``With`` a few more attributes; the schemas in ``schemas.one_stop`` say how
each is shown."""

from __future__ import annotations

import json

from schemas.common import With

from ..timeutil import china_today
from .models import Matter


def with_centres(matters: list[Matter]) -> list[With]:
    """Matters with the codes of the centres that handle them, as each row keeps them (no second query)."""
    return [With(m, centres=json.loads(m.centre_codes)) for m in matters]


def with_centre_codes(matter: Matter) -> With:
    from .catalogue import centre_codes_of

    return With(matter, centres=centre_codes_of(matter.id))


def with_progress(case) -> With:
    """A case with its matter's (or bundle's) name, its working days left, its form, its
    status history, a bundle's parts each with theirs, and whether it was rated."""
    from .cases import form_of, history, parts_of, working_days_left
    from .catalogue import get_matter
    from .evaluations import evaluated

    def name(matter_id):
        return get_matter(matter_id).name if matter_id else None

    left = working_days_left(case)
    bundle_name = None
    if case.bundle_id and not case.matter_id:
        from .bundles import get_bundle_by_id

        bundle_name = get_bundle_by_id(case.bundle_id).name
    return With(case, matter_name=name(case.matter_id) or bundle_name or case.title, working_days_left=left,
                overdue=left is not None and left < 0, form=form_of(case), history=history(case.id),
                parts=[With(p, matter_name=name(p.matter_id), history=history(p.id)) for p in parts_of(case.id)],
                evaluated=evaluated(case.id))


def with_rating(followup, evaluation) -> With:
    """A follow-up of a bad rating with the rating it follows."""
    return With(followup, case_id=evaluation.case_id, level=evaluation.level, reasons=evaluation.reasons,
                text=evaluation.text,
                overdue=followup.status == "open" and followup.due_on < china_today().isoformat())


def with_followup(evaluation) -> With:
    """A rating with its level's name and, after a bad one, its follow-up."""
    from .evaluations import LEVELS, followup_of

    followup = followup_of(evaluation.id)
    return With(evaluation, level_name=LEVELS[evaluation.level],
                followup=with_rating(followup, evaluation) if followup else None)


def with_matters(bundle) -> With:
    """A bundle with the matters its codes name (those still in the catalogue)."""
    from .catalogue import matter_by_code

    matters = [matter_by_code(code) for code in json.loads(bundle.matter_codes)]
    return With(bundle, matters=[m for m in matters if m is not None])


def with_confirmed(benefit, new_offers: int | None = None) -> With:
    """A benefit with how many offers were confirmed (and how many this request made)."""
    from .benefits import confirmed_count

    return With(benefit, confirmed=confirmed_count(benefit.id),
                **({"new_offers": new_offers} if new_offers is not None else {}))


def with_benefit(offer) -> With:
    """An offer with its benefit's policy and title, and its disbursement once confirmed."""
    from .benefits import disbursement_of, get_benefit

    benefit = get_benefit(offer.benefit_id)
    return With(offer, policy_id=benefit.policy_id, title=benefit.title, disbursement=disbursement_of(offer.id))
