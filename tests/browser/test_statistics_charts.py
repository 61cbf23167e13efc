"""The statistics pages in headless Chromium: every chart with data is drawn by the vendored
Chart.js beside its table, one without data stays out of the way, and a phone-wide screen
scrolls tables inside their box instead of the page sideways."""

from urllib.parse import urlsplit

import pytest

from events.models import Booth
from tests.browser.conftest import open_page, open_phone, session_cookie
from tests.factories import EmployerFactory, JobListingFactory, staff_member
from tests.support.scenarios import (
    attend,
    enrol,
    register,
    sign_in,
    training_class,
    two_day_fair,
)
from trainees.models import Education, Sex

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

CHARTS = """() => [...document.querySelectorAll('canvas[data-chart]')].map(canvas => {
  const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
  let ink = 0;
  for (let i = 3; i < pixels.length; i += 4) if (pixels[i] > 0) ink += 1;
  return {
    id: canvas.dataset.chart,
    drawn: canvas.dataset.drawn === 'true',
    hidden: canvas.parentElement.hidden,
    ink,
    table: document.querySelector(`[data-chart-table="${canvas.dataset.chart}"]`) !== null,
  };
})"""


@pytest.fixture
def fair():
    event, day1, _day2 = two_day_fair()
    for index, sex in enumerate([Sex.MALE, Sex.FEMALE, Sex.FEMALE, Sex.MALE]):
        registration = register(
            event,
            birth_date=day1.starts_at.date().replace(year=1990 + index),
            sex=sex,
            education=Education.JUNIOR,
        )
        if index:
            sign_in(registration, at=day1.starts_at)
    return event


def test_every_chart_with_data_is_drawn_beside_its_table(live_server, browser, fair):
    bureau = staff_member("bureau", "Bureau statistics")
    page = open_page(
        browser,
        cookies=[session_cookie(bureau, live_server)],
        viewport={"width": 1280, "height": 900},
    )

    def look(page):
        page.goto(f"{live_server.url}/admin/statistics/events/{fair.pk}/")
        page.wait_for_selector("canvas[data-drawn]")
        return page.evaluate(CHARTS)

    try:
        charts = {chart["id"]: chart for chart in page.run(look)}
    finally:
        page.close()

    assert charts["chart-sex"]["drawn"] and charts["chart-sex"]["ink"] > 500
    assert charts["chart-arrivals-0"]["drawn"] and charts["chart-arrivals-0"]["ink"] > 500
    assert all(chart["table"] for chart in charts.values()), "every chart has its table"
    assert charts["chart-arrivals-1"]["hidden"], "day 2 has not begun: no empty chart"


def test_every_statistics_page_fits_a_phone_with_big_enough_buttons(
    live_server, browser, fair, django_user_model
):
    """At 360 px, as an organiser holding a phone at the gate: the event page with its
    employer list and intention form, a class's training page, the overview and the exports."""
    employer = EmployerFactory(name="南宁市明达机械有限公司（一个很长的用人单位名称）")
    Booth.objects.create(event=fair, employer=employer, number="A01")
    JobListingFactory(employer=employer, fairs=[fair])
    course, sessions, _now = training_class(sessions=12)
    attend(enrol(course), sessions[0])
    boss = django_user_model.objects.create_superuser(username="boss", password="password")
    page = open_phone(browser, cookies=[session_cookie(boss, live_server)])
    paths = [
        f"/admin/statistics/events/{fair.pk}/",
        f"/admin/statistics/events/{course.pk}/training/",
        "/admin/statistics/overview/",
        "/admin/statistics/exports/",
    ]

    def look(page):
        found = {}
        for path in paths:
            page.goto(f"{live_server.url}{path}")
            page.wait_for_load_state("load")
            controls = page.evaluate(
                """() => [...document.querySelectorAll(
                       'main button, main .button, main select, main input:not([type=hidden])')]
                     .filter(b => b.offsetParent !== null && b.type !== 'checkbox')
                     .map(b => [b.name || b.textContent.trim(), b.getBoundingClientRect().height])"""
            )
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            found[path] = (urlsplit(page.url).path, controls, overflow)
        return found

    try:
        found = page.run(look)
    finally:
        page.close()

    for path, (shown, controls, overflow) in found.items():
        assert shown == path, f"{path} answered with {shown} (the sign-in page?)"
        assert controls, f"{path}: no buttons or fields were measured"
        small = [f"{name}: {height}" for name, height in controls if height < 44]
        assert overflow <= 0, f"{path} scrolls {overflow} px sideways"
        assert small == [], f"{path}: controls under 44 px: {small}"
