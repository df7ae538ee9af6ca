"""esign: the platform CA, signing certificates, seals, signing requests, the CRL

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22
"""
import sqlalchemy as sa
from alembic import op

revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    # private_key, subject, certificate_pem and the documents hold FieldCipher tokens.

    op.create_table('esign_authorities',
    sa.Column('name', sa.String(length=16), nullable=False),
    sa.Column('certificate_pem', sa.Text(), nullable=False),
    sa.Column('private_key', sa.Text(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('name', name=op.f('pk_esign_authorities'))
    )
    op.create_table('esign_certificates',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('kind', sa.String(length=12), nullable=False),
    sa.Column('owner_kind', sa.String(length=12), nullable=False),
    sa.Column('owner_id', sa.String(length=26), nullable=False),
    sa.Column('serial', sa.String(length=40), nullable=False),
    sa.Column('subject', sa.Text(), nullable=False),
    sa.Column('certificate_pem', sa.Text(), nullable=False),
    sa.Column('private_key', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('not_before', sa.DateTime(timezone=True), nullable=False),
    sa.Column('not_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('requested_by', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('revocation_reason', sa.String(length=40), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_esign_certificates')),
    sa.UniqueConstraint('serial', name=op.f('uq_esign_certificates_serial'))
    )
    with op.batch_alter_table('esign_certificates', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_esign_certificates_owner_id'), ['owner_id'], unique=False)

    op.create_table('esign_crls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('der', sa.LargeBinary(), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_esign_crls'))
    )
    op.create_table('esign_seals',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('enterprise_id', sa.String(length=26), nullable=False),
    sa.Column('certificate_id', sa.String(length=26), nullable=False),
    sa.Column('name', sa.String(length=60), nullable=False),
    sa.Column('image_png', sa.LargeBinary(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('created_by', sa.String(length=40), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['certificate_id'], ['esign_certificates.id'], name=op.f('fk_esign_seals_certificate_id_esign_certificates')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_esign_seals'))
    )
    with op.batch_alter_table('esign_seals', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_esign_seals_certificate_id'), ['certificate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_esign_seals_enterprise_id'), ['enterprise_id'], unique=False)

    op.create_table('esign_signing_requests',
    sa.Column('id', sa.String(length=26), nullable=False),
    sa.Column('owner_kind', sa.String(length=12), nullable=False),
    sa.Column('owner_id', sa.String(length=26), nullable=False),
    sa.Column('signer_kind', sa.String(length=12), nullable=False),
    sa.Column('certificate_id', sa.String(length=26), nullable=False),
    sa.Column('seal_id', sa.String(length=26), nullable=True),
    sa.Column('previous_request_id', sa.String(length=26), nullable=True),
    sa.Column('requested_by', sa.String(length=40), nullable=False),
    sa.Column('file_name', sa.String(length=200), nullable=False),
    sa.Column('document_sha256', sa.String(length=64), nullable=False),
    sa.Column('document', sa.Text(), nullable=False),
    sa.Column('stamp', sa.Text(), nullable=True),
    sa.Column('reason', sa.String(length=200), nullable=True),
    sa.Column('status', sa.String(length=24), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('signed_document', sa.Text(), nullable=True),
    sa.Column('signed_sha256', sa.String(length=64), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signed_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['certificate_id'], ['esign_certificates.id'], name=op.f('fk_esign_signing_requests_certificate_id_esign_certificates')),
    sa.ForeignKeyConstraint(['seal_id'], ['esign_seals.id'], name=op.f('fk_esign_signing_requests_seal_id_esign_seals')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_esign_signing_requests'))
    )
    with op.batch_alter_table('esign_signing_requests', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_esign_signing_requests_certificate_id'), ['certificate_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_esign_signing_requests_owner_id'), ['owner_id'], unique=False)




def downgrade() -> None:

    with op.batch_alter_table('esign_signing_requests', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_esign_signing_requests_owner_id'))
        batch_op.drop_index(batch_op.f('ix_esign_signing_requests_certificate_id'))

    op.drop_table('esign_signing_requests')
    with op.batch_alter_table('esign_seals', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_esign_seals_enterprise_id'))
        batch_op.drop_index(batch_op.f('ix_esign_seals_certificate_id'))

    op.drop_table('esign_seals')
    op.drop_table('esign_crls')
    with op.batch_alter_table('esign_certificates', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_esign_certificates_owner_id'))

    op.drop_table('esign_certificates')
    op.drop_table('esign_authorities')

