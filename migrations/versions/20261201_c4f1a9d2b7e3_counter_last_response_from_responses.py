"""counter last response read from the responses: drop the per-submission counter update

A submission no longer updates its counter's row (one write less, and no lock on the counter
row shared by every tablet of that counter); the time of a counter's last response is read from
the responses through an index on (counter_id, received_at).

Revision ID: c4f1a9d2b7e3
Revises: 467e85704ed5
Create Date: 2026-12-01 22:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'c4f1a9d2b7e3'
down_revision = '467e85704ed5'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index('ix_responses_counter_received', ['counter_id', 'received_at'])
    with op.batch_alter_table('counters', schema=None) as batch_op:
        batch_op.drop_column('last_response_at')


def downgrade():
    with op.batch_alter_table('counters', schema=None) as batch_op:
        batch_op.add_column(sa.Column('last_response_at', sa.DateTime(timezone=True),
                                      nullable=True))
    op.execute("UPDATE counters SET last_response_at = (SELECT max(r.received_at) "
               "FROM responses r WHERE r.counter_id = counters.id)")
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index('ix_responses_counter_received')
