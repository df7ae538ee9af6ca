"""identity: citizens, staff, one-time codes, sessions, refresh tokens, signing keys, enterprises

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = '0002'
down_revision = '0001'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Encrypted columns are Text holding FieldCipher tokens; *_index columns are blind indexes.
    op.create_table('auth_sessions',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('account_kind', sa.String(length=10), nullable=False),
    sa.Column('account_id', sa.String(length=26), nullable=False),
    sa.Column('audience', sa.String(length=20), nullable=False),
    sa.Column('parent_id', sa.String(length=26), nullable=True),
    sa.Column('enterprise_id', sa.String(length=26), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_seen_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revoked_reason', sa.String(length=40), nullable=True),
    sa.Column('user_agent', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['parent_id'], ['auth_sessions.id'], name=op.f('fk_auth_sessions_parent_id_auth_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_auth_sessions'))
    )
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_auth_sessions_account_id'), ['account_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_auth_sessions_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_auth_sessions_parent_id'), ['parent_id'], unique=False)

    op.create_table('enterprises',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('uscc', sa.String(length=18), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('industry_code', sa.String(length=10), nullable=True),
    sa.Column('town', sa.String(length=40), nullable=True),
    sa.Column('size', sa.String(length=10), nullable=True),
    sa.Column('registered_on', sa.String(length=10), nullable=True),
    sa.Column('verified_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprises')),
    sa.UniqueConstraint('uscc', name=op.f('uq_enterprises_uscc'))
    )
    op.create_table('one_time_codes',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('phone_index', sa.String(length=64), nullable=False),
    sa.Column('purpose', sa.String(length=20), nullable=False),
    sa.Column('code_hash', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('consumed_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_one_time_codes'))
    )
    with op.batch_alter_table('one_time_codes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_one_time_codes_phone_index'), ['phone_index'], unique=False)

    op.create_table('signing_keys',
    sa.Column('kid', sa.String(length=64), nullable=False),
    sa.Column('algorithm', sa.String(length=10), nullable=False),
    sa.Column('private_key', sa.Text(), nullable=False),
    sa.Column('public_jwk', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('retired_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('kid', name=op.f('pk_signing_keys'))
    )
    op.create_table('staff_accounts',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('phone', sa.Text(), nullable=False),
    sa.Column('phone_index', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=False),
    sa.Column('role', sa.String(length=32), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_accounts')),
    sa.UniqueConstraint('phone_index', name=op.f('uq_staff_accounts_phone_index'))
    )
    op.create_table('users',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('phone', sa.Text(), nullable=False),
    sa.Column('phone_index', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.Text(), nullable=True),
    sa.Column('assurance_level', sa.Integer(), nullable=False),
    sa.Column('real_name', sa.Text(), nullable=True),
    sa.Column('id_number', sa.Text(), nullable=True),
    sa.Column('id_number_index', sa.String(length=64), nullable=True),
    sa.Column('real_name_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('face_verified_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_users')),
    sa.UniqueConstraint('id_number_index', name=op.f('uq_users_id_number_index')),
    sa.UniqueConstraint('phone_index', name=op.f('uq_users_phone_index'))
    )
    op.create_table('enterprise_members',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('enterprise_id', sa.String(length=26), nullable=False),
    sa.Column('user_id', sa.String(length=26), nullable=False),
    sa.Column('role', sa.String(length=24), nullable=False),
    sa.Column('added_by', sa.String(length=26), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['enterprise_id'], ['enterprises.id'], name=op.f('fk_enterprise_members_enterprise_id_enterprises')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_enterprise_members_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_enterprise_members')),
    sa.UniqueConstraint('enterprise_id', 'user_id', name=op.f('uq_enterprise_members_enterprise_id_user_id'))
    )
    with op.batch_alter_table('enterprise_members', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_enterprise_members_enterprise_id'), ['enterprise_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_enterprise_members_user_id'), ['user_id'], unique=False)
        batch_op.create_index('uq_enterprise_members_one_legal_rep', ['enterprise_id'], unique=True, sqlite_where=sa.text("role = 'legal_representative'"), postgresql_where=sa.text("role = 'legal_representative'"))

    op.create_table('refresh_tokens',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('session_id', sa.String(length=26), nullable=False),
    sa.Column('token_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['session_id'], ['auth_sessions.id'], name=op.f('fk_refresh_tokens_session_id_auth_sessions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_refresh_tokens')),
    sa.UniqueConstraint('token_hash', name=op.f('uq_refresh_tokens_token_hash'))
    )
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_refresh_tokens_session_id'), ['session_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('refresh_tokens', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_refresh_tokens_session_id'))

    op.drop_table('refresh_tokens')
    with op.batch_alter_table('enterprise_members', schema=None) as batch_op:
        batch_op.drop_index('uq_enterprise_members_one_legal_rep', sqlite_where=sa.text("role = 'legal_representative'"), postgresql_where=sa.text("role = 'legal_representative'"))
        batch_op.drop_index(batch_op.f('ix_enterprise_members_user_id'))
        batch_op.drop_index(batch_op.f('ix_enterprise_members_enterprise_id'))

    op.drop_table('enterprise_members')
    op.drop_table('users')
    op.drop_table('staff_accounts')
    op.drop_table('signing_keys')
    with op.batch_alter_table('one_time_codes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_one_time_codes_phone_index'))

    op.drop_table('one_time_codes')
    op.drop_table('enterprises')
    with op.batch_alter_table('auth_sessions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_auth_sessions_parent_id'))
        batch_op.drop_index(batch_op.f('ix_auth_sessions_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_auth_sessions_account_id'))

    op.drop_table('auth_sessions')
