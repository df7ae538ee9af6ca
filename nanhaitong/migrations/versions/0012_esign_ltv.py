"""esign: revocation details, renewal, long-term validation, detached requests, multi-party envelopes

Revision ID: 0012e
Revises: 0011
Create Date: 2026-12-04 21:00:00
"""
import sqlalchemy as sa
from alembic import op

revision = '0012e'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('esign_certificates', schema=None) as batch_op:
        batch_op.add_column(sa.Column('invalidity_date', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('replaces_id', sa.String(length=26), nullable=True))
    with op.batch_alter_table('esign_signing_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('envelope_id', sa.String(length=26), nullable=True))
        batch_op.add_column(sa.Column('archive_until', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(batch_op.f('ix_esign_signing_requests_envelope_id'), ['envelope_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_esign_signing_requests_archive_until'), ['archive_until'], unique=False)

    op.create_table('esign_detached_requests',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('owner_kind', sa.String(length=12), nullable=False),
    sa.Column('owner_id', sa.String(length=26), nullable=False),
    sa.Column('signer_kind', sa.String(length=12), nullable=False),
    sa.Column('certificate_id', sa.String(length=26), nullable=False),
    sa.Column('requested_by', sa.String(length=40), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('signature_der', sa.LargeBinary(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['certificate_id'], ['esign_certificates.id'],
                            name=op.f('fk_esign_detached_requests_certificate_id_esign_certificates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_esign_detached_requests'))
    )
    with op.batch_alter_table('esign_detached_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_esign_detached_requests_owner_id'), ['owner_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_esign_detached_requests_certificate_id'), ['certificate_id'],
                              unique=False)

    op.create_table('esign_envelopes',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('routing', sa.String(length=12), nullable=False),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('creator_kind', sa.String(length=12), nullable=False),
    sa.Column('creator_id', sa.String(length=64), nullable=False),
    sa.Column('webhook_url', sa.String(length=500), nullable=True),
    sa.Column('document_sha256', sa.String(length=64), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('final_sha256', sa.String(length=64), nullable=True),
    sa.Column('message', sa.String(length=500), nullable=True),
    sa.Column('declined_reason', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('completed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_esign_envelopes'))
    )
    with op.batch_alter_table('esign_envelopes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_esign_envelopes_status'), ['status'], unique=False)
        batch_op.create_index(batch_op.f('ix_esign_envelopes_creator_id'), ['creator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_esign_envelopes_expires_at'), ['expires_at'], unique=False)

    op.create_table('esign_envelope_signers',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('envelope_id', sa.String(length=26), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('role', sa.String(length=24), nullable=False),
    sa.Column('user_id', sa.String(length=26), nullable=False),
    sa.Column('enterprise_id', sa.String(length=26), nullable=True),
    sa.Column('status', sa.String(length=12), nullable=False),
    sa.Column('stamp', sa.Text(), nullable=True),
    sa.Column('signing_request_id', sa.String(length=26), nullable=True),
    sa.Column('invited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('declined_reason', sa.String(length=500), nullable=True),
    sa.ForeignKeyConstraint(['envelope_id'], ['esign_envelopes.id'],
                            name=op.f('fk_esign_envelope_signers_envelope_id_esign_envelopes')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_esign_envelope_signers'))
    )
    with op.batch_alter_table('esign_envelope_signers', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_esign_envelope_signers_envelope_id'), ['envelope_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_esign_envelope_signers_user_id'), ['user_id'], unique=False)


def downgrade() -> None:
    op.drop_table('esign_envelope_signers')
    op.drop_table('esign_envelopes')
    op.drop_table('esign_detached_requests')
    with op.batch_alter_table('esign_signing_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_esign_signing_requests_archive_until'))
        batch_op.drop_index(batch_op.f('ix_esign_signing_requests_envelope_id'))
        batch_op.drop_column('archive_until')
        batch_op.drop_column('envelope_id')
    with op.batch_alter_table('esign_certificates', schema=None) as batch_op:
        batch_op.drop_column('replaces_id')
        batch_op.drop_column('invalidity_date')
