"""invitations and API clients, reasons and comments of low ratings, follow-ups, field-survey imports

Revision ID: 7c3e5a9f1b42
Revises: 3f7b9c1d5e20
Create Date: 2026-12-03 07:37:21.177314

"""
from alembic import op
import sqlalchemy as sa


revision = '7c3e5a9f1b42'
down_revision = '3f7b9c1d5e20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('api_clients',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('key_prefix', sa.String(length=16), nullable=False),
    sa.Column('key_hash', sa.String(length=256), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=True),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('revoked_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('last_used_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_api_clients_agency_id_agencies')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_api_clients')),
    sa.UniqueConstraint('key_prefix', name=op.f('uq_api_clients_key_prefix'))
    )
    op.create_table('field_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('filename', sa.String(length=255), nullable=False),
    sa.Column('sha256', sa.String(length=64), nullable=False),
    sa.Column('rows', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_field_imports_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_field_imports'))
    )
    op.create_table('follow_ups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('agency_id', sa.Integer(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=16), nullable=False),
    sa.Column('dossier_hash', sa.String(length=64), nullable=True),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('response_text', sa.Text(), nullable=True),
    sa.Column('handled_by', sa.Integer(), nullable=True),
    sa.Column('handled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("kind IN ('low_rating', 'complaint')", name=op.f('ck_follow_ups_follow_up_kind_known')),
    sa.CheckConstraint("status IN ('open', 'in_progress', 'done')", name=op.f('ck_follow_ups_follow_up_status_known')),
    sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'], name=op.f('fk_follow_ups_agency_id_agencies')),
    sa.ForeignKeyConstraint(['counter_id'], ['counters.id'], name=op.f('fk_follow_ups_counter_id_counters')),
    sa.ForeignKeyConstraint(['handled_by'], ['users.id'], name=op.f('fk_follow_ups_handled_by_users')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_follow_ups_response_id_responses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_follow_ups')),
    sa.UniqueConstraint('response_id', name=op.f('uq_follow_ups_response_id'))
    )
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.create_index('ix_follow_ups_agency_opened', ['agency_id', 'opened_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_follow_ups_dossier_hash'), ['dossier_hash'], unique=False)

    op.create_table('invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('nonce', sa.String(length=32), nullable=False),
    sa.Column('client_id', sa.Integer(), nullable=False),
    sa.Column('counter_id', sa.Integer(), nullable=False),
    sa.Column('service_area_id', sa.Integer(), nullable=False),
    sa.Column('questionnaire_code', sa.String(length=32), nullable=False),
    sa.Column('dossier_hash', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('used_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('response_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['client_id'], ['api_clients.id'], name=op.f('fk_invitations_client_id_api_clients')),
    sa.ForeignKeyConstraint(['counter_id'], ['counters.id'], name=op.f('fk_invitations_counter_id_counters')),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_invitations_response_id_responses')),
    sa.ForeignKeyConstraint(['service_area_id'], ['service_areas.id'], name=op.f('fk_invitations_service_area_id_service_areas')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invitations')),
    sa.UniqueConstraint('nonce', name=op.f('uq_invitations_nonce'))
    )
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_invitations_client_id'), ['client_id'], unique=False)
        batch_op.create_index('ix_invitations_dossier', ['questionnaire_code', 'dossier_hash'], unique=False)

    op.create_table('response_comments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('text', sa.Text(), nullable=True),
    sa.Column('complaint', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_response_comments_response_id_responses')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_response_comments')),
    sa.UniqueConstraint('response_id', name=op.f('uq_response_comments_response_id'))
    )
    op.create_table('response_reasons',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('item_code', sa.String(length=16), nullable=False),
    sa.Column('reason_code', sa.String(length=32), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_response_reasons_response_id_responses')),
    sa.PrimaryKeyConstraint('response_id', 'item_code', 'reason_code', name=op.f('pk_response_reasons'))
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('import_mode', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('field_import_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_responses_field_import_id_field_imports'), 'field_imports', ['field_import_id'], ['id'])



def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_responses_field_import_id_field_imports'), type_='foreignkey')
        batch_op.drop_column('field_import_id')
        batch_op.drop_column('import_mode')

    op.drop_table('response_reasons')
    op.drop_table('response_comments')
    with op.batch_alter_table('invitations', schema=None) as batch_op:
        batch_op.drop_index('ix_invitations_dossier')
        batch_op.drop_index(batch_op.f('ix_invitations_client_id'))

    op.drop_table('invitations')
    with op.batch_alter_table('follow_ups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_follow_ups_dossier_hash'))
        batch_op.drop_index('ix_follow_ups_agency_opened')

    op.drop_table('follow_ups')
    op.drop_table('field_imports')
    op.drop_table('api_clients')
