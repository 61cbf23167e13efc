"""Public pages at 360 px in headless Chromium: no sideways scrolling, tap targets >= 44 px."""

import pytest

from tests.factories import EventFactory, JobListingFactory

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

# Interactive elements the user taps, with their rendered size; inline links inside running text
# are exempt (WCAG 2.5.8), so .prose and .pre paragraphs are left out.
SMALL_TARGETS_JS = """
() => [...document.querySelectorAll('a, button, input, select, summary')]
  .filter(el => !el.closest('.prose, .pre, .skip-link, .visually-hidden, .site-footer p, #wagtail-userbar'))
  .filter(el => el.offsetParent !== null)
  // A checkbox is tapped through its label, so the label is what must be large enough.
  .map(el => (el.type === 'checkbox' || el.type === 'radio') && el.closest('label') ? el.closest('label') : el)
  .map(el => ({html: el.outerHTML.slice(0, 120), rect: el.getBoundingClientRect()}))
  .filter(({rect}) => rect.height < 44 || rect.width < 24)
  .map(({html, rect}) => `${Math.round(rect.width)}x${Math.round(rect.height)} ${html}`)
"""


@pytest.fixture
def content():
    fair = EventFactory(title="2026年春风行动南宁专场招聘会", sessions=2)
    job = JobListingFactory(title="电焊工", benefits=["meals", "housing"])
    job.fairs.add(fair)
    return fair, job


def test_public_pages_fit_a_360px_phone(live_server, phone, content):
    fair, job = content
    for path in [
        "/",
        "/events/",
        f"/events/{fair.pk}/",
        "/jobs/",
        f"/jobs/{job.pk}/",
        "/news/",
        "/search/?q=焊工",
    ]:
        response = phone.goto(live_server.url + path)
        assert response.status == 200, path
        overflow = phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 360px"
        small = phone.evaluate(SMALL_TARGETS_JS)
        assert small == [], f"{path} has tap targets under 44px: {small}"


def test_language_switch_changes_the_page_language(live_server, phone, content):
    phone.goto(live_server.url + "/")
    assert phone.get_attribute("html", "lang") == "zh-Hans"
    phone.click("button[name=language][value=en]")
    phone.wait_for_load_state()
    assert phone.get_attribute("html", "lang") == "en"
    assert phone.url.rstrip("/") == live_server.url.rstrip("/")
