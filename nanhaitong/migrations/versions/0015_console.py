"""staff console: manual refunds, reconciliation runs and mismatches, stuck-order alerts,
the reason of a staff member's access

Revision ID: 0012c
Revises: 0012o
Create Date: 2026-12-04 21:10:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0012c'
down_revision = '0012o'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('payment_refund_requests',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('order_id', sa.String(length=26), nullable=False),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('reason', sa.String(length=500), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requested_by', sa.String(length=60), nullable=False),
    sa.Column('decided_by', sa.String(length=60), nullable=True),
    sa.Column('decision_note', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['order_id'], ['payment_orders.id'],
                            name=op.f('fk_payment_refund_requests_order_id_payment_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_refund_requests'))
    )
    with op.batch_alter_table('payment_refund_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_refund_requests_order_id'), ['order_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_refund_requests_status'), ['status'], unique=False)

    op.create_table('reconciliation_runs',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('day', sa.String(length=10), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('started_by', sa.String(length=60), nullable=False),
    sa.Column('mismatches', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_runs'))
    )
    with op.batch_alter_table('reconciliation_runs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconciliation_runs_day'), ['day'], unique=False)

    op.create_table('reconciliation_mismatches',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('run_id', sa.String(length=26), nullable=False),
    sa.Column('kind', sa.String(length=24), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('out_trade_no', sa.String(length=64), nullable=False),
    sa.Column('order_id', sa.String(length=26), nullable=True),
    sa.Column('statement_amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('our_amount_fen', sa.BigInteger(), nullable=True),
    sa.Column('our_status', sa.String(length=20), nullable=True),
    sa.Column('resolution_note', sa.String(length=500), nullable=True),
    sa.Column('resolved_by', sa.String(length=60), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['run_id'], ['reconciliation_runs.id'],
                            name=op.f('fk_reconciliation_mismatches_run_id_reconciliation_runs')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_reconciliation_mismatches'))
    )
    with op.batch_alter_table('reconciliation_mismatches', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_reconciliation_mismatches_run_id'), ['run_id'], unique=False)

    op.create_table('payment_stuck_alerts',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('order_id', sa.String(length=26), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('alerted_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['payment_orders.id'],
                            name=op.f('fk_payment_stuck_alerts_order_id_payment_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_stuck_alerts')),
    sa.UniqueConstraint('order_id', 'status', name=op.f('uq_payment_stuck_alerts_order_id_status'))
    )

    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reason', sa.String(length=200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table('access_log', schema=None) as batch_op:
        batch_op.drop_column('reason')
    op.drop_table('payment_stuck_alerts')
    with op.batch_alter_table('reconciliation_mismatches', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reconciliation_mismatches_run_id'))
    op.drop_table('reconciliation_mismatches')
    with op.batch_alter_table('reconciliation_runs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_reconciliation_runs_day'))
    op.drop_table('reconciliation_runs')
    with op.batch_alter_table('payment_refund_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_refund_requests_status'))
        batch_op.drop_index(batch_op.f('ix_payment_refund_requests_order_id'))
    op.drop_table('payment_refund_requests')
