"""response sums: per-slice sums of the counted responses, kept current, backfilled

A slice is (month, questionnaire version, agency, service area, counter, channel, status);
its ``counts`` hold what the default design needs (``analysis.slices``). On PostgreSQL the
counts are a ``bigint[]`` and ``sipas_add_counts`` adds two of them element by element, so an
insert or a status change updates a slice in one statement under the row's lock. The backfill
builds every slice from the responses already stored (``survey.slices.rebuild``). An index
on (questionnaire_code, survey_date, status, id) lets a report compare the slices with the
responses by an index-only scan.

Revision ID: 5a1c7e9b3d20
Revises: c4f1a9d2b7e3
Create Date: 2026-12-02 05:00:00

"""
from alembic import op
import sqlalchemy as sa

from survey.models import CountVector


revision = '5a1c7e9b3d20'
down_revision = 'c4f1a9d2b7e3'
branch_labels = None
depends_on = None

ADD_COUNTS = """
CREATE OR REPLACE FUNCTION sipas_add_counts(a bigint[], b bigint[]) RETURNS bigint[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
  SELECT array_agg(coalesce(x, 0) + coalesce(y, 0) ORDER BY i)
  FROM unnest(a, b) WITH ORDINALITY AS t(x, y, i)
$$
"""


def upgrade():
    op.create_table(
        'response_sums',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('month', sa.String(length=7), nullable=False),
        sa.Column('questionnaire_id', sa.Integer(), nullable=False),
        sa.Column('agency_id', sa.Integer(), nullable=False),
        sa.Column('service_area_id', sa.Integer(), nullable=False),
        sa.Column('counter_id', sa.Integer(), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('id_sum', sa.BigInteger(), nullable=False),
        sa.Column('counts', CountVector(), nullable=False),
        sa.CheckConstraint("status IN ('valid', 'flagged')", name='sum_status_counted'),
        sa.ForeignKeyConstraint(['agency_id'], ['agencies.id']),
        sa.ForeignKeyConstraint(['counter_id'], ['counters.id']),
        sa.ForeignKeyConstraint(['questionnaire_id'], ['questionnaires.id']),
        sa.ForeignKeyConstraint(['service_area_id'], ['service_areas.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('month', 'questionnaire_id', 'agency_id', 'service_area_id',
                            'counter_id', 'channel', 'status', name='uq_response_sums_slice'),
    )
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index('ix_responses_fingerprint',
                              ['questionnaire_code', 'survey_date', 'status', 'id'])
    bind = op.get_bind()
    if bind.dialect.name == "postgresql":
        op.execute(ADD_COUNTS)
    from survey import slices
    slices.rebuild(bind)


def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_fingerprint')
    op.drop_table('response_sums')
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP FUNCTION IF EXISTS sipas_add_counts(bigint[], bigint[])")
