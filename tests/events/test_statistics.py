"""Statistics figures (events.reports): checked against small fixtures whose figures are worked
out by hand in the comments, through the real registration and check-in services."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events import services as event_services
from events import tickets
from events.models import (
    Assessment,
    AssessmentOutcome,
    Booth,
    BoothStatus,
    EmployerCheckIn,
    Event,
    EventSummary,
    Intention,
    ManualFigureKind,
    SubsidyClaim,
)
from events.reports import selectors, services
from tests.factories import (
    CampaignFactory,
    EmployerFactory,
    EventFactory,
    JobListingFactory,
    county,
    make_worker,
    village,
)
from tests.support.scenarios import (
    attend,
    enrol,
    register,
    sign_in,
    training_class,
    two_day_fair,
)
from trainees.models import Education, Sex, SpecialGroup

pytestmark = pytest.mark.django_db

MINUTE = datetime.timedelta(minutes=1)
SECOND = datetime.timedelta(seconds=1)


def test_people_visits_walk_ins_and_no_shows_by_hand(counted_fair):
    event, _people = counted_fair

    figures = selectors.event_figures(events=Event.objects.filter(pk=event.pk))[event.pk]

    assert figures.registered == 7
    assert figures.walk_ins == 1
    assert figures.cancelled == 1
    assert figures.entrants == 6, "5 registered people and the walk-in, each once"
    assert figures.visits == 8, "5 + the walk-in on day 1, 2 on day 2; the undone scan is not one"
    assert figures.no_shows == 2
    assert figures.no_show_rate == pytest.approx(2 / 7)


def test_employers_posts_openings_and_intentions_by_hand(counted_fair, superuser):
    """Booked A and B (C cancelled its booth); only A came. A offers 10 + 5 openings in two
    published listings (a draft does not count), B 20 in one: booked 3 posts / 35 openings,
    present 2 / 15. Intentions: person 1 with A and B, person 2 with A: 3 records, 2 people."""
    event, people = counted_fair
    employer_a, employer_b, employer_c = (EmployerFactory() for _ in range(3))
    for number, (employer, status) in enumerate(
        [
            (employer_a, BoothStatus.CONFIRMED),
            (employer_b, BoothStatus.CONFIRMED),
            (employer_c, BoothStatus.CANCELLED),
        ]
    ):
        Booth.objects.create(event=event, employer=employer, number=f"A{number}", status=status)
    JobListingFactory(employer=employer_a, headcount=10, fairs=[event])
    JobListingFactory(employer=employer_a, headcount=5, fairs=[event])
    JobListingFactory(employer=employer_a, headcount=99, fairs=[event], draft=True)
    JobListingFactory(employer=employer_b, headcount=20, fairs=[event])
    JobListingFactory(employer=employer_c, headcount=7, fairs=[event])
    services.mark_employers_present(
        event_id=event.pk, employer_ids=[employer_a.pk, employer_c.pk], by=superuser
    )
    for registration, employer in [
        (people[0], employer_a),
        (people[0], employer_b),
        (people[1], employer_a),
    ]:
        services.record_intention(
            event_id=event.pk,
            code=registration.worker.phone,
            employer_id=employer.pk,
            by=superuser,
        )

    figures = selectors.event_figures(events=Event.objects.filter(pk=event.pk))[event.pk]

    assert (figures.employers_booked, figures.employers_present) == (2, 1)
    assert (figures.posts_booked, figures.openings_booked) == (3, 35)
    assert (figures.posts, figures.openings) == (2, 15)
    assert (figures.intentions, figures.intention_people) == (3, 2)
    assert not EmployerCheckIn.objects.filter(employer=employer_c).exists(), (
        "an employer without a booked booth is not recorded as present"
    )


def test_an_intention_is_recorded_once_and_needs_a_confirmed_person_and_a_booth(
    counted_fair, superuser
):
    event, people = counted_fair
    employer = EmployerFactory()
    Booth.objects.create(event=event, employer=employer, number="B1")
    code = tickets.manual_code(tickets.ticket_token(people[0]))

    first = services.record_intention(
        event_id=event.pk, code=code.lower(), employer_id=employer.pk, by=superuser
    )
    again = services.record_intention(
        event_id=event.pk, code=people[0].worker.phone, employer_id=employer.pk, by=superuser
    )

    assert first.created and not again.created
    assert again.intention.pk == first.intention.pk
    assert Intention.objects.count() == 1
    with pytest.raises(ValidationError) as unknown:
        services.record_intention(
            event_id=event.pk, code="13912345678", employer_id=employer.pk, by=superuser
        )
    assert "code" in unknown.value.message_dict
    with pytest.raises(ValidationError) as no_booth:
        services.record_intention(
            event_id=event.pk,
            code=people[1].worker.phone,
            employer_id=EmployerFactory().pk,
            by=superuser,
        )
    assert "employer" in no_booth.value.message_dict


def test_figures_entered_by_hand_keep_every_entry_and_show_the_latest(counted_fair, superuser):
    event, _people = counted_fair
    services.enter_figure(
        event_id=event.pk, kind=ManualFigureKind.LEAFLETS, value=4000, reason="登记表", by=superuser
    )
    services.enter_figure(
        event_id=event.pk,
        kind=ManualFigureKind.LEAFLETS,
        value=4200,
        reason="补录东门发放",
        by=superuser,
    )

    figures = selectors.manual_figures(event=event)

    assert [(entry.value, entry.reason) for entry in figures.current] == [(4200, "补录东门发放")]
    assert [entry.value for entry in figures.history] == [4200, 4000]
    with pytest.raises(ValidationError) as missing:
        services.enter_figure(
            event_id=event.pk,
            kind=ManualFigureKind.LIVESTREAM_VIEWS,
            value=1,
            reason="  ",
            by=superuser,
        )
    assert "reason" in missing.value.message_dict


def test_breakdowns_by_origin_sex_age_and_education():
    """Ages on the first day of the fair: 24 (under 25), 25 (25-34 exactly on its birthday),
    60 (60 and over); origin from the household registration's village, else the ID number."""
    event, day1, _day2 = two_day_fair()
    start = timezone.localdate(event.starts_at)
    sanli = village("450102001001", "三里村")
    young = register(
        event,
        birth_date=start.replace(year=start.year - 25) + datetime.timedelta(days=1),
        sex=Sex.MALE,
        hukou=sanli,
        education=Education.JUNIOR,
    )
    register(
        event,
        birth_date=start.replace(year=start.year - 25),
        sex=Sex.FEMALE,
        hukou=sanli,
        education=Education.SENIOR,
    )
    register(
        event, birth_date=start.replace(year=start.year - 60), sex=Sex.MALE, id_county="450103"
    )
    register(event)  # nothing known
    sign_in(young, at=day1.starts_at)

    result = selectors.breakdowns(event=event, special_groups=False)

    counties = {row.label: (row.registered, row.arrived) for row in result.county}
    assert counties == {"兴宁区": (2, 1), "青秀区": (1, 0), "未知": (1, 0)}
    townships = {row.key: (row.registered, row.arrived) for row in result.township}
    assert townships == {"450102001000": (2, 1), "": (2, 0)}
    assert [(row.key, row.registered, row.arrived) for row in result.sex] == [
        ("M", 2, 1),
        ("F", 1, 0),
        ("", 1, 0),
    ]
    ages = {row.label: row.registered for row in result.age_band}
    assert ages == {"25岁以下": 1, "25–34": 1, "60岁及以上": 1, "未知": 1}
    assert result.special_groups is None


def test_special_groups_only_when_asked_for():
    event, day1, _day2 = two_day_fair()
    came = register(event, groups=[SpecialGroup.MIGRANT_WORKER, SpecialGroup.VETERAN])
    register(event, groups=[SpecialGroup.MIGRANT_WORKER])
    sign_in(came, at=day1.starts_at)

    rows = selectors.breakdowns(event=event, special_groups=True).special_groups

    assert [(row.key, row.registered, row.arrived) for row in rows] == [
        (SpecialGroup.MIGRANT_WORKER, 2, 1),
        (SpecialGroup.VETERAN, 1, 1),
    ]


def test_arrivals_per_quarter_hour_per_session(counted_fair):
    event, _people = counted_fair
    sessions = list(event.sessions.order_by("starts_at"))

    arrivals = selectors.session_arrivals(event=event, sessions=sessions, now=sessions[1].ends_at)

    day1, day2 = arrivals
    assert (day1.visits, day2.visits) == (6, 2)
    counts = {f"{start:%H:%M}": count for start, count in day1.quarters if count}
    assert counts == {"09:00": 5, "09:30": 1}


# Training attendance -----------------------------------------------------------------------------


def test_rates_completion_and_the_late_threshold_exactly_on_the_edge(superuser):
    """5 sessions, 80%. A: all 5, signing in exactly at start + 15 min once (on time) -> 5/5.
    B: 4 of 5, once at start + 15 min + 1 s (late, still attended) -> 4/5 = 80%: completes.
    C: 3 of 5 and excused once -> 3/4 = 75%: below. D: nothing -> 0/5."""
    event, sessions, now = training_class()
    a, b, c, d = (enrol(event) for _ in range(4))
    for session in sessions:
        attend(a, session, late=15 * MINUTE if session == sessions[0] else datetime.timedelta(0))
    for session in sessions[:4]:
        attend(
            b,
            session,
            late=15 * MINUTE + SECOND if session == sessions[0] else datetime.timedelta(0),
        )
    for session in sessions[:3]:
        attend(c, session)
    event_services.excuse_absence(
        registration_id=c.pk, session_id=sessions[3].pk, reason="病假", by=superuser
    )

    attendance = selectors.class_attendance(events=[event], now=now)[event.pk]

    rows = {row.registration.pk: row for row in attendance.rows}
    assert rows[a.pk].marks[0].status == selectors.AttendanceStatus.PRESENT
    assert rows[b.pk].marks[0].status == selectors.AttendanceStatus.LATE
    assert [(rows[r.pk].attended, rows[r.pk].due) for r in (a, b, c, d)] == [
        (5, 5),
        (4, 5),
        (3, 4),
        (0, 5),
    ]
    assert [rows[r.pk].completed for r in (a, b, c, d)] == [True, True, False, False]
    assert [row.registration.pk for row in attendance.below_threshold] == sorted(
        [c.pk, d.pk], key=lambda pk: [row.registration.pk for row in attendance.rows].index(pk)
    )
    assert attendance.session_totals[0] == (3, 4)
    assert attendance.session_totals[3] == (2, 3), "C was excused: not due"


def test_sessions_not_held_yet_do_not_count():
    event, sessions, _now = training_class()
    registration = enrol(event)
    attend(registration, sessions[0])

    during = selectors.class_attendance(events=[event], now=sessions[1].ends_at - SECOND)[event.pk]

    row = during.rows[0]
    assert (row.attended, row.due) == (1, 1)
    assert during.held == [True, False, False, False, False]
    assert not during.ended and not row.completed


def test_eligible_means_completed_passed_and_no_subsidy_this_year(superuser):
    event, sessions, now = training_class()
    other, other_sessions, _ = training_class()
    passed, failed, subsidised = (enrol(event) for _ in range(3))
    for registration in (passed, failed, subsidised):
        for session in sessions:
            attend(registration, session)
    earlier = event_services.register(
        event_id=other.pk,
        worker_id=subsidised.worker_id,
        channel="self",
        now=other.starts_at - datetime.timedelta(days=1),
    ).registration
    for session in other_sessions:
        attend(earlier, session)
    services.record_assessments(
        event_id=other.pk,
        entries=[passing(earlier)],
        by=superuser,
    )
    services.file_subsidy_claims(
        event_id=other.pk, registration_ids=[earlier.pk], by=superuser, now=now
    )
    services.record_assessments(
        event_id=event.pk,
        entries=[
            passing(passed, certificate="G-001"),
            services.AssessmentEntry(failed.pk, AssessmentOutcome.FAILED, ""),
            passing(subsidised, certificate="G-003"),
        ],
        by=superuser,
    )

    attendance = selectors.class_attendance(events=[event], now=now)[event.pk]

    assert [row.registration.pk for row in attendance.eligible] == [passed.pk]
    result = services.file_subsidy_claims(
        event_id=event.pk,
        registration_ids=[passed.pk, failed.pk, subsidised.pk],
        by=superuser,
        now=now,
    )
    assert [registration.pk for registration in result.filed] == [passed.pk]
    assert {registration.pk for registration, _reason in result.refused} == {
        failed.pk,
        subsidised.pk,
    }
    assert SubsidyClaim.objects.filter(registration=passed).get().year == 2026
    again = services.file_subsidy_claims(
        event_id=event.pk, registration_ids=[passed.pk], by=superuser, now=now
    )
    assert again.filed == [] and SubsidyClaim.objects.count() == 2


def passing(registration, *, certificate: str = "") -> services.AssessmentEntry:
    """An entry of a form that showed no assessment: passed now."""
    return services.AssessmentEntry(registration.pk, AssessmentOutcome.PASSED, certificate)


def test_an_assessment_changed_meanwhile_is_not_overwritten(superuser, django_user_model):
    event, _sessions, now = training_class()
    registration, untouched = enrol(event), enrol(event)
    colleague = django_user_model.objects.create_user(username="colleague")
    services.record_assessments(
        event_id=event.pk, entries=[passing(registration), passing(untouched)], by=colleague
    )

    # Both rows of a form loaded before the colleague saved: it showed no assessments. One was
    # changed (failed), the other left as shown (not assessed).
    stale = services.record_assessments(
        event_id=event.pk,
        entries=[
            services.AssessmentEntry(registration.pk, AssessmentOutcome.FAILED, ""),
            services.AssessmentEntry(untouched.pk, "", ""),
        ],
        by=superuser,
    )

    assert stale.saved == 0
    assert [refused for refused, _reason in stale.refused] == [registration]
    registration.assessment.refresh_from_db()
    assert registration.assessment.outcome == AssessmentOutcome.PASSED
    assert untouched.assessment.outcome == AssessmentOutcome.PASSED, "untouched: left alone"
    fresh = services.record_assessments(
        event_id=event.pk,
        entries=[
            services.AssessmentEntry(
                registration.pk,
                AssessmentOutcome.FAILED,
                "",
                shown_outcome=AssessmentOutcome.PASSED,
                seen=registration.assessment.recorded_at.isoformat(),
            )
        ],
        by=superuser,
    )
    assert fresh.saved == 1


def test_a_certificate_number_without_a_result_saves_nothing(superuser):
    event, _sessions, _now = training_class()
    first, second = enrol(event), enrol(event)

    with pytest.raises(ValidationError) as wrong:
        services.record_assessments(
            event_id=event.pk,
            entries=[passing(first), services.AssessmentEntry(second.pk, "", "G-002")],
            by=superuser,
        )

    assert list(wrong.value.message_dict) == [f"outcome-{second.pk}"]
    assert not Assessment.objects.exists(), "the valid row waits for the form to be corrected"


def test_an_assessment_stays_once_its_subsidy_is_filed(superuser):
    event, sessions, now = training_class()
    trainee = enrol(event)
    for session in sessions:
        attend(trainee, session)
    services.record_assessments(event_id=event.pk, entries=[passing(trainee)], by=superuser)
    services.file_subsidy_claims(
        event_id=event.pk, registration_ids=[trainee.pk], by=superuser, now=now
    )
    trainee.assessment.refresh_from_db()

    result = services.record_assessments(
        event_id=event.pk,
        entries=[
            services.AssessmentEntry(
                trainee.pk,
                AssessmentOutcome.FAILED,
                "",
                shown_outcome=AssessmentOutcome.PASSED,
                seen=trainee.assessment.recorded_at.isoformat(),
            )
        ],
        by=superuser,
    )

    assert result.saved == 0 and result.refused[0][0] == trainee
    trainee.assessment.refresh_from_db()
    assert trainee.assessment.outcome == AssessmentOutcome.PASSED


def test_the_threshold_is_compared_in_whole_numbers():
    """29 of 50 is exactly 58 %: on the threshold, so completed (in floating point 29/50*100
    is 57.99999…)."""
    held = selectors.Mark(selectors.AttendanceStatus.PRESENT, None, None, held=True)
    missed = selectors.Mark(selectors.AttendanceStatus.ABSENT, None, None, held=True)
    row = selectors.TraineeRow(
        registration=None,
        marks=[held] * 29 + [missed] * 21,
        threshold=58,
        class_ended=True,
        claimed_elsewhere=False,
    )

    assert (row.attended, row.due) == (29, 50)
    assert not row.below_threshold and row.completed
    assert selectors.TraineeRow(
        registration=None,
        marks=[held] * 28 + [missed] * 22,
        threshold=58,
        class_ended=True,
        claimed_elsewhere=False,
    ).below_threshold


# Summaries and the campaign overview -------------------------------------------------------------


def test_summaries_add_up_by_county_and_week_and_count_completion(counted_fair, superuser):
    event, _people = counted_fair
    campaign = CampaignFactory()
    Event.objects.filter(pk=event.pk).update(campaign=campaign)
    other_county = EventFactory(
        sessions=1, campaign=campaign, region=county("450103000000"), capacity=10
    )
    registration = register(other_county)
    sign_in(registration, at=other_county.starts_at)
    course, sessions, _ = training_class(campaign=campaign)
    finished = enrol(course)
    for session in sessions:
        attend(finished, session)
    enrol(course)  # never came
    later = max(event.ends_at, other_county.ends_at) + datetime.timedelta(days=1)

    overview = services.campaign_overview(
        filters=selectors.OverviewFilters(campaign=campaign), now=later
    )

    total = overview.total
    assert (total.fairs, total.entrants, total.visits) == (2, 7, 9)
    assert (total.classes, total.trainees, total.completed, total.trainees_ended) == (1, 2, 1, 2)
    assert total.completion_rate == pytest.approx(0.5)
    by_county = {row.label: row.entrants for row in overview.by_county}
    assert by_county == {"兴宁区": 6, "青秀区": 1}
    assert sum(row.entrants for row in overview.by_week) == 7
    assert EventSummary.objects.count() == 3


def test_an_event_not_started_adds_nothing():
    event = EventFactory(sessions=1, capacity=10)
    register(event)

    overview = services.campaign_overview(
        filters=selectors.OverviewFilters(), now=event.starts_at - SECOND
    )

    assert overview.total.fairs == 0 and overview.events == 0, "counted once it has started"


def test_recording_an_intention_refreshes_the_summary_once_committed(
    counted_fair, superuser, django_capture_on_commit_callbacks
):
    event, people = counted_fair
    services.refresh_summaries(event_ids=[event.pk])
    employer = EmployerFactory()
    Booth.objects.create(event=event, employer=employer, number="C1")

    with django_capture_on_commit_callbacks(execute=True):
        services.record_intention(
            event_id=event.pk, code=people[0].worker.phone, employer_id=employer.pk, by=superuser
        )

    assert EventSummary.objects.get(event=event).figures["intentions"] == 1


def test_the_overview_runs_a_fixed_number_of_queries_whatever_the_events():
    later = timezone.now() + datetime.timedelta(days=30)  # every event below has started

    def count_queries() -> tuple[int, selectors.Overview]:
        services.campaign_overview(filters=selectors.OverviewFilters(), now=later)
        with CaptureQueriesContext(connection) as queries:
            overview = services.campaign_overview(filters=selectors.OverviewFilters(), now=later)
        return len(queries), overview

    EventFactory(sessions=1)
    few, one = count_queries()
    assert (one.events, one.total.fairs) == (1, 1)
    for _ in range(5):
        event = EventFactory(sessions=2)
        sign_in(register(event), at=event.starts_at + 10 * MINUTE)
        training_class()
    services.refresh_summaries(event_ids=Event.objects.values_list("pk", flat=True))

    many, overview = count_queries()
    assert (overview.events, overview.total.fairs, overview.total.classes) == (11, 6, 5)
    assert overview.total.entrants == 5, "one person at each two-day fair"
    assert many == few


def test_figures_of_many_events_take_a_fixed_number_of_queries():
    events = [two_day_fair()[0] for _ in range(2)] + [training_class()[0]]
    with CaptureQueriesContext(connection) as small:
        selectors.event_figures(events=Event.objects.filter(pk__in=[e.pk for e in events]))
    for _ in range(4):
        events += [two_day_fair()[0], training_class()[0]]
    with CaptureQueriesContext(connection) as large:
        selectors.event_figures(events=Event.objects.filter(pk__in=[e.pk for e in events]))

    assert len(large) == len(small)


def test_coverage_is_counted_every_five_minutes_or_on_recount():
    sanli = village("450102001001", "三里村")
    dongfeng = village("450102001002", "东风村")
    make_worker(hukou=sanli)
    filters = selectors.OverviewFilters(county_code="450102000000")

    def coverage():
        overview = services.campaign_overview(filters=filters)
        return {(row.name, row.villages, row.covered, row.workers) for row in overview.coverage}

    before = coverage()
    make_worker(hukou=dongfeng)
    cached = coverage()
    services.queue_recount(filters=filters)

    assert before == cached == {("兴宁区", 2, 1, 1)}
    assert coverage() == {("兴宁区", 2, 2, 2)}


def test_an_excusal_after_the_class_recounts_its_completion(
    superuser, django_capture_on_commit_callbacks
):
    event, sessions, now = training_class(sessions=5)
    trainee = enrol(event)
    for session in sessions[:4]:
        attend(trainee, session)  # 4 of 5: 80 %, completed
    other = enrol(event)
    for session in sessions[:3]:
        attend(other, session)  # 3 of 5: 60 %, not yet
    services.refresh_summaries(event_ids=[event.pk], now=now)
    assert EventSummary.objects.get(event=event).figures["completed"] == 1

    with django_capture_on_commit_callbacks(execute=True):
        event_services.excuse_absence(
            registration_id=other.pk, session_id=sessions[4].pk, reason="病假", by=superuser
        )
        event_services.excuse_absence(
            registration_id=other.pk, session_id=sessions[3].pk, reason="病假", by=superuser
        )

    assert EventSummary.objects.get(event=event).figures["completed"] == 2, "3 of 3 due"


def test_listings_not_valid_on_the_fair_day_are_not_offered_there(counted_fair, superuser):
    event, _people = counted_fair
    employer = EmployerFactory()
    Booth.objects.create(event=event, employer=employer, number="D1")
    services.mark_employers_present(event_id=event.pk, employer_ids=[employer.pk], by=superuser)
    fair_day = timezone.localdate(event.starts_at)
    JobListingFactory(employer=employer, headcount=10, fairs=[event])
    JobListingFactory(
        employer=employer,
        headcount=99,
        fairs=[event],
        valid_from=fair_day - datetime.timedelta(days=60),
        valid_until=fair_day - datetime.timedelta(days=1),
    )

    figures = selectors.event_figures(events=Event.objects.filter(pk=event.pk))[event.pk]

    assert (figures.posts, figures.openings) == (1, 10), "expired before the fair"
