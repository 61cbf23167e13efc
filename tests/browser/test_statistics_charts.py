"""The statistics pages in headless Chromium: every chart with data is drawn by the vendored
Chart.js beside its table, one without data stays out of the way, and a phone-wide screen
scrolls tables inside their box instead of the page sideways."""

import pytest
from django.test import Client

from events.models import Booth
from tests.browser.conftest import Phone
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


def signed_in_page(browser, live_server, user, **context_options) -> Phone:
    client = Client()
    client.force_login(user)
    cookie = {
        "name": "sessionid",
        "value": client.cookies["sessionid"].value,
        "url": live_server.url,
    }

    def open_page():
        context = browser._browser.new_context(locale="zh-CN", **context_options)
        context.add_cookies([cookie])
        return context.new_page()

    return Phone(browser, browser.run(open_page))


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
    page = signed_in_page(
        browser,
        live_server,
        staff_member("bureau", "Bureau statistics"),
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
    page = signed_in_page(
        browser,
        live_server,
        boss,
        viewport={"width": 360, "height": 740},
        is_mobile=True,
        has_touch=True,
    )
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
            small = page.evaluate(
                """() => [...document.querySelectorAll(
                       'main button, main .button, main select, main input:not([type=hidden])')]
                     .filter(b => b.offsetParent !== null && b.type !== 'checkbox')
                     .filter(b => b.getBoundingClientRect().height < 44)
                     .map(b => `${b.name || b.textContent.trim()}: ${b.getBoundingClientRect().height}`)"""
            )
            overflow = page.evaluate(
                "() => document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            found[path] = (small, overflow)
        return found

    try:
        found = page.run(look)
    finally:
        page.close()

    for path, (small, overflow) in found.items():
        assert overflow <= 0, f"{path} scrolls {overflow} px sideways"
        assert small == [], f"{path}: controls under 44 px: {small}"
