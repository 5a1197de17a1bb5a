"""imported sums: provinces' slice sums and totals held by a national instance

Revision ID: 8d2e4f6a1b7c
Revises: 5a1c7e9b3d20
Create Date: 2026-12-02 05:30:00

"""
from alembic import op
import sqlalchemy as sa

from survey.models import CountVector


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
        sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('province_code', 'period', 'questionnaire_code'),
    )
    op.create_table(
        'imported_slices',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.String(length=7), nullable=False),
        sa.Column('agency', sa.String(length=64), nullable=False),
        sa.Column('counter', sa.String(length=64), nullable=False),
        sa.Column('service_area', sa.String(length=64), nullable=False),
        sa.Column('channel', sa.String(length=16), nullable=False),
        sa.Column('status', sa.String(length=16), nullable=False),
        sa.Column('rows', sa.Integer(), nullable=False),
        sa.Column('counts', CountVector(), nullable=False),
        sa.ForeignKeyConstraint(['import_id'], ['imported_sums.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_imported_slices_import_id', 'imported_slices', ['import_id'])
    op.create_table(
        'imported_totals',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('import_id', sa.Integer(), nullable=False),
        sa.Column('quarter', sa.String(length=7), nullable=False),
        sa.Column('agency', sa.String(length=64), nullable=False),
        sa.Column('service_area', sa.String(length=64), nullable=False),
        sa.Column('dossiers', sa.Float(), nullable=False),
        sa.Column('prorated', sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(['import_id'], ['imported_sums.id'], ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index('ix_imported_totals_import_id', 'imported_totals', ['import_id'])


def downgrade():
    op.drop_table('imported_totals')
    op.drop_table('imported_slices')
    op.drop_table('imported_sums')
