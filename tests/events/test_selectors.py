import datetime

import pytest
from django.utils import timezone
from wagtail.models import Page
from wagtail.search.backends import get_search_backend

from cms.models import ArticleIndexPage, ArticlePage
from events.models import Event, EventKind, EventStatus, JobCategory, JobListing
from events.selectors import (
    EventFilters,
    JobFilters,
    event_for_public_page,
    filter_events,
    filter_job_listings,
    job_for_public_page,
    jobs_for_event,
    latest_job_listings,
    upcoming_events,
)
from tests.factories import (
    QINGXIU,
    XINGNING,
    EventFactory,
    JobListingFactory,
    county,
    shanghai,
)

NOW = shanghai(2026, 3, 5, 12)
TODAY = datetime.date(2026, 3, 5)
FAIR_TITLE = "2026年春风行动南宁专场招聘会"


def titles(queryset):
    return [obj.title for obj in queryset]


@pytest.fixture
def events():
    """A fair and a class in different counties, a past fair, a draft and a cancelled fair."""
    fair = EventFactory(
        title=FAIR_TITLE,
        starts_at=shanghai(2026, 3, 10, 9),
        ends_at=shanghai(2026, 3, 10, 17),
        registration_opens_at=shanghai(2026, 3, 1, 9),
        registration_closes_at=shanghai(2026, 3, 9, 18),
    )
    training = EventFactory(
        training=True,
        title="电焊工技能培训班",
        region=county(QINGXIU),
        starts_at=shanghai(2026, 3, 20, 9),
        ends_at=shanghai(2026, 4, 20, 17),
    )
    past = EventFactory(
        title="2026年迎新春招聘会",
        starts_at=shanghai(2026, 2, 1, 9),
        ends_at=shanghai(2026, 2, 1, 17),
    )
    EventFactory(draft=True, title="草稿招聘会", starts_at=shanghai(2026, 3, 12, 9))
    cancelled = EventFactory(
        title="取消的招聘会",
        status=EventStatus.CANCELLED,
        starts_at=shanghai(2026, 3, 15, 9),
        ends_at=shanghai(2026, 3, 15, 17),
    )
    return {"fair": fair, "training": training, "past": past, "cancelled": cancelled}


@pytest.mark.django_db
def test_only_live_events_listed_in_date_order_past_included(events):
    result = filter_events(filters=EventFilters(), now=NOW)
    assert titles(result) == [
        "2026年迎新春招聘会",
        FAIR_TITLE,
        "取消的招聘会",
        "电焊工技能培训班",
    ]


@pytest.mark.django_db
def test_filter_events_by_kind(events):
    assert titles(filter_events(filters=EventFilters(kind=EventKind.TRAINING), now=NOW)) == [
        "电焊工技能培训班"
    ]
    fairs = titles(filter_events(filters=EventFilters(kind=EventKind.JOB_FAIR), now=NOW))
    assert "电焊工技能培训班" not in fairs
    assert FAIR_TITLE in fairs


@pytest.mark.django_db
def test_filter_events_by_county(events):
    assert titles(filter_events(filters=EventFilters(county_code=QINGXIU), now=NOW)) == [
        "电焊工技能培训班"
    ]
    assert "电焊工技能培训班" not in titles(
        filter_events(filters=EventFilters(county_code=XINGNING), now=NOW)
    )


@pytest.mark.django_db
def test_filter_events_by_date_range_includes_overlapping_events(events):
    # The training runs 20 March to 20 April: a range inside it still finds it.
    result = filter_events(
        filters=EventFilters(
            date_from=datetime.date(2026, 4, 1), date_to=datetime.date(2026, 4, 2)
        ),
        now=NOW,
    )
    assert titles(result) == ["电焊工技能培训班"]

    result = filter_events(
        filters=EventFilters(
            date_from=datetime.date(2026, 3, 10), date_to=datetime.date(2026, 3, 10)
        ),
        now=NOW,
    )
    assert titles(result) == [FAIR_TITLE]

    result = filter_events(filters=EventFilters(date_to=datetime.date(2026, 2, 28)), now=NOW)
    assert titles(result) == ["2026年迎新春招聘会"]


@pytest.mark.django_db
def test_date_range_uses_shanghai_dates():
    # 00:30 on 11 March in Shanghai is still 10 March in UTC.
    EventFactory(
        title="夜场",
        starts_at=shanghai(2026, 3, 11, 0, 30),
        ends_at=shanghai(2026, 3, 11, 2, 0),
    )
    on_the_11th = filter_events(
        filters=EventFilters(
            date_from=datetime.date(2026, 3, 11), date_to=datetime.date(2026, 3, 11)
        ),
        now=NOW,
    )
    assert titles(on_the_11th) == ["夜场"]


@pytest.mark.django_db
def test_open_only_respects_window_edges(events):
    def open_titles(now):
        return titles(filter_events(filters=EventFilters(open_only=True), now=now))

    # Before the window opens: only the training, which has no window at all.
    assert open_titles(shanghai(2026, 3, 1, 8, 59)) == ["电焊工技能培训班"]
    # Exactly at the opening and exactly at the closing moment the fair is open.
    assert FAIR_TITLE in open_titles(shanghai(2026, 3, 1, 9))
    assert FAIR_TITLE in open_titles(shanghai(2026, 3, 9, 18))
    # One minute after closing it is not.
    assert FAIR_TITLE not in open_titles(shanghai(2026, 3, 9, 18, 1))
    # Cancelled and past events are never open.
    assert "取消的招聘会" not in open_titles(NOW)
    assert "2026年迎新春招聘会" not in open_titles(NOW)
    # The training is open until it ends.
    assert "电焊工技能培训班" in open_titles(shanghai(2026, 4, 20, 17))
    assert "电焊工技能培训班" not in open_titles(shanghai(2026, 4, 20, 17, 1))


@pytest.mark.django_db
def test_open_only_agrees_with_is_registration_open(events):
    for moment in [
        shanghai(2026, 3, 1, 8, 59),
        shanghai(2026, 3, 1, 9),
        shanghai(2026, 3, 9, 18),
        shanghai(2026, 3, 9, 18, 1),
        shanghai(2026, 4, 21, 9),
    ]:
        in_query = set(
            filter_events(filters=EventFilters(open_only=True), now=moment).values_list(
                "pk", flat=True
            )
        )
        by_method = {
            e.pk for e in Event.objects.filter(live=True) if e.is_registration_open(moment)
        }
        assert in_query == by_method, moment


@pytest.mark.django_db
def test_event_keyword_search_is_substring(events):
    assert titles(filter_events(filters=EventFilters(query="招聘会"), now=NOW)) == [
        "2026年迎新春招聘会",
        FAIR_TITLE,
        "取消的招聘会",
    ]
    # Matches the trade field too.
    assert titles(filter_events(filters=EventFilters(query="焊工"), now=NOW)) == [
        "电焊工技能培训班"
    ]


@pytest.mark.django_db
def test_upcoming_events_skip_past_and_drafts(events):
    fairs = upcoming_events(kind=EventKind.JOB_FAIR, limit=10, now=NOW)
    assert [e.title for e in fairs] == [FAIR_TITLE, "取消的招聘会"]
    assert [e.title for e in upcoming_events(kind=EventKind.JOB_FAIR, limit=1, now=NOW)] == [
        FAIR_TITLE
    ]


@pytest.mark.django_db
def test_public_event_lookup_hides_drafts(events):
    draft = Event.objects.get(title="草稿招聘会")
    assert event_for_public_page(pk=draft.pk) is None
    assert event_for_public_page(pk=events["fair"].pk) == events["fair"]


@pytest.fixture
def jobs():
    welder = JobListingFactory(
        title="电焊工",
        category=JobCategory.WELDING,
        work_content="钢结构焊接",
        salary_min=6000,
        salary_max=9000,
        benefits=["meals", "housing"],
        valid_from=TODAY - datetime.timedelta(days=3),
        valid_until=TODAY + datetime.timedelta(days=30),
    )
    operative = JobListingFactory(
        title="普工",
        region=county(QINGXIU),
        salary_min=3500,
        salary_max=4500,
        benefits=["meals"],
        valid_from=TODAY - datetime.timedelta(days=2),
        valid_until=TODAY,
    )
    expired = JobListingFactory(
        title="叉车司机",
        category=JobCategory.DRIVING,
        salary_min=5000,
        salary_max=7000,
        benefits=["meals", "housing", "insurance"],
        valid_from=TODAY - datetime.timedelta(days=40),
        valid_until=TODAY - datetime.timedelta(days=1),
    )
    draft = JobListingFactory(draft=True, title="草稿焊工", valid_until=TODAY)
    return {"welder": welder, "operative": operative, "expired": expired, "draft": draft}


def job_titles(filters, today=TODAY):
    return sorted(titles(filter_job_listings(filters=filters, today=today)))


@pytest.mark.django_db
def test_expired_and_draft_jobs_excluded_by_default(jobs):
    # valid_until == today is still valid.
    assert job_titles(JobFilters()) == ["普工", "电焊工"]
    assert job_titles(JobFilters(include_expired=True)) == ["叉车司机", "普工", "电焊工"]
    assert job_titles(JobFilters(), today=TODAY + datetime.timedelta(days=1)) == ["电焊工"]


@pytest.mark.django_db
def test_filter_jobs_by_county_and_category(jobs):
    assert job_titles(JobFilters(county_code=QINGXIU)) == ["普工"]
    assert job_titles(JobFilters(county_code=XINGNING)) == ["电焊工"]
    assert job_titles(JobFilters(category=JobCategory.WELDING)) == ["电焊工"]
    assert job_titles(JobFilters(category=JobCategory.DRIVING, include_expired=True)) == [
        "叉车司机"
    ]


@pytest.mark.django_db
def test_salary_at_least_compares_with_the_top_of_the_range(jobs):
    assert job_titles(JobFilters(salary_at_least=4500)) == ["普工", "电焊工"]
    assert job_titles(JobFilters(salary_at_least=4501)) == ["电焊工"]
    assert job_titles(JobFilters(salary_at_least=9001)) == []


@pytest.mark.django_db
def test_benefits_must_all_match(jobs):
    assert job_titles(JobFilters(benefits=("meals",))) == ["普工", "电焊工"]
    # 包吃住 = meals AND housing.
    assert job_titles(JobFilters(benefits=("meals", "housing"))) == ["电焊工"]
    assert job_titles(JobFilters(benefits=("meals", "housing"), include_expired=True)) == [
        "叉车司机",
        "电焊工",
    ]
    assert job_titles(JobFilters(benefits=("shuttle",))) == []


@pytest.mark.django_db
def test_benefit_filter_returns_each_job_once(jobs):
    result = list(
        filter_job_listings(filters=JobFilters(benefits=("meals", "housing")), today=TODAY)
    )
    assert len(result) == len({job.pk for job in result})
    # And the prefetched benefits are complete, not only the ones filtered on.
    assert {b.code for b in result[0].benefits.all()} == {"meals", "housing"}


@pytest.mark.django_db
def test_chinese_substring_search_finds_jobs(jobs):
    assert job_titles(JobFilters(query="焊工")) == ["电焊工"]
    assert job_titles(JobFilters(query="焊")) == ["电焊工"]
    assert job_titles(JobFilters(query="流水线")) == ["普工"]  # work content
    employer_name = jobs["welder"].employer.name
    assert "电焊工" in job_titles(JobFilters(query=employer_name))


@pytest.mark.django_db
def test_latest_and_public_job_lookups(jobs):
    assert [j.title for j in latest_job_listings(limit=1, today=TODAY)] == ["普工"]
    assert job_for_public_page(pk=jobs["draft"].pk) is None
    assert job_for_public_page(pk=jobs["welder"].pk) == jobs["welder"]


@pytest.mark.django_db
def test_jobs_for_event_lists_live_jobs_offered_at_the_fair(events, jobs):
    fair = events["fair"]
    jobs["welder"].fairs.set([fair])
    jobs["welder"].save()
    jobs["draft"].fairs.set([fair])
    jobs["draft"].save()
    assert [j.title for j in jobs_for_event(event=fair)] == ["电焊工"]


@pytest.mark.django_db
def test_wagtail_search_backend_matches_chinese_substrings(events, jobs):
    # Event and JobListing have no searchable manager (Model.objects.search), so the backend
    # is called directly, as the snippet listing views do.
    backend = get_search_backend()
    assert backend.__class__.__module__.endswith("fallback")
    found = titles(backend.search("招聘会", Event.objects.filter(live=True)))
    assert FAIR_TITLE in found
    assert "电焊工技能培训班" not in found
    assert "电焊工技能培训班" in titles(backend.search("焊工", Event))  # the trade field
    found = titles(backend.search("焊工", JobListing.objects.filter(live=True)))
    assert found == ["电焊工"]


@pytest.mark.django_db
def test_page_search_matches_chinese_substrings():
    index = ArticleIndexPage.objects.get()
    article = ArticlePage(
        title="我市开展电焊工免费培训",
        slug="welding-training",
        date=timezone.localdate(),
        summary="补贴性培训",
    )
    index.add_child(instance=article)
    found = Page.objects.live().search("焊工")
    assert [p.title for p in found] == ["我市开展电焊工免费培训"]
    assert [p.title for p in Page.objects.live().search("招聘会")] == ["招聘会与培训"]
