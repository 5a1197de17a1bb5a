"""officers, their shifts at counters, the officer of a response, alerts and digest deliveries

Revision ID: 3f7b9c1d5e20
Revises: 8d2e4f6a1b7c
Create Date: 2026-12-02 17:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '3f7b9c1d5e20'
down_revision = '8d2e4f6a1b7c'
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('admin', 'analyst', 'agency_viewer')"
NEW_ROLES = "role IN ('admin', 'analyst', 'agency_viewer', 'officer')"


def upgrade():
    op.create_table(
        'officers',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('code', sa.String(length=32), nullable=False),
        sa.Column('name', sa.String(length=200), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('pin_hash', sa.String(length=256), nullable=True),
        sa.Column('active', sa.Boolean(), nullable=False),
        sa.Column('failed_pins', sa.Integer(), nullable=False),
        sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'],
                                name=op.f('fk_officers_agency_id_agencies')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_officers')),
        sa.UniqueConstraint('code', name=op.f('uq_officers_code')),
    )
    op.create_index(op.f('ix_officers_agency_id'), 'officers', ['agency_id'])
    op.create_table(
        'officer_shifts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('counter_id', sa.Integer(), nullable=False),
        sa.Column('officer_id', sa.Integer(), nullable=False),
        sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ended_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('ended_reason', sa.String(length=32), nullable=True),
        sa.ForeignKeyConstraint(['counter_id'], ['counters.id'],
                                name=op.f('fk_officer_shifts_counter_id_counters')),
        sa.ForeignKeyConstraint(['officer_id'], ['officers.id'],
                                name=op.f('fk_officer_shifts_officer_id_officers')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_officer_shifts')),
    )
    op.create_index('ix_officer_shifts_counter_started', 'officer_shifts',
                    ['counter_id', 'started_at'])
    op.create_index(op.f('ix_officer_shifts_officer_id'), 'officer_shifts', ['officer_id'])
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.add_column(sa.Column('officer_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(op.f('fk_responses_officer_id_officers'), 'officers',
                                    ['officer_id'], ['id'])
        batch_op.create_index('ix_responses_officer_date', ['officer_id', 'survey_date'])
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('officer_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('email', sa.String(length=254), nullable=True))
        batch_op.create_foreign_key(op.f('fk_users_officer_id_officers'), 'officers',
                                    ['officer_id'], ['id'])
        batch_op.drop_constraint(op.f('ck_users_role_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role_known'), NEW_ROLES)
        batch_op.create_check_constraint(op.f('ck_users_officer_user_has_officer'),
                                         "role <> 'officer' OR officer_id IS NOT NULL")
    op.create_table(
        'alerts',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=200), nullable=False),
        sa.Column('kind', sa.String(length=16), nullable=False),
        sa.Column('level', sa.String(length=16), nullable=False),
        sa.Column('unit_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=True),
        sa.Column('starts', sa.DateTime(timezone=True), nullable=False),
        sa.Column('ends', sa.DateTime(timezone=True), nullable=True),
        sa.Column('size', sa.Float(), nullable=True),
        sa.Column('p_value', sa.Float(), nullable=True),
        sa.Column('q_value', sa.Float(), nullable=True),
        sa.Column('evidence', sa.JSON(), nullable=False),
        sa.Column('detected_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('note', sa.Text(), nullable=True),
        sa.Column('reviewed_by', sa.Integer(), nullable=True),
        sa.Column('reviewed_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("kind IN ('drop', 'silent', 'top_burst', 'off_hours', 'identical')",
                           name=op.f('ck_alerts_alert_kind_known')),
        sa.CheckConstraint("status IN ('open', 'dismissed', 'confirmed')",
                           name=op.f('ck_alerts_alert_status_known')),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id'],
                                name=op.f('fk_alerts_agency_id_agencies')),
        sa.ForeignKeyConstraint(['reviewed_by'], ['users.id'],
                                name=op.f('fk_alerts_reviewed_by_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_alerts')),
        sa.UniqueConstraint('key', name=op.f('uq_alerts_key')),
    )
    op.create_index('ix_alerts_detected', 'alerts', ['detected_at'])
    op.create_index(op.f('ix_alerts_agency_id'), 'alerts', ['agency_id'])
    op.create_table(
        'digest_deliveries',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('user_id', sa.Integer(), nullable=False),
        sa.Column('address', sa.String(length=254), nullable=False),
        sa.Column('subject', sa.String(length=300), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('alerts', sa.Integer(), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint("status IN ('pending', 'sent', 'failed')",
                           name=op.f('ck_digest_deliveries_delivery_status_known')),
        sa.ForeignKeyConstraint(['user_id'], ['users.id'],
                                name=op.f('fk_digest_deliveries_user_id_users')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_digest_deliveries')),
        sa.UniqueConstraint('day', 'user_id', name=op.f('uq_digest_deliveries_day_user_id')),
    )
    op.create_index(op.f('ix_digest_deliveries_day'), 'digest_deliveries', ['day'])


def downgrade():
    op.drop_table('digest_deliveries')
    op.drop_table('alerts')
    op.execute("DELETE FROM users WHERE role = 'officer'")
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_users_officer_user_has_officer'), type_='check')
        batch_op.drop_constraint(op.f('ck_users_role_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_users_role_known'), OLD_ROLES)
        batch_op.drop_constraint(op.f('fk_users_officer_id_officers'), type_='foreignkey')
        batch_op.drop_column('email')
        batch_op.drop_column('officer_id')
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_officer_date')
        batch_op.drop_constraint(op.f('fk_responses_officer_id_officers'), type_='foreignkey')
        batch_op.drop_column('officer_id')
    op.drop_table('officer_shifts')
    op.drop_table('officers')
