"""hardening (issue 21): partner refresh tokens (offline_access, rotating, revoked with the consent)

Revision ID: 0012h
Revises: 0012c
Create Date: 2026-12-04 21:20:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0012h'
down_revision = '0012c'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('partner_refresh_tokens',
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('family_id', sa.String(length=26), nullable=False),
    sa.Column('partner_id', sa.String(length=26), nullable=False),
    sa.Column('user_id', sa.String(length=26), nullable=False),
    sa.Column('grant_id', sa.String(length=26), nullable=False),
    sa.Column('scope', sa.Text(), nullable=False),
    sa.Column('auth_time', sa.Integer(), nullable=False),
    sa.Column('issued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['partner_id'], ['partners.id'], name=op.f('fk_partner_refresh_tokens_partner_id_partners')),
    sa.PrimaryKeyConstraint('token_hash', name=op.f('pk_partner_refresh_tokens'))
    )
    with op.batch_alter_table('partner_refresh_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_partner_refresh_tokens_family_id'), ['family_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_refresh_tokens_grant_id'), ['grant_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_partner_refresh_tokens_partner_id'), ['partner_id'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('partner_refresh_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_partner_refresh_tokens_partner_id'))
        batch_op.drop_index(batch_op.f('ix_partner_refresh_tokens_grant_id'))
        batch_op.drop_index(batch_op.f('ix_partner_refresh_tokens_family_id'))
    op.drop_table('partner_refresh_tokens')
