"""Alembic's model/database comparison skips only the columns the model declares database-only."""
import sqlalchemy as sa

from survey.models import DATABASE_ONLY_COLUMNS, compared_by_alembic


def _reflected_column(table: str, column: str) -> sa.Column:
    return sa.Table(table, sa.MetaData(), sa.Column(column, sa.LargeBinary)).c[column]


def test_the_packed_counts_column_is_database_only():
    assert ("response_sums", "counts_packed") in DATABASE_ONLY_COLUMNS
    column = _reflected_column("response_sums", "counts_packed")
    assert compared_by_alembic(column, "counts_packed", "column", True, None) is False


def test_any_other_unmapped_column_is_still_compared():
    for table, name in [("response_sums", "stray"), ("responses", "counts_packed")]:
        column = _reflected_column(table, name)
        assert compared_by_alembic(column, name, "column", True, None) is True


def test_a_mapped_column_and_other_objects_are_compared():
    column = _reflected_column("response_sums", "counts_packed")
    assert compared_by_alembic(column, "counts_packed", "column", True, column) is True
    assert compared_by_alembic(column.table, "response_sums", "table", True, None) is True
