"""one-stop reads at district scale: tallies indexed by month; a matter's centres on its row

1. Statistics read one dimension's tallies of one month ('all', or a range of months) a
   page of keys at a time. The primary key (dimension, key, month, level) puts the month
   after the key, so a page of all-time statistics walked every month's rows of the
   dimension (about 90,000 index entries for the matters at district scale) to find a
   hundred keys; this index (covering the count too) reads just the rows of the page.
2. ``one_stop_matters.centre_codes``: the codes of the centres handling the matter (JSON
   list, sorted), written with one_stop_matter_centres' rows, so a page of matters (and a
   centre's slots) needs no second query. Filled here from those rows.

Revision ID: 0012os27
Revises: 0012os
Create Date: 2026-12-05 03:30:00
"""
import json
from itertools import groupby

import sqlalchemy as sa
from alembic import op

revision = '0012os27'
down_revision = '0012os'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_one_stop_evaluation_tallies_month", "one_stop_evaluation_tallies",
                    ["dimension", "month", "key", "level", "count"])
    with op.batch_alter_table("one_stop_matters") as batch:
        batch.add_column(sa.Column("centre_codes", sa.Text(), nullable=False, server_default="[]"))
    conn = op.get_bind()
    rows = conn.execute(sa.text("SELECT matter_id, centre_code FROM one_stop_matter_centres "
                                "ORDER BY matter_id, centre_code")).all()
    updates = [{"id": matter_id, "codes": json.dumps([code for _, code in group])}
               for matter_id, group in groupby(rows, key=lambda row: row[0])]
    if updates:
        conn.execute(sa.text("UPDATE one_stop_matters SET centre_codes = :codes WHERE id = :id"), updates)


def downgrade() -> None:
    with op.batch_alter_table("one_stop_matters") as batch:
        batch.drop_column("centre_codes")
    op.drop_index("ix_one_stop_evaluation_tallies_month", table_name="one_stop_evaluation_tallies")
