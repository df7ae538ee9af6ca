"""crypto suite: each audit link names its MAC algorithm; partners' ID-token algorithm; the SM2 CA's keys

Revision ID: 0012n
Revises: 0011
Create Date: 2026-12-04 21:10:00

NULL means HMAC-SHA256 (every link written before the national suite existed). A plain
ADD COLUMN, not a batch rebuild: rebuilding audit_events on SQLite would drop the
triggers that refuse UPDATE and DELETE. (The downgrade does rebuild it on SQLite.)
partners.id_token_alg: NULL is ES256, else "SM2SM3".
"""
import sqlalchemy as sa
from alembic import op

revision = '0012n'
down_revision = '0011'
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
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_column('hash_alg')
