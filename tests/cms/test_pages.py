"""The public site: page tree rules, every route in both languages, notices, JSON-LD, iCalendar."""

import datetime
import json
import re
import zoneinfo

import pytest
from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext
from icalendar import Calendar
from wagtail.models import Page
from wagtail.test.utils import WagtailPageTestCase

from cms.models import (
    ArticleIndexPage,
    ArticlePage,
    EventIndexPage,
    HomePage,
    JobIndexPage,
    StandardPage,
)
from tests.factories import EventFactory, JobListingFactory, SessionFactory, publish, shanghai

SHANGHAI = zoneinfo.ZoneInfo("Asia/Shanghai")


class PageTreeTests(WagtailPageTestCase):
    def test_home_page_sits_at_the_root(self):
        self.assertAllowedParentPageTypes(HomePage, {Page})
        self.assertCanCreateAt(Page, HomePage)
        # The abstract-like base Page is allowed everywhere but can never be created.
        self.assertAllowedSubpageTypes(
            HomePage, {Page, EventIndexPage, JobIndexPage, ArticleIndexPage, StandardPage}
        )
        self.assertEqual(
            set(HomePage.creatable_subpage_models()),
            {EventIndexPage, JobIndexPage, ArticleIndexPage, StandardPage},
        )

    def test_index_pages_live_under_home_and_have_no_children(self):
        for index in (EventIndexPage, JobIndexPage):
            self.assertAllowedParentPageTypes(index, {HomePage})
            self.assertAllowedSubpageTypes(index, set())
            self.assertCanCreateAt(HomePage, index)
            self.assertCanNotCreateAt(StandardPage, index)
            self.assertCanNotCreateAt(Page, index)

    def test_articles_live_under_the_article_index_only(self):
        self.assertAllowedParentPageTypes(ArticleIndexPage, {HomePage})
        self.assertAllowedSubpageTypes(ArticleIndexPage, {ArticlePage})
        self.assertAllowedParentPageTypes(ArticlePage, {ArticleIndexPage})
        self.assertAllowedSubpageTypes(ArticlePage, set())
        self.assertCanCreateAt(ArticleIndexPage, ArticlePage)
        self.assertCanNotCreateAt(HomePage, ArticlePage)
        self.assertCanNotCreateAt(StandardPage, ArticlePage)
        self.assertCanNotCreateAt(ArticlePage, ArticlePage)

    def test_standard_pages_nest(self):
        self.assertAllowedParentPageTypes(StandardPage, {HomePage, StandardPage})
        self.assertAllowedSubpageTypes(StandardPage, {Page, StandardPage})
        self.assertEqual(set(StandardPage.creatable_subpage_models()), {StandardPage})
        self.assertCanCreateAt(StandardPage, StandardPage)
        self.assertCanNotCreateAt(EventIndexPage, StandardPage)
        self.assertCanNotCreateAt(Page, StandardPage)

    def test_the_migration_builds_the_site_tree_once(self):
        home = HomePage.objects.get()
        self.assertEqual(home.get_url(), "/")
        self.assertEqual(
            sorted((p.specific_class.__name__, p.url) for p in home.get_children()),
            [
                ("ArticleIndexPage", "/news/"),
                ("EventIndexPage", "/events/"),
                ("JobIndexPage", "/jobs/"),
            ],
        )
        # max_count = 1: no second home page or index page can be added.
        self.assertFalse(HomePage.can_create_at(Page.get_first_root_node()))
        self.assertFalse(EventIndexPage.can_create_at(home))
        self.assertFalse(JobIndexPage.can_create_at(home))
        self.assertTrue(ArticleIndexPage.can_create_at(home))

    def test_index_pages_are_routable(self):
        event = EventFactory()
        job = JobListingFactory()
        events_index = EventIndexPage.objects.get()
        self.assertPageIsRoutable(events_index)
        self.assertPageIsRoutable(events_index, f"{event.pk}/")
        self.assertPageIsRoutable(
            events_index, events_index.reverse_subpage("calendar", args=[event.pk])
        )
        self.assertPageIsRoutable(JobIndexPage.objects.get())
        self.assertPageIsRoutable(JobIndexPage.objects.get(), f"{job.pk}/")


@pytest.fixture
def site_content():
    """One of each: fair, training, job, article, standard page."""
    fair = EventFactory(title="2026年春风行动南宁专场招聘会", sessions=2)
    training = EventFactory(training=True, title="电焊工技能培训班")
    job = JobListingFactory(title="电焊工", benefits=["meals", "housing"], fairs=[fair])
    news = ArticleIndexPage.objects.get()
    article = news.add_child(
        instance=ArticlePage(
            title="春风行动启动", slug="launch", date=timezone.localdate(), summary="启动仪式"
        )
    )
    home = HomePage.objects.get()
    about = home.add_child(instance=StandardPage(title="关于我们", slug="about"))
    return {"fair": fair, "training": training, "job": job, "article": article, "about": about}


def routes(content):
    fair, job = content["fair"], content["job"]
    return [
        "/",
        "/events/",
        "/events/?kind=training",
        f"/events/{fair.pk}/",
        f"/events/{content['training'].pk}/",
        "/jobs/",
        "/jobs/?benefits=meals&benefits=housing&q=焊工",
        f"/jobs/{job.pk}/",
        "/news/",
        content["article"].url,
        content["about"].url,
        "/search/?q=焊工",
        "/search/",
    ]


ROUTE_IDS = [
    "home",
    "events",
    "events-filtered",
    "fair",
    "training",
    "jobs",
    "jobs-filtered",
    "job",
    "news",
    "article",
    "standard",
    "search",
    "search-empty",
]


def html_lang(html: str) -> str:
    match = re.search(r"<html[^>]*\blang=\"([^\"]+)\"", html)
    assert match, "no <html lang> attribute"
    return match.group(1)


def main_nav(html: str) -> str:
    """The text of the site's main menu: the <nav> that links to /jobs/."""
    for nav in re.findall(r"<nav\b.*?</nav>", html, re.S):
        if 'href="/jobs/"' in nav:
            return re.sub(r"<[^>]+>", " ", nav)
    raise AssertionError("no main menu linking to /jobs/")


CJK = re.compile(r"[\u4e00-\u9fff]")


def translated(message: str, language: str) -> str:
    with translation.override(language):
        return gettext(message)


@pytest.mark.django_db
@pytest.mark.parametrize("index", range(len(ROUTE_IDS)), ids=ROUTE_IDS)
def test_every_route_renders_in_chinese_by_default(client, site_content, index):
    url = routes(site_content)[index]
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    assert html_lang(html).lower() == "zh-hans"
    chinese_jobs = translated("Jobs", "zh-hans")
    assert chinese_jobs != "Jobs", "the zh_Hans catalog is not compiled (make messages)"
    nav = main_nav(html)
    assert chinese_jobs in nav
    assert "Jobs" not in nav


@pytest.mark.django_db
@pytest.mark.parametrize("index", range(len(ROUTE_IDS)), ids=ROUTE_IDS)
def test_every_route_renders_in_english_with_the_language_cookie(client, site_content, index):
    url = routes(site_content)[index]
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    response = client.get(url)
    assert response.status_code == 200, url
    html = response.content.decode()
    assert html_lang(html) == "en"
    nav = main_nav(html)
    assert "Jobs" in nav
    assert not CJK.search(nav), nav


@pytest.mark.django_db
def test_language_switch_sets_the_cookie(client):
    response = client.post("/i18n/setlang/", {"language": "en", "next": "/jobs/"})
    assert response.status_code == 302
    assert response.cookies[settings.LANGUAGE_COOKIE_NAME].value == "en"
    assert html_lang(client.get("/jobs/").content.decode()) == "en"


@pytest.mark.django_db
def test_listings_show_their_items(client, site_content):
    html = client.get("/events/").content.decode()
    assert "2026年春风行动南宁专场招聘会" in html
    assert "电焊工技能培训班" in html
    html = client.get("/events/?kind=training").content.decode()
    assert "电焊工技能培训班" in html
    assert "2026年春风行动南宁专场招聘会" not in html
    html = client.get("/search/?q=焊工").content.decode()
    assert "电焊工技能培训班" in html
    assert f'href="/jobs/{site_content["job"].pk}/"' in html
    html = client.get("/").content.decode()
    assert "2026年春风行动南宁专场招聘会" in html
    assert "春风行动启动" in html
    fair_html = client.get(f"/events/{site_content['fair'].pk}/").content.decode()
    assert f'href="/jobs/{site_content["job"].pk}/"' in fair_html


@pytest.mark.django_db
def test_past_event_shows_a_notice_and_stays_listed(client):
    past = EventFactory(
        title="2026年迎新春招聘会",
        starts_at=timezone.now() - datetime.timedelta(days=3, hours=8),
        ends_at=timezone.now() - datetime.timedelta(days=3),
    )
    upcoming = EventFactory(title="下周招聘会")
    notice = translated("This event is over. The page stays online for reference.", "zh-hans")

    response = client.get(f"/events/{past.pk}/")
    assert response.status_code == 200
    assert notice in response.content.decode()
    assert notice not in client.get(f"/events/{upcoming.pk}/").content.decode()
    assert "2026年迎新春招聘会" in client.get("/events/").content.decode()


@pytest.mark.django_db
def test_expired_job_shows_a_notice(client):
    expired = JobListingFactory(expired=True)
    current = JobListingFactory()

    response = client.get(f"/jobs/{expired.pk}/")
    assert response.status_code == 200
    html = response.content.decode()
    assert 'class="notice"' in html
    assert expired.valid_until.strftime("%Y-%m-%d") in html
    assert 'class="notice"' not in client.get(f"/jobs/{current.pk}/").content.decode()
    # Expired jobs leave the default listing but come back on request.
    assert f"/jobs/{expired.pk}/" not in client.get("/jobs/").content.decode()
    assert f"/jobs/{expired.pk}/" in client.get("/jobs/?expired=on").content.decode()


@pytest.mark.django_db
def test_drafts_are_not_public(client):
    event = EventFactory(draft=True)
    job = JobListingFactory(draft=True)
    assert client.get(f"/events/{event.pk}/").status_code == 404
    assert client.get(calendar_url(event)).status_code == 404
    assert client.get(f"/jobs/{job.pk}/").status_code == 404
    assert client.get("/events/999999/").status_code == 404
    assert event.title not in client.get("/events/").content.decode()
    assert job.title not in client.get("/jobs/").content.decode()


@pytest.mark.django_db
def test_publishing_a_draft_makes_it_public(client, superuser):
    event = EventFactory(draft=True)
    job = JobListingFactory(draft=True)
    assert client.get(f"/events/{event.pk}/").status_code == 404

    publish(event, user=superuser)
    publish(job, user=superuser)

    assert event.live and event.live_revision.user == superuser
    assert client.get(f"/events/{event.pk}/").status_code == 200
    assert client.get(f"/jobs/{job.pk}/").status_code == 200


@pytest.mark.django_db
def test_unpublished_event_disappears(client):
    event = EventFactory(sessions=1)
    assert client.get(f"/events/{event.pk}/").status_code == 200
    event.unpublish()
    assert client.get(f"/events/{event.pk}/").status_code == 404


def json_ld(html: str) -> list[dict]:
    blocks = re.findall(r'<script type="application/ld\+json">(.*?)</script>', html, re.S)
    return [json.loads(block) for block in blocks]


@pytest.mark.django_db
def test_event_page_has_event_json_ld(client):
    event = EventFactory(
        title='招聘会 </script><script>alert("x")</script> & 更多',
        starts_at=shanghai(2026, 3, 10, 9),
        ends_at=shanghai(2026, 3, 10, 17),
    )
    html = client.get(f"/events/{event.pk}/").content.decode()
    assert "<script>alert" not in html
    [data] = json_ld(html)
    assert data["@type"] == "Event"
    assert data["name"] == event.title
    assert datetime.datetime.fromisoformat(data["startDate"]) == shanghai(2026, 3, 10, 9)
    assert datetime.datetime.fromisoformat(data["endDate"]) == shanghai(2026, 3, 10, 17)
    assert data["location"]["name"] == event.venue
    assert data["location"]["address"]["addressLocality"] == "兴宁区"
    assert data["url"] == f"http://testserver/events/{event.pk}/"


@pytest.mark.django_db
def test_job_page_has_job_posting_json_ld(client):
    job = JobListingFactory(title="电焊工", salary_min=6000, salary_max=9000)
    html = client.get(f"/jobs/{job.pk}/").content.decode()
    [data] = json_ld(html)
    assert data["@type"] == "JobPosting"
    assert data["title"] == "电焊工"
    assert data["validThrough"] == job.valid_until.isoformat()
    assert data["hiringOrganization"]["name"] == job.employer.name
    salary = data["baseSalary"]
    assert salary["currency"] == "CNY"
    assert (salary["value"]["minValue"], salary["value"]["maxValue"]) == (6000, 9000)
    assert salary["value"]["unitText"] == "MONTH"


def calendar_url(event) -> str:
    """The event's .ics download: the "calendar" route of the event index page."""
    index = EventIndexPage.objects.get()
    return index.url + index.reverse_subpage("calendar", args=[event.pk])


@pytest.mark.django_db
def test_fair_page_links_to_its_calendar(client):
    event = EventFactory()
    url = calendar_url(event)
    assert url.startswith(f"/events/{event.pk}/")
    assert f'href="{url}"' in client.get(f"/events/{event.pk}/").content.decode()


@pytest.mark.django_db
def test_calendar_has_one_vevent_per_session_in_shanghai_time(client):
    event = EventFactory(
        training=True,
        title="电焊工技能培训班",
        starts_at=shanghai(2026, 3, 10, 8, 30),
        ends_at=shanghai(2026, 3, 12, 17, 30),
        sessions=0,
    )
    sessions = [
        SessionFactory(
            event=event,
            title=f"第{day - 9}天",
            starts_at=shanghai(2026, 3, day, 8, 30),
            ends_at=shanghai(2026, 3, day, 17, 30),
        )
        for day in (10, 11, 12)
    ]

    response = client.get(calendar_url(event))

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/calendar")
    calendar = Calendar.from_ical(response.content)
    entries = sorted(calendar.walk("VEVENT"), key=lambda e: e.decoded("dtstart"))
    assert len(entries) == len(sessions)
    for entry, session in zip(entries, sessions, strict=True):
        start, end = entry.decoded("dtstart"), entry.decoded("dtend")
        assert start.tzinfo is not None and end.tzinfo is not None
        assert start == session.starts_at and end == session.ends_at
        local = start.astimezone(SHANGHAI)
        assert (local.hour, local.minute) == (8, 30)
        assert str(entry["summary"]) == f"电焊工技能培训班 {session.title}"
        assert str(entry["url"]) == f"http://testserver/events/{event.pk}/"
    assert len({str(entry["uid"]) for entry in entries}) == 3

    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    english = client.get(calendar_url(event))
    assert english.status_code == 200
    assert len(Calendar.from_ical(english.content).walk("VEVENT")) == 3
