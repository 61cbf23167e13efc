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
    paths = ["/", "/events/", f"/events/{fair.pk}/", "/jobs/", f"/jobs/{job.pk}/", "/news/"]
    paths.append("/search/?q=焊工")

    def measure(page):
        results = {}
        for path in paths:
            response = page.goto(live_server.url + path)
            results[path] = (
                response.status,
                page.evaluate("document.documentElement.scrollWidth - window.innerWidth"),
                page.evaluate(SMALL_TARGETS_JS),
            )
        return results

    for path, (status, overflow, small) in phone.run(measure).items():
        assert status == 200, path
        assert overflow <= 0, f"{path} scrolls sideways by {overflow}px at 360px"
        assert small == [], f"{path} has tap targets under 44px: {small}"


def test_language_switch_changes_the_page_language(live_server, phone, content):
    def switch(page):
        page.goto(live_server.url + "/")
        before = page.get_attribute("html", "lang")
        page.click("button[name=language][value=en]")
        page.wait_for_load_state()
        return before, page.get_attribute("html", "lang"), page.url

    before, after, url = phone.run(switch)
    assert before == "zh-Hans"
    assert after == "en"
    assert url.rstrip("/") == live_server.url.rstrip("/")
