"""imported sums: provinces' design moments of a period, held by a national instance

Revision ID: 8d2e4f6a1b7c
Revises: 5a1c7e9b3d20
Create Date: 2026-12-02 05:30:00

"""
from alembic import op
import sqlalchemy as sa


revision = '8d2e4f6a1b7c'
down_revision = '5a1c7e9b3d20'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'imported_sums',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('province_code', sa.String(length=32), nullable=False),
        sa.Column('province_name', sa.String(length=200), nullable=False),
        sa.Column('period', sa.String(length=32), nullable=False),
        sa.Column('questionnaire_code', sa.String(length=32), nullable=False),
        sa.Column('questionnaire_version', sa.Integer(), nullable=False),
        sa.Column('checksum', sa.String(length=64), nullable=False),
        sa.Column('content_hash', sa.String(length=64), nullable=False),
        sa.Column('responses', sa.Integer(), nullable=False),
        sa.Column('document', sa.JSON(), nullable=False),
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('province_code', 'period', 'questionnaire_code'),
    )


def downgrade():
    op.drop_table('imported_sums')
