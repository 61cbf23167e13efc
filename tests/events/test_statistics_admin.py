"""Statistics screens in the Wagtail admin: who sees which page, what organisers and officers
record there, and a fixed number of queries per page whatever the size of the event."""

import datetime
import json
import re

import pytest
from celery.contrib.testing.worker import start_worker
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from config.celery import app
from events.models import (
    Booth,
    CheckIn,
    EmployerCheckIn,
    EventStaffRole,
    EventSummary,
    Intention,
    ManualFigure,
    ManualFigureKind,
    StatisticsClient,
)
from events.reports import services
from tests.factories import EmployerFactory, JobListingFactory, make_worker, staff_member, village
from tests.support.scenarios import (
    attend,
    enrol,
    fair_now,
    register,
    sign_in,
    training_class,
    two_day_fair,
)
from tests.support.waiting import wait_until
from trainees.models import SpecialGroup

pytestmark = pytest.mark.django_db

MAX_QUERIES = 20  # per page, everything the request does included (bench/reports.py too)


@pytest.fixture
def fair():
    event, day1, _day2 = two_day_fair()
    employer = EmployerFactory(name="南宁市明达机械有限公司")
    Booth.objects.create(event=event, employer=employer, number="A01")
    JobListingFactory(employer=employer, headcount=12, fairs=[event])
    for _ in range(3):
        sign_in(register(event, groups=[SpecialGroup.VETERAN]), at=day1.starts_at)
    register(event)
    return event


@pytest.fixture
def other_fair():
    return two_day_fair()[0]


def people(fair, other_fair):
    return {
        "organiser": staff_member(
            "organiser", "Organisers", event=fair, role=EventStaffRole.ORGANISER
        ),
        "scanner": staff_member("gate", "Scanners", event=fair, role=EventStaffRole.SCANNER),
        "bureau": staff_member("bureau", "Bureau statistics"),
        "officer": staff_member("officer", "Subsidy officers"),
        "coordinator": staff_member("coordinator", "Coordinators"),
        "other_organiser": staff_member(
            "elsewhere", "Organisers", event=other_fair, role=EventStaffRole.ORGANISER
        ),
    }


def status(client, user, url) -> int:
    client.force_login(user)
    return client.get(url).status_code


def test_who_sees_an_events_statistics(client, fair, other_fair):
    users = people(fair, other_fair)
    url = reverse("statistics:event", args=[fair.pk])

    assert client.get(url).status_code == 302, "anonymous: to the sign-in page"
    assert status(client, users["organiser"], url) == 200
    assert status(client, users["bureau"], url) == 200
    assert status(client, users["officer"], url) == 200
    assert status(client, users["other_organiser"], url) == 404, "not theirs: as if absent"
    assert status(client, users["scanner"], url) == 404
    assert status(client, users["coordinator"], url) == 404


@pytest.mark.parametrize(
    ("name", "allowed"),
    [
        ("statistics:index", {"organiser", "bureau", "officer", "other_organiser"}),
        ("statistics:overview", {"bureau", "officer"}),
        ("statistics:exports", {"organiser", "bureau", "officer", "other_organiser"}),
        ("statistics_clients:index", set()),
        ("statistics_clients:add", set()),
    ],
)
def test_who_sees_the_other_statistics_pages(client, fair, other_fair, name, allowed):
    users = people(fair, other_fair)
    for username, user in users.items():
        code = status(client, user, reverse(name))
        assert (code == 200) == (username in allowed), (username, code)


def test_the_event_page_shows_figures_charts_with_tables_and_no_special_groups(client, fair):
    client.force_login(staff_member("bureau", "Bureau statistics"))

    page = client.get(reverse("statistics:event", args=[fair.pk])).content.decode()

    figures = dict(re.findall(r'data-figure="(\w+)"><span class="stats-value">([^<]*)<', page))
    assert figures["registered"] == "4" and figures["entrants"] == "3"
    assert figures["openings"] == "0", "nobody recorded the employer as present"
    chart = json.loads(
        re.search(r'<script id="chart-sex" type="application/json">(.*?)</script>', page).group(1)
    )
    assert chart["series"][0]["label"] == "已报名"
    assert 'data-chart-table="chart-sex"' in page, "every chart has its data table"
    assert "chart-special-groups" not in page, "special groups need their own permission"
    assert 'id="figure-form"' not in page, "only organisers enter figures"


def test_officers_see_special_groups(client, fair):
    client.force_login(staff_member("officer", "Subsidy officers"))

    page = client.get(reverse("statistics:event", args=[fair.pk])).content.decode()

    assert "chart-special-groups" in page and "退役军人" in page


def test_the_event_page_takes_a_fixed_number_of_queries(client, fair):
    client.force_login(staff_member("officer", "Subsidy officers"))
    url = reverse("statistics:event", args=[fair.pk])
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    day1 = fair.sessions.order_by("starts_at").first()
    for _ in range(15):
        sign_in(register(fair, groups=[SpecialGroup.MIGRANT_WORKER]), at=day1.starts_at)
        Booth.objects.create(event=fair, employer=EmployerFactory(), number=f"B{_}")
    with CaptureQueriesContext(connection) as large:
        client.get(url)

    assert len(large) == len(small) <= MAX_QUERIES


def test_organisers_record_employers_figures_and_intentions(client, fair):
    organiser = staff_member("organiser", "Organisers", event=fair, role=EventStaffRole.ORGANISER)
    client.force_login(organiser)
    employer = Booth.objects.get(event=fair).employer
    person = fair.registrations.first()

    client.post(
        reverse("statistics:employers_present", args=[fair.pk]), {"employer": [employer.pk]}
    )
    client.post(
        reverse("statistics:enter_figure", args=[fair.pk]),
        {"kind": ManualFigureKind.LEAFLETS, "value": "3000", "reason": "发放登记表"},
    )
    response = client.post(
        reverse("statistics:record_intention", args=[fair.pk]),
        {"code": person.worker.phone, "employer": employer.pk, "job": ""},
        follow=True,
    )

    assert EmployerCheckIn.objects.filter(event=fair, employer=employer).exists()
    assert ManualFigure.objects.get(event=fair).value == 3000
    assert Intention.objects.get().registration == person
    assert "已记录达成意向" in response.content.decode()
    page = client.get(reverse("statistics:event", args=[fair.pk])).content.decode()
    figures = dict(re.findall(r'data-figure="(\w+)"><span class="stats-value">([^<]*)<', page))
    assert figures["openings"] == "12" and figures["intentions"] == "1"


def test_a_figure_without_a_reason_is_refused_with_a_message(client, fair):
    client.force_login(staff_member("organiser", "Organisers", event=fair, role="organiser"))

    response = client.post(
        reverse("statistics:enter_figure", args=[fair.pk]),
        {"kind": ManualFigureKind.LEAFLETS, "value": "3000", "reason": ""},
        follow=True,
    )

    assert not ManualFigure.objects.exists()
    assert "来源或原因" in response.content.decode()


@pytest.mark.parametrize("name", ["employers_present", "enter_figure", "record_intention"])
def test_only_the_events_organisers_record_anything(client, fair, other_fair, name):
    users = people(fair, other_fair)
    url = reverse(f"statistics:{name}", args=[fair.pk])
    for username in ("bureau", "officer"):
        client.force_login(users[username])
        response = client.post(url, {"employer": [1], "kind": "leaflets", "value": "1"})
        # Wagtail turns PermissionDenied into a redirect to the dashboard with a message.
        assert (response.status_code, response["Location"]) == (302, reverse("wagtailadmin_home"))
    assert not EmployerCheckIn.objects.exists() and not ManualFigure.objects.exists()
    client.force_login(users["other_organiser"])
    assert client.post(url, {}).status_code == 404


# Training attendance -----------------------------------------------------------------------------


def test_the_training_page_shows_the_matrix_warnings_and_eligibility(client, superuser):
    event, sessions, _now = training_class()
    good, poor = enrol(event), enrol(event)
    for session in sessions:
        attend(good, session)
    attend(poor, sessions[0], late=datetime.timedelta(minutes=20))
    organiser = staff_member("teacher", "Organisers", event=event, role="organiser")
    client.force_login(organiser)

    page = client.get(reverse("statistics:training", args=[event.pk])).content.decode()

    poor_row = page.split(f'data-registration="{poor.pk}"')[1].split("</tr>")[0]
    assert "迟" in poor_row and "×" in poor_row
    assert "20.0%" in poor_row and "低于80%" in poor_row
    assert 'name="outcome-' in page, "organisers enter assessments"
    assert 'id="claim-' not in page, "only subsidy officers file claims"


def test_officers_file_claims_from_the_training_page(client, superuser):
    event, sessions, _now = training_class()
    trainee = enrol(event)
    for session in sessions:
        attend(trainee, session)
    services.record_assessments(
        event_id=event.pk,
        entries=[services.AssessmentEntry(trainee.pk, "passed", "")],
        by=superuser,
    )
    officer = staff_member("officer", "Subsidy officers")
    client.force_login(officer)

    page = client.get(reverse("statistics:training", args=[event.pk])).content.decode()
    response = client.post(
        reverse("statistics:claims", args=[event.pk]), {"registration": [trainee.pk]}
    )

    assert f'id="claim-{trainee.pk}"' in page
    assert response.status_code == 302
    assert trainee.subsidy_claim.filed_by == officer
    page = client.get(reverse("statistics:training", args=[event.pk])).content.decode()
    subsidy = page.split('id="eligible"')[1].split("</section>")[0]
    assert 'id="claim-' not in subsidy and "<button" not in subsidy, "nobody left to file"


def test_the_training_page_is_for_classes_and_takes_a_fixed_number_of_queries(client, fair):
    event, sessions, _now = training_class()
    client.force_login(staff_member("officer", "Subsidy officers"))
    assert client.get(reverse("statistics:training", args=[fair.pk])).status_code == 404
    url = reverse("statistics:training", args=[event.pk])
    enrol(event)
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        client.get(url)
    for _ in range(10):
        trainee = enrol(event)
        attend(trainee, sessions[1])

    with CaptureQueriesContext(connection) as large:
        client.get(url)

    assert len(large) == len(small) <= MAX_QUERIES


# Campaign overview and API clients ---------------------------------------------------------------


def test_the_overview_page_adds_up_and_recounts(client, fair):
    client.force_login(staff_member("bureau", "Bureau statistics"))
    url = reverse("statistics:overview")

    page = client.get(url).content.decode()
    response = client.post(reverse("statistics:recount"))
    filtered = client.post(f"{reverse('statistics:recount')}?date_from=2026-03-01")

    assert 'id="overview-totals"' in page and 'id="coverage-counties"' in page
    assert (response.status_code, response["Location"]) == (302, url)
    assert filtered["Location"] == f"{url}?date_from=2026-03-01", "back with the same filters"


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_recounting_has_a_real_worker_count_what_changed_since(client, redis_broker):
    """The overview shows stored counts (summaries, village coverage); changes the services did
    not announce show after "Recount now": coverage at once, the events once a worker has
    recounted them."""
    sanli = village("450102001001", "三里村")
    event = fair_now()
    people = [register(event) for _ in range(2)]
    for registration in people:
        sign_in(registration, at=event.starts_at + datetime.timedelta(minutes=30))
    client.force_login(staff_member("bureau", "Bureau statistics"))
    url = reverse("statistics:overview")

    def overview():
        shown = client.get(url).context["overview"]
        xingning = next(row for row in shown.coverage if row.code == "450102000000")
        return shown.total.entrants, xingning.workers

    first = overview()
    CheckIn.objects.filter(registration=people[0]).update(undone_at=timezone.now())
    make_worker(hukou=sanli)  # neither recounts anything by itself
    stale = overview()
    with start_worker(app, perform_ping_check=False, shutdown_timeout=10):
        response = client.post(reverse("statistics:recount"))
        at_once = overview()
        recounted = wait_until(
            lambda: EventSummary.objects.get(event=event).figures["entrants"] == 1, seconds=60
        )

    assert (response.status_code, response["Location"]) == (302, url)
    assert first == stale == (2, 0)
    assert at_once[1] == 1, "coverage is counted again by the next view"
    assert recounted, f"not recounted: {EventSummary.objects.get(event=event).figures}"
    assert overview() == (1, 1)


def test_only_the_bureau_may_recount(client, fair):
    client.force_login(
        staff_member("organiser", "Organisers", event=fair, role=EventStaffRole.ORGANISER)
    )

    response = client.post(reverse("statistics:recount"))

    assert (response.status_code, response["Location"]) == (302, reverse("wagtailadmin_home"))


def test_the_overview_refuses_a_backwards_date_range_with_a_message(client):
    client.force_login(staff_member("bureau", "Bureau statistics"))

    response = client.get(
        reverse("statistics:overview"), {"date_from": "2026-03-10", "date_to": "2026-03-01"}
    )

    assert "结束日期不能早于开始日期" in response.content.decode()


def test_the_overview_page_takes_a_fixed_number_of_queries(client, fair):
    client.force_login(staff_member("bureau", "Bureau statistics"))
    url = reverse("statistics:overview")
    client.get(url)
    with CaptureQueriesContext(connection) as small:
        before = client.get(url).context["overview"]
    for _ in range(3):
        started = fair_now()  # under way: counted, unlike `fair`, which is next week
        sign_in(register(started), at=started.starts_at + datetime.timedelta(minutes=30))
        training_class()
    services.refresh_summaries(event_ids=[e.pk for e in type(fair).objects.all()])

    with CaptureQueriesContext(connection) as large:
        after = client.get(url).context["overview"]

    assert (before.events, after.events) == (0, 6)
    assert (after.total.fairs, after.total.entrants, after.total.classes) == (3, 3, 3)
    assert len(large) == len(small) <= MAX_QUERIES


def test_a_superuser_creates_a_statistics_token_shown_once_and_revokes_it(admin_client):
    response = admin_client.post(reverse("statistics_clients:add"), {"name": "市就业监测平台"})
    token = re.search(
        r'<code id="client-token"[^>]*>([^<]+)</code>', response.content.decode()
    ).group(1)
    client = StatisticsClient.objects.get()

    assert client.token_hash != token and token not in client.token_hash
    assert "no-store" in response["Cache-Control"] or "max-age=0" in response["Cache-Control"]
    revoke_url = reverse("statistics_clients:revoke", args=[client.pk])
    assert "市就业监测平台" in admin_client.get(revoke_url).content.decode()
    admin_client.post(revoke_url)
    client.refresh_from_db()
    assert client.revoked_at is not None


def test_the_statistics_menu_is_drawn_in_the_language_of_each_request():
    """Wagtail builds its menu items once per process: their labels must stay lazy."""
    from django.utils import translation

    from events.reports.admin_views import statistics_menu
    from events.wagtail_hooks import statistics_clients

    with translation.override("zh-hans"):
        menu = statistics_menu(statistics_clients)

    items = [menu, *menu.menu.registered_menu_items]
    with translation.override("en"):
        english = [str(item.label) for item in items]
    with translation.override("zh-hans"):
        chinese = str(menu.label)

    assert english == [
        "Statistics",
        "Events",
        "Campaign overview",
        "My exports",
        "Statistics API clients",
    ]
    assert chinese == "统计"


def test_the_statistics_roles_migration():
    def codenames(group: str) -> set[str]:
        return set(Group.objects.get(name=group).permissions.values_list("codename", flat=True))

    assert codenames("Bureau statistics") == {"access_admin", "view_statistics"}
    assert {"view_statistics", "add_subsidyclaim"} <= codenames("Subsidy officers")
    assert "view_statistics" not in codenames("Organisers")


def test_the_index_lists_the_users_events_by_kind_and_title(client, fair, other_fair):
    course, _sessions, _now = training_class(title="电工培训班")
    organiser = staff_member("organiser", "Organisers", event=fair, role="organiser")
    client.force_login(organiser)
    mine = client.get(reverse("statistics:index")).content.decode()
    client.force_login(staff_member("bureau", "Bureau statistics"))
    url = reverse("statistics:index")

    classes = client.get(url, {"kind": "training"}).content.decode()
    found = client.get(url, {"q": "电工"}).content.decode()

    assert reverse("statistics:event", args=[fair.pk]) in mine
    assert reverse("statistics:event", args=[other_fair.pk]) not in mine
    assert reverse("statistics:training", args=[course.pk]) in classes
    assert reverse("statistics:event", args=[fair.pk]) not in classes
    assert "电工培训班" in found and reverse("statistics:event", args=[fair.pk]) not in found


def test_the_vendored_chart_library_is_the_recorded_build():
    """static/vendor/chart.js-4.6.1/VERSION records the file's SHA-256; a changed file is a new
    vendoring, to be recorded there too."""
    import hashlib
    from pathlib import Path

    from django.conf import settings

    folder = Path(settings.BASE_DIR) / "static" / "vendor" / "chart.js-4.6.1"
    digest = hashlib.sha256((folder / "chart.umd.min.js").read_bytes()).hexdigest()

    assert f"{digest}  chart.umd.min.js as vendored" in (folder / "VERSION").read_text()
    assert "sourceMappingURL" not in (folder / "chart.umd.min.js").read_text(encoding="utf-8")


def test_a_wrong_assessment_form_comes_back_with_what_was_typed(client):
    event, _sessions, _now = training_class()
    first, second = enrol(event), enrol(event)
    client.force_login(staff_member("teacher", "Organisers", event=event, role="organiser"))
    url = reverse("statistics:training", args=[event.pk])
    form = {"registration": [first.pk, second.pk]}
    for trainee in (first, second):
        form |= {f"shown-outcome-{trainee.pk}": "", f"shown-certificate-{trainee.pk}": ""}
        form |= {f"shown-seen-{trainee.pk}": ""}
    form |= {f"outcome-{first.pk}": "passed", f"certificate-{first.pk}": "G-001"}
    form |= {f"outcome-{second.pk}": "", f"certificate-{second.pk}": "G-002"}

    response = client.post(url, form)

    page = response.content.decode()
    assert response.status_code == 400
    assert 'value="G-001"' in page and 'value="G-002"' in page, "nothing typed is lost"
    assert 'aria-invalid="true"' in page
    assert not type(first).objects.filter(assessment__isnull=False).exists()
    form[f"outcome-{second.pk}"] = "failed"
    assert client.post(url, form).status_code == 302
    assert type(first).objects.filter(assessment__isnull=False).count() == 2


def test_assessments_and_claims_are_for_classes_only(client, fair):
    client.force_login(staff_member("organiser", "Organisers", event=fair, role="organiser"))
    person = fair.registrations.first()

    answers = [
        client.post(reverse("statistics:training", args=[fair.pk]), {"registration": [person.pk]}),
        client.post(reverse("statistics:claims", args=[fair.pk]), {"registration": [person.pk]}),
    ]

    assert [answer.status_code for answer in answers] == [404, 404]
