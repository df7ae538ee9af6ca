"""one-stop: all-time evaluation tallies (month 'all') beside the monthly ones

Statistics without a month range read one row per key and level instead of summing every
month's; the ratings already counted are summed into them here.

Revision ID: 0012os
Revises: 0012p
Create Date: 2026-12-05 00:30:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0012os'
down_revision = '0012p'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.execute(sa.text(
        "INSERT INTO one_stop_evaluation_tallies (dimension, key, month, level, count) "
        "SELECT dimension, key, 'all', level, sum(count) FROM one_stop_evaluation_tallies "
        "WHERE month <> 'all' GROUP BY dimension, key, level"))


def downgrade() -> None:
    op.execute(sa.text("DELETE FROM one_stop_evaluation_tallies WHERE month = 'all'"))
