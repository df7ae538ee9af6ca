"""authorizations: grants with history, the access log, sessions acting under a grant

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('access_log',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('owner_kind', sa.String(length=12), nullable=False),
    sa.Column('owner_id', sa.String(length=26), nullable=False),
    sa.Column('accessor_kind', sa.String(length=12), nullable=False),
    sa.Column('accessor_id', sa.String(length=40), nullable=False),
    sa.Column('acting_as', sa.String(length=20), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.String(length=40), nullable=True),
    sa.Column('grant_id', sa.String(length=26), nullable=True),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_access_log'))
    )
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.create_index('ix_access_log_owner', ['owner_kind', 'owner_id', 'at'], unique=False)

    op.create_table('grants',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('grantor_kind', sa.String(length=12), nullable=False),
    sa.Column('grantor_id', sa.String(length=26), nullable=False),
    sa.Column('grantee_kind', sa.String(length=12), nullable=False),
    sa.Column('grantee_id', sa.String(length=40), nullable=False),
    sa.Column('scopes', sa.Text(), nullable=False),
    sa.Column('constraints', sa.Text(), nullable=False),
    sa.Column('purpose', sa.String(length=200), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('parent_id', sa.String(length=26), nullable=True),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_by', sa.String(length=40), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['grants.id'], name=op.f('fk_grants_parent_id_grants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grants'))
    )
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grants_grantee_id'), ['grantee_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_grants_grantor_id'), ['grantor_id'], unique=False)

    op.create_table('grant_events',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('grant_id', sa.String(length=26), nullable=False),
    sa.Column('event', sa.String(length=20), nullable=False),
    sa.Column('actor', sa.String(length=40), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['grant_id'], ['grants.id'], name=op.f('fk_grant_events_grant_id_grants')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_grant_events'))
    )
    with op.batch_alter_table('grant_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_grant_events_grant_id'), ['grant_id'], unique=False)

    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('grant_id', sa.String(length=26), nullable=True))



def downgrade() -> None:
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.drop_column('grant_id')

    with op.batch_alter_table('grant_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grant_events_grant_id'))

    op.drop_table('grant_events')
    with op.batch_alter_table('grants', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_grants_grantor_id'))
        batch_op.drop_index(batch_op.f('ix_grants_grantee_id'))

    op.drop_table('grants')
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.drop_index('ix_access_log_owner')

    op.drop_table('access_log')
