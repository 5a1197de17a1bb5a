"""index of responses by field-survey import (an import reads back its own rows)

Revision ID: b2d4f6a8c0e1
Revises: 7c3e5a9f1b42
Create Date: 2026-12-03 13:40:00

"""
from alembic import op


revision = 'b2d4f6a8c0e1'
down_revision = '7c3e5a9f1b42'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_responses_field_import_id'), ['field_import_id'],
                              unique=False)


def downgrade():
    with op.batch_alter_table('responses', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_responses_field_import_id'))
