"""payments: utility accounts, orders, history, events, bill claims

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # utility_accounts.number holds FieldCipher tokens (personal data); amounts are integer fen.
    op.create_table('utility_accounts',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('owner_kind', sa.String(length=12), nullable=False),
    sa.Column('owner_id', sa.String(length=26), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('number', sa.Text(), nullable=False),
    sa.Column('number_index', sa.String(length=64), nullable=False),
    sa.Column('label', sa.String(length=40), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('removed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_utility_accounts')),
    sa.UniqueConstraint('owner_kind', 'owner_id', 'kind', 'number_index', name=op.f('uq_utility_accounts_owner_kind_owner_id_kind_number_index'))
    )
    with op.batch_alter_table('utility_accounts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_utility_accounts_owner_id'), ['owner_id'], unique=False)

    op.create_table('payment_orders',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('out_trade_no', sa.String(length=32), nullable=False),
    sa.Column('owner_kind', sa.String(length=12), nullable=False),
    sa.Column('owner_id', sa.String(length=26), nullable=False),
    sa.Column('created_by', sa.String(length=60), nullable=False),
    sa.Column('account_id', sa.String(length=26), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('bill_id', sa.String(length=40), nullable=True),
    sa.Column('bill_period', sa.String(length=7), nullable=True),
    sa.Column('amount_fen', sa.BigInteger(), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('payment_params', sa.Text(), nullable=True),
    sa.Column('channel_trade_no', sa.String(length=64), nullable=True),
    sa.Column('fulfilment_ref', sa.String(length=64), nullable=True),
    sa.Column('fulfilment_attempts', sa.Integer(), nullable=False),
    sa.Column('failure_reason', sa.String(length=64), nullable=True),
    sa.Column('refund_no', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('fulfilled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('refunded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['account_id'], ['utility_accounts.id'], name=op.f('fk_payment_orders_account_id_utility_accounts')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_orders')),
    sa.UniqueConstraint('out_trade_no', name=op.f('uq_payment_orders_out_trade_no'))
    )
    with op.batch_alter_table('payment_orders', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_orders_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_orders_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payment_orders_status'), ['status'], unique=False)

    op.create_table('gas_bill_claims',
    sa.Column('bill_key', sa.String(length=140), nullable=False),
    sa.Column('order_id', sa.String(length=26), nullable=False),
    sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['payment_orders.id'], name=op.f('fk_gas_bill_claims_order_id_payment_orders')),
    sa.PrimaryKeyConstraint('bill_key', name=op.f('pk_gas_bill_claims')),
    sa.UniqueConstraint('order_id', name=op.f('uq_gas_bill_claims_order_id'))
    )
    op.create_table('payment_events',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('channel', sa.String(length=8), nullable=False),
    sa.Column('event_key', sa.String(length=80), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('order_id', sa.String(length=26), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('received_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['payment_orders.id'], name=op.f('fk_payment_events_order_id_payment_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_events')),
    sa.UniqueConstraint('channel', 'event_key', name=op.f('uq_payment_events_channel_event_key'))
    )
    with op.batch_alter_table('payment_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_events_order_id'), ['order_id'], unique=False)

    op.create_table('payment_status_changes',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('order_id', sa.String(length=26), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=True),
    sa.Column('to_status', sa.String(length=20), nullable=False),
    sa.Column('cause', sa.String(length=40), nullable=False),
    sa.Column('actor', sa.String(length=60), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['order_id'], ['payment_orders.id'], name=op.f('fk_payment_status_changes_order_id_payment_orders')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payment_status_changes'))
    )
    with op.batch_alter_table('payment_status_changes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payment_status_changes_order_id'), ['order_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('payment_status_changes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_status_changes_order_id'))

    op.drop_table('payment_status_changes')
    with op.batch_alter_table('payment_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_events_order_id'))

    op.drop_table('payment_events')
    op.drop_table('gas_bill_claims')
    with op.batch_alter_table('payment_orders', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payment_orders_status'))
        batch_op.drop_index(batch_op.f('ix_payment_orders_owner_id'))
        batch_op.drop_index(batch_op.f('ix_payment_orders_account_id'))

    op.drop_table('payment_orders')
    with op.batch_alter_table('utility_accounts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_utility_accounts_owner_id'))

    op.drop_table('utility_accounts')
