"""The response_sums migration backfills the slices of responses stored before it.

A database at the head gets the demo's responses and is downgraded to the revision before the
sums (the responses stay, their slices go), then upgraded again: the backfilled slices must equal
those computed from the rows (``slices.check``), and downgrading removes the table cleanly. The
data is loaded at the head because the models always describe the head's schema.
"""
from __future__ import annotations

from datetime import date

import sqlalchemy as sa

from survey import create_app, slices
from survey.extensions import db

BEFORE_SUMS = "c4f1a9d2b7e3"


def test_upgrade_backfills_the_slices_of_existing_responses(tmp_path):
    from flask_migrate import downgrade, upgrade

    from survey import demo

    url = f"sqlite:///{tmp_path / 'old.db'}"
    app = create_app({"CONFIG_NAME": "testing", "SQLALCHEMY_DATABASE_URI": url})
    with app.app_context():
        upgrade()
        from survey.catalog import load_shipped_questionnaires
        load_shipped_questionnaires(db.session)
        demo.load(db.session, responses=400, today=date(2026, 11, 23))
        db.session.commit()
        db.session.remove()
        downgrade(revision=BEFORE_SUMS)
        assert "response_sums" not in sa.inspect(db.engine).get_table_names()
        with db.engine.connect() as connection:
            counted = connection.scalar(sa.text(
                "SELECT count(*) FROM responses WHERE status != 'excluded'"))
        assert counted > 300
        upgrade()
        rows = db.session.scalar(sa.text("SELECT sum(rows) FROM response_sums"))
        assert rows == counted
        assert slices.check(db.engine) == []
        downgrade(revision=BEFORE_SUMS)
        assert "response_sums" not in sa.inspect(db.engine).get_table_names()
        db.engine.dispose()
