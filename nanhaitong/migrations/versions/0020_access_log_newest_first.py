"""access log: a page of one owner's entries read newest first by id from the index

Every reader of the access log (the owner's GET /me/access-log, the privacy export)
pages one owner's entries by id (ULID), newest first; the index put ``at`` after the
owner, so PostgreSQL fetched every entry of the owner and sorted them for each page (with
statistics that lagged the inserts, a bitmap scan and a top-N sort of all of them: about
1.5 ms of PostgreSQL CPU per page at 3,000 entries, growing with the log). Ordered by id
after the owner, a page is the index's last entries of that owner.

Revision ID: 0012rd
Revises: 0012os27
Create Date: 2026-12-05 06:50:00
"""
from alembic import op

revision = '0012rd'
down_revision = '0012os27'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("access_log") as batch:
        batch.drop_index("ix_access_log_owner")
        batch.create_index("ix_access_log_owner", ["owner_kind", "owner_id", "id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("access_log") as batch:
        batch.drop_index("ix_access_log_owner")
        batch.create_index("ix_access_log_owner", ["owner_kind", "owner_id", "at"], unique=False)
