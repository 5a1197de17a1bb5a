"""The database computes the sufficient sums; results equal loading every row (rel 1e-9)."""
import os
import uuid

import numpy as np
import pandas as pd
import pytest
import sqlalchemy as sa

from analysis import DesignError, SurveyDesign, sipas, sql

PG_URL = os.environ.get("SIPAS_TEST_DATABASE_URL")
BACKENDS = ["sqlite", pytest.param("postgresql", marks=pytest.mark.skipif(
    not PG_URL, reason="SIPAS_TEST_DATABASE_URL not set"))]


@pytest.fixture(params=BACKENDS, scope="module")
def loaded_table(request, sipas_frame, tmp_path_factory):
    """The example responses in a uniquely named table; dropped afterwards."""
    url = f"sqlite:///{tmp_path_factory.mktemp('sums') / 'sums.db'}" if request.param == "sqlite" else PG_URL
    engine = sa.create_engine(url)
    name = f"analysis_sums_{uuid.uuid4().hex[:10]}"
    metadata = sa.MetaData()
    criteria = [c for c in sipas_frame.columns if c[:2] in ("TC", "TT", "CC", "KQ", "GY")]
    table = sa.Table(name, metadata, sa.Column("response_id", sa.String(20), primary_key=True),
                     sa.Column("agency", sa.String(10)), sa.Column("counter", sa.String(20)),
                     sa.Column("service_area", sa.String(10)), sa.Column("weight", sa.Float),
                     *(sa.Column(c, sa.SmallInteger) for c in criteria))
    metadata.create_all(engine)
    rows = sipas_frame.astype(object).where(sipas_frame.notna(), None).to_dict("records")
    for row in rows:
        for c in criteria:
            if row[c] is not None:
                row[c] = int(row[c])
    with engine.begin() as connection:
        connection.execute(table.insert(), rows)
    yield engine, table
    metadata.drop_all(engine)
    engine.dispose()


def _compare(direct: pd.DataFrame, via: pd.DataFrame) -> None:
    assert list(direct[["by", "level", "measure"]].itertuples(index=False)) == \
        list(via[["by", "level", "measure"]].itertuples(index=False))
    for column in ("estimate", "se", "ci_low", "ci_high", "n_eff"):
        np.testing.assert_allclose(via[column], direct[column], rtol=1e-9, err_msg=column)
    single = ~direct["level"].isin(["element", "index"]).to_numpy()
    np.testing.assert_allclose(via["deff"][single], direct["deff"][single], rtol=1e-9)
    assert via["deff"][~single].isna().all()   # composites' deff needs the rows
    assert (via["n"] == direct["n"]).all() and (via["flag"] == direct["flag"]).all()


def test_sql_sums_give_the_same_records_as_every_row(loaded_table, sipas_design, structure):
    engine, table = loaded_table
    sums = sql.sipas_sums(engine, table, structure, stratum="agency", psu="counter",
                          domain="service_area", weight="weight")
    assert len(sums) <= 65 * 10
    via = sipas.indices_from_sums(sums, structure).to_frame()
    direct = sipas.indices(sipas_design, structure, by="service_area").to_frame()
    _compare(direct, via)


def test_sql_sums_over_a_subquery_without_strata_or_weights(loaded_table, sipas_frame,
                                                            structure):
    engine, table = loaded_table
    subquery = sa.select(table).where(table.c.agency != "AG03")
    with engine.connect() as connection:
        sums = sql.sipas_sums(connection, subquery, structure, psu="response_id")
    via = sipas.indices_from_sums(sums, structure, by=None).to_frame()
    frame = sipas_frame[sipas_frame["agency"] != "AG03"]
    direct = sipas.indices(SurveyDesign(frame), structure).to_frame()
    _compare(direct, via)


def test_sql_sums_need_known_columns(loaded_table, structure):
    engine, table = loaded_table
    with pytest.raises(DesignError, match="'region'"):
        sql.sipas_sums(engine, table, structure, psu="counter", stratum="region")
