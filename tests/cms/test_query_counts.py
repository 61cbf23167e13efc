"""Public pages run a bounded number of queries, however many items they show.

Each page is requested once to warm the caches (site root paths, county choices), then measured
with N items and again with 3N items: the counts must be equal and small.
"""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from cms.models import ArticleIndexPage, ArticlePage
from events.models import Booth
from tests.factories import EmployerFactory, EventFactory, JobListingFactory

MAX_QUERIES = 15
N = 3


def count_queries(client, url) -> int:
    assert client.get(url).status_code == 200, url  # warm-up
    with CaptureQueriesContext(connection) as context:
        response = client.get(url)
    assert response.status_code == 200, url
    return len(context.captured_queries)


def add_articles(count):
    index = ArticleIndexPage.objects.get()
    for _ in range(count):
        index.add_child(
            instance=ArticlePage(
                title="政策解读",
                slug=f"policy-{ArticlePage.objects.count()}",
                date=timezone.localdate(),
            )
        )
        index.refresh_from_db()


def add_home_content(count):
    for _ in range(count):
        EventFactory(sessions=2)
        EventFactory(training=True)
        JobListingFactory(benefits=["meals", "housing"])
    add_articles(count)


def add_fair_content(fair, count):
    for _ in range(count):
        employer = EmployerFactory()
        Booth.objects.create(event=fair, employer=employer, number=f"A{Booth.objects.count()}")
        JobListingFactory(employer=employer, benefits=["meals"], fairs=[fair])


def assert_bounded(client, url, add_items):
    add_items(N)
    small = count_queries(client, url)
    add_items(2 * N)
    large = count_queries(client, url)
    assert small == large, f"{url}: {small} queries with {N} items, {large} with {3 * N}"
    assert large <= MAX_QUERIES, f"{url}: {large} queries"


@pytest.mark.django_db
def test_home_page_queries_are_bounded(client):
    assert_bounded(client, "/", add_home_content)


@pytest.mark.django_db
def test_event_listing_queries_are_bounded(client):
    assert_bounded(client, "/events/", add_home_content)
    assert_bounded(client, "/events/?kind=job_fair&open_only=on&q=招聘会", add_home_content)


@pytest.mark.django_db
def test_fair_page_queries_are_bounded(client):
    fair = EventFactory(
        title="2026年春风行动南宁专场招聘会",
        starts_at=timezone.now() + datetime.timedelta(days=3),
        sessions=3,
    )
    assert_bounded(client, f"/events/{fair.pk}/", lambda n: add_fair_content(fair, n))


@pytest.mark.django_db
def test_job_listing_queries_are_bounded(client):
    assert_bounded(client, "/jobs/", add_home_content)
    assert_bounded(client, "/jobs/?benefits=meals&benefits=housing&q=普工", add_home_content)


@pytest.mark.django_db
def test_job_page_queries_are_bounded(client):
    job = JobListingFactory(benefits=["meals", "housing", "insurance"])

    def add_fairs(count):
        job.fairs.add(*[EventFactory() for _ in range(count)])
        job.save()

    assert_bounded(client, f"/jobs/{job.pk}/", add_fairs)


@pytest.mark.django_db
def test_news_listing_queries_are_bounded(client):
    assert_bounded(client, "/news/", add_articles)


@pytest.mark.django_db
def test_search_queries_are_bounded(client):
    def add_matches(count):
        for _ in range(count):
            EventFactory(training=True)  # 电焊工技能培训班, trade 焊工
            JobListingFactory(title="电焊工", benefits=["meals"])
        index = ArticleIndexPage.objects.get()
        for _ in range(count):
            index.add_child(
                instance=ArticlePage(
                    title="电焊工培训补贴",
                    slug=f"welding-{ArticlePage.objects.count()}",
                    date=timezone.localdate(),
                )
            )
            index.refresh_from_db()

    assert_bounded(client, "/search/?q=焊工", add_matches)
