"""licences: the wallet and presentations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # number, holder_name, fields and token hold FieldCipher tokens (personal data).
    op.create_table('licences',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('holder_kind', sa.String(length=12), nullable=False),
    sa.Column('holder_id', sa.String(length=26), nullable=False),
    sa.Column('code', sa.String(length=80), nullable=False),
    sa.Column('type_code', sa.String(length=40), nullable=False),
    sa.Column('issuer_code', sa.String(length=20), nullable=False),
    sa.Column('issuer_name', sa.String(length=100), nullable=False),
    sa.Column('number', sa.Text(), nullable=False),
    sa.Column('holder_name', sa.Text(), nullable=False),
    sa.Column('fields', sa.Text(), nullable=False),
    sa.Column('valid_from', sa.String(length=10), nullable=True),
    sa.Column('valid_until', sa.String(length=10), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('digest', sa.String(length=64), nullable=False),
    sa.Column('fetched_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expiry_notified_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licences')),
    sa.UniqueConstraint('holder_kind', 'holder_id', 'code', name=op.f('uq_licences_holder_kind_holder_id_code'))
    )
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_licences_holder_id'), ['holder_id'], unique=False)

    op.create_table('licence_presentations',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('licence_id', sa.String(length=26), nullable=False),
    sa.Column('disclosed', sa.Text(), nullable=False),
    sa.Column('token', sa.Text(), nullable=False),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['licence_id'], ['licences.id'], name=op.f('fk_licence_presentations_licence_id_licences')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_licence_presentations'))
    )
    with op.batch_alter_table('licence_presentations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_licence_presentations_licence_id'), ['licence_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('licence_presentations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_licence_presentations_licence_id'))

    op.drop_table('licence_presentations')
    with op.batch_alter_table('licences', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_licences_holder_id'))

    op.drop_table('licences')
