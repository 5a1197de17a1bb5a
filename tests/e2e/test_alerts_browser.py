"""The alert list and the review of a fraud signal in a real browser, on the demo province
after the daily watch: an analyst finds the planted burst of top ratings, reads its evidence
and records a verdict; no response changes."""
from __future__ import annotations

from datetime import date, datetime

import pytest
import sqlalchemy as sa

from survey import demo
from survey.alerts import watch
from survey.alerts.calendar import LOCAL_TZ
from survey.extensions import db
from survey.models import Alert, Counter, Response


@pytest.fixture
def watched_server(app, live_server):
    with app.app_context():
        demo.load(db.session, responses=400, today=date(2026, 11, 23))
        db.session.commit()
        watch.run(db.session, datetime(2026, 11, 25, 16, 0, tzinfo=LOCAL_TZ), send=False)
    return live_server


def test_an_analyst_reviews_the_planted_burst(app, watched_server, browser, screenshot):
    with app.app_context():
        fraud = db.session.scalar(sa.select(Counter.id).where(
            Counter.code == demo.FRAUD_COUNTER))
        burst = db.session.scalar(sa.select(Alert.id).where(
            Alert.kind == "top_burst", Alert.level == "counter", Alert.unit_id == fraud))
        counted = db.session.scalar(sa.select(sa.func.count()).select_from(Response).where(
            Response.status != "excluded"))
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="vi-VN")
    page = context.new_page()
    page.goto(f"{watched_server.url}/auth/login")
    page.get_by_label("Tên đăng nhập").fill("analyst")
    page.get_by_label("Mật khẩu").fill("sipas-demo-analyst")
    page.get_by_role("button", name="Đăng nhập").click()
    page.get_by_role("link", name="Cảnh báo").click()
    table = page.locator("[data-testid=alerts]")
    assert table.locator("tr[data-kind=drop]").count() >= 1
    row = table.locator(f'tr[data-alert="{burst}"]')
    assert "Dồn dập đánh giá tối đa" in row.inner_text()
    assert f"{demo.FRAUD_COUNTER} – " in row.inner_text()
    screenshot(page, "workspace-alerts")
    row.get_by_role("link", name="Bằng chứng").click()
    evidence = page.locator("[data-testid=evidence]").inner_text()
    assert f"{demo.FRAUD_RATINGS} lượt đánh giá" in evidence
    page.get_by_label("Kết luận").select_option("confirmed")
    page.get_by_label("Ghi chú").fill("Đã làm việc với cán bộ trực ca chiều.")
    page.get_by_role("button", name="Lưu kết luận").click()
    page.get_by_text("Đã lưu kết luận. Không phiếu nào bị thay đổi.").wait_for()
    screenshot(page, "workspace-alert-reviewed")
    with app.app_context():
        alert = db.session.get(Alert, burst)
        assert (alert.status, alert.note) == ("confirmed", "Đã làm việc với cán bộ trực ca chiều.")
        assert db.session.scalar(sa.select(sa.func.count()).select_from(Response).where(
            Response.status != "excluded")) == counted
    context.close()
