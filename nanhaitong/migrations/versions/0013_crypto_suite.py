"""crypto suite: each audit link names its MAC algorithm; partners' ID-token algorithm; the SM2 CA's keys

Revision ID: 0012n
Revises: 0012e
Create Date: 2026-12-04 21:10:00

NULL means HMAC-SHA256 (every link written before the national suite existed). A plain
ADD COLUMN, not a batch rebuild: rebuilding audit_events on SQLite would drop the
triggers that refuse UPDATE and DELETE.
partners.id_token_alg: NULL is ES256, else "SM2SM3".
"""
import sqlalchemy as sa
from alembic import op

revision = '0012n'
down_revision = '0012e'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column('audit_events', sa.Column('hash_alg', sa.String(length=16), nullable=True))
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.add_column(sa.Column('id_token_alg', sa.String(length=10), nullable=True))
    op.create_table('esign_sm2_authorities',
    sa.Column('name', sa.String(length=16), nullable=False),
    sa.Column('certificate_der', sa.LargeBinary(), nullable=False),
    sa.Column('private_key', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_esign_sm2_authorities'))
    )


def downgrade() -> None:
    with op.batch_alter_table('partners', schema=None) as batch_op:
        batch_op.drop_column('id_token_alg')
    op.drop_table('esign_sm2_authorities')
    if op.get_bind().dialect.name == "postgresql":
        op.drop_column('audit_events', 'hash_alg')
        return
    # SQLite (3.35+) drops a column in place; a batch rebuild would lose the append-only triggers.
    op.execute("DROP TRIGGER audit_events_no_update")
    op.execute("DROP TRIGGER audit_events_no_delete")
    op.drop_column('audit_events', 'hash_alg')
    for verb in ("UPDATE", "DELETE"):
        op.execute(f"CREATE TRIGGER audit_events_no_{verb.lower()} BEFORE {verb} ON audit_events "
                   "BEGIN SELECT RAISE(ABORT, 'audit_events is append-only'); END")
