"""response sums: a binary copy of the counts for reading (PostgreSQL)

A report reads every slice of its period. Turning 1,040 ``bigint`` per slice into text on the
server cost about 80 ms for a 200k-response year; their binary form (``array_send``) kept
beside them, computed by PostgreSQL on every write (a stored generated column, so it can never
differ from ``counts``), is fetched in binary and decoded by numpy in about a third of that. ``counts`` stays the column that writes
add to (``sipas_add_counts``). SQLite already stores the counts as bytes: nothing changes there.

Revision ID: e5b7c9d1f3a2
Revises: b2d4f6a8c0e1
Create Date: 2026-12-06 02:30:00

"""
from alembic import op


revision = 'e5b7c9d1f3a2'
down_revision = 'b2d4f6a8c0e1'
branch_labels = None
depends_on = None

PACK_COUNTS = """
CREATE OR REPLACE FUNCTION sipas_pack_counts(counts bigint[]) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$ SELECT array_send(counts) $$
"""


def upgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute(PACK_COUNTS)
    op.execute("ALTER TABLE response_sums ADD COLUMN counts_packed bytea "
               "GENERATED ALWAYS AS (sipas_pack_counts(counts)) STORED")


def downgrade():
    if op.get_bind().dialect.name != "postgresql":
        return
    op.execute("ALTER TABLE response_sums DROP COLUMN counts_packed")
    op.execute("DROP FUNCTION IF EXISTS sipas_pack_counts(bigint[])")
