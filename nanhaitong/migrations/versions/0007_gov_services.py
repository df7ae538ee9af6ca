"""gov services: catalogue, applications, status history (issue 7)

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-22 03:21:09.127844
"""
import sqlalchemy as sa
from alembic import op

revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('gov_service_items',
    sa.Column('code', sa.String(length=64), nullable=False),
    sa.Column('provider', sa.String(length=24), nullable=False),
    sa.Column('audience', sa.String(length=12), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('category', sa.String(length=40), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=False),
    sa.Column('department', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('eligibility', sa.Text(), nullable=False),
    sa.Column('materials', sa.Text(), nullable=False),
    sa.Column('fee_fen', sa.Integer(), nullable=False),
    sa.Column('fee_note', sa.String(length=200), nullable=True),
    sa.Column('legal_time_limit_days', sa.Integer(), nullable=True),
    sa.Column('promised_time_limit_days', sa.Integer(), nullable=True),
    sa.Column('form_schema', sa.Text(), nullable=False),
    sa.Column('attachable_licence_types', sa.Text(), nullable=False),
    sa.Column('cacheable', sa.Boolean(), nullable=False),
    sa.Column('cache_ttl_seconds', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('code', name=op.f('pk_gov_service_items'))
    )
    with op.batch_alter_table('gov_service_items', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gov_service_items_category'), ['category'], unique=False)

    op.create_table('gov_applications',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('service_code', sa.String(length=64), nullable=False),
    sa.Column('provider', sa.String(length=24), nullable=False),
    sa.Column('subject_kind', sa.String(length=12), nullable=False),
    sa.Column('subject_id', sa.String(length=26), nullable=False),
    sa.Column('applicant_id', sa.String(length=26), nullable=False),
    sa.Column('grant_id', sa.String(length=26), nullable=True),
    sa.Column('form', sa.Text(), nullable=False),
    sa.Column('attachments', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('upstream_reference', sa.String(length=40), nullable=True),
    sa.Column('upstream_version', sa.Integer(), nullable=False),
    sa.Column('delivery_attempts', sa.Integer(), nullable=False),
    sa.Column('last_error', sa.String(length=80), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('submitted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_polled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['service_code'], ['gov_service_items.code'], name=op.f('fk_gov_applications_service_code_gov_service_items')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gov_applications')),
    sa.UniqueConstraint('upstream_reference', name=op.f('uq_gov_applications_upstream_reference'))
    )
    with op.batch_alter_table('gov_applications', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gov_applications_service_code'), ['service_code'], unique=False)
        batch_op.create_index(batch_op.f('ix_gov_applications_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_gov_applications_subject_id'), ['subject_id'], unique=False)

    op.create_table('gov_application_events',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('application_id', sa.String(length=26), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('previous_status', sa.String(length=24), nullable=True),
    sa.Column('source', sa.String(length=16), nullable=False),
    sa.Column('note', sa.Text(), nullable=True),
    sa.Column('upstream_version', sa.Integer(), nullable=True),
    sa.Column('occurred_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('recorded_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['application_id'], ['gov_applications.id'], name=op.f('fk_gov_application_events_application_id_gov_applications')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_gov_application_events'))
    )
    with op.batch_alter_table('gov_application_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_gov_application_events_application_id'), ['application_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('gov_application_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gov_application_events_application_id'))

    op.drop_table('gov_application_events')
    with op.batch_alter_table('gov_applications', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gov_applications_subject_id'))
        batch_op.drop_index(batch_op.f('ix_gov_applications_status'))
        batch_op.drop_index(batch_op.f('ix_gov_applications_service_code'))

    op.drop_table('gov_applications')
    with op.batch_alter_table('gov_service_items', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_gov_service_items_category'))

    op.drop_table('gov_service_items')
