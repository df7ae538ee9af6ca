"""Evaluation (好差评) of finished cases."""

from __future__ import annotations

from sqlalchemy import select

from .. import db
from .models import Evaluation


def evaluated(case_id: str) -> bool:
    return db.session().execute(select(Evaluation.id).where(Evaluation.case_id == case_id)).first() is not None
