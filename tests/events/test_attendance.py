"""Attendance per trainee and session (events.selectors): present, late, left early, absent,
excused, with the thresholds tested at −1 s, 0 and +1 s; the matrix, the counts, the counters
and the arrivals per quarter hour."""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events import selectors, services
from events.models import Direction, Excusal, RegistrationChannel
from events.selectors import AttendanceStatus
from tests.factories import SessionFactory
from tests.support.scenarios import class_with_two_sessions, nonce, register, scan, token

pytestmark = pytest.mark.django_db

SECOND = datetime.timedelta(seconds=1)


@pytest.fixture
def day():
    event, morning, afternoon = class_with_two_sessions()
    return event, morning, afternoon, selectors.attendance_rules(event=event)


def status_of(event, session, registration) -> str:
    return selectors.session_attendance(session=session, registration=registration)


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(-SECOND, AttendanceStatus.PRESENT), (0 * SECOND, AttendanceStatus.PRESENT), (SECOND, "late")],
)
def test_late_is_strictly_after_the_grace_period(day, offset, expected):
    event, morning, _afternoon, rules = day
    registration = register(event)
    threshold = morning.starts_at + rules.late_after
    scan(event, token(registration), at=threshold + offset)

    assert status_of(event, morning, registration) == expected


@pytest.mark.parametrize(
    ("offset", "expected"),
    [(-SECOND, AttendanceStatus.LEFT_EARLY), (0 * SECOND, "present"), (SECOND, "present")],
)
def test_left_early_is_strictly_before_the_end_less_the_tolerance(day, offset, expected):
    event, morning, _afternoon, rules = day
    registration = register(event)
    scan(event, token(registration), at=morning.starts_at)
    threshold = morning.ends_at - rules.early_leave
    scan(event, token(registration), at=threshold + offset, direction=Direction.OUT)

    assert status_of(event, morning, registration) == expected


def test_no_sign_in_is_absent_and_a_sign_out_alone_does_not_count(day):
    event, morning, afternoon, _rules = day
    registration = register(event)
    scan(event, token(registration), at=morning.ends_at, direction=Direction.OUT)

    assert status_of(event, morning, registration) == AttendanceStatus.ABSENT
    assert status_of(event, afternoon, registration) == AttendanceStatus.ABSENT


def test_not_signing_out_is_not_leaving_early(day):
    event, morning, _afternoon, _rules = day
    registration = register(event)
    scan(event, token(registration), at=morning.starts_at)

    assert status_of(event, morning, registration) == AttendanceStatus.PRESENT


def test_late_wins_over_left_early(day):
    event, morning, _afternoon, rules = day
    registration = register(event)
    scan(event, token(registration), at=morning.starts_at + rules.late_after + SECOND)
    scan(event, token(registration), at=morning.starts_at + SECOND * 3600, direction="out")

    assert status_of(event, morning, registration) == AttendanceStatus.LATE


def test_an_undone_sign_in_does_not_count(day):
    event, morning, _afternoon, _rules = day
    registration = register(event)
    outcome = scan(event, token(registration), at=morning.starts_at)
    services.undo_check_in(scan_log_id=outcome.scan.pk, now=morning.starts_at)

    assert status_of(event, morning, registration) == AttendanceStatus.ABSENT


def test_an_excusal_needs_a_reason_and_wins(day, superuser):
    event, morning, afternoon, _rules = day
    registration = register(event)
    scan(event, token(registration), at=morning.ends_at - SECOND * 7200)  # very late

    with pytest.raises(ValidationError):
        services.excuse_absence(
            registration_id=registration.pk, session_id=morning.pk, reason=" ", by=superuser
        )
    services.excuse_absence(
        registration_id=registration.pk, session_id=morning.pk, reason="看病", by=superuser
    )
    services.excuse_absence(
        registration_id=registration.pk, session_id=morning.pk, reason="孩子看病", by=superuser
    )

    assert status_of(event, morning, registration) == AttendanceStatus.EXCUSED
    assert status_of(event, afternoon, registration) == AttendanceStatus.ABSENT
    excusal = Excusal.objects.get()
    assert (excusal.reason, excusal.recorded_by) == ("孩子看病", superuser)
    with pytest.raises(ValidationError):
        services.excuse_absence(
            registration_id=registration.pk,
            session_id=SessionFactory().pk,
            reason="x",
            by=superuser,
        )
    assert services.withdraw_excusal(registration_id=registration.pk, session_id=morning.pk)
    assert status_of(event, morning, registration) == AttendanceStatus.LATE


def test_the_matrix_and_counts_take_a_fixed_number_of_queries(day, superuser):
    event, morning, afternoon, rules = day
    on_time, late, early, absent, excused = (register(event) for _ in range(5))
    scan(event, token(on_time), at=morning.starts_at)
    scan(event, token(late), at=morning.starts_at + rules.late_after + SECOND)
    scan(event, token(early), at=morning.starts_at)
    scan(event, token(early), at=morning.starts_at + SECOND * 60, direction=Direction.OUT)
    services.excuse_absence(
        registration_id=excused.pk, session_id=morning.pk, reason="病假", by=superuser
    )
    scan(event, token(on_time), at=afternoon.starts_at)

    with CaptureQueriesContext(connection) as queries:
        matrix = selectors.attendance_matrix(event=event)
        counts = {session.pk: tally for session, tally in matrix.counts()}
    assert len(queries) == 4

    assert matrix.cells[on_time.pk, morning.pk] == AttendanceStatus.PRESENT
    assert matrix.cells[late.pk, morning.pk] == AttendanceStatus.LATE
    assert matrix.cells[early.pk, morning.pk] == AttendanceStatus.LEFT_EARLY
    assert matrix.cells[absent.pk, morning.pk] == AttendanceStatus.ABSENT
    assert matrix.cells[excused.pk, morning.pk] == AttendanceStatus.EXCUSED
    assert counts[morning.pk] == {
        "present": 1,
        "late": 1,
        "left_early": 1,
        "absent": 1,
        "excused": 1,
    }
    assert counts[afternoon.pk] == {
        "present": 1,
        "late": 0,
        "left_early": 0,
        "absent": 4,
        "excused": 0,
    }
    assert matrix.row(on_time) == [AttendanceStatus.PRESENT, AttendanceStatus.PRESENT]


def test_live_counters_count_people_walk_ins_and_those_not_yet_here(day):
    event, morning, _afternoon, _rules = day
    here, walked_in, missing = (register(event) for _ in range(3))
    walked_in.channel = RegistrationChannel.WALK_IN
    walked_in.save(update_fields=["channel"])
    scan(event, token(here), at=morning.starts_at)
    scan(event, token(here), at=morning.starts_at)  # twice: one person
    scan(event, token(walked_in), at=morning.starts_at)
    assert missing

    with CaptureQueriesContext(connection) as queries:
        counters = selectors.live_counters(event_id=event.pk, session_id=morning.pk)
    assert len(queries) == 2
    assert counters.as_dict() == {
        "checked_in": 2,
        "registered": 3,
        "walk_ins": 1,
        "not_arrived": 1,
    }
    idle = selectors.live_counters(event_id=event.pk, session_id=None)
    assert idle.as_dict() == {"checked_in": 0, "registered": 3, "walk_ins": 0, "not_arrived": 3}


def test_arrivals_are_counted_per_quarter_hour_from_the_window_opening(day):
    event, morning, afternoon, rules = day
    opens = morning.starts_at - rules.opens_before  # 08:00
    for minutes in (0, 14, 15, 50):
        registration = register(event)
        services.check_in(
            code=token(registration),
            event_id=event.pk,
            nonce=nonce(),
            now=opens + datetime.timedelta(minutes=minutes, seconds=59),
        )

    series = selectors.arrivals_per_quarter(
        session=morning, rules=rules, now=opens + datetime.timedelta(minutes=61)
    )

    assert [count for _start, count in series] == [2, 1, 0, 1, 0]
    assert series[0][0] == opens
    assert all(
        later - earlier == datetime.timedelta(minutes=15)
        for (earlier, _a), (later, _b) in zip(series, series[1:], strict=False)
    )
    assert selectors.arrivals_per_quarter(session=afternoon, rules=rules, now=opens) == [], (
        "nothing to chart before the window opens"
    )
