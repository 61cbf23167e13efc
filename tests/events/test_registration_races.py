"""Races: many requests at once, on whatever DATABASE_URL names (make test runs PostgreSQL and a
SQLite file). Threads start together on a Barrier, each on its own connection, and errors are
collected rather than raised so that the counts below tell the whole story.

PostgreSQL allows 100 connections here (shared with other test runs), so the 200 attempts are
made by 40 threads released at once, five attempts each.
"""

import threading
import time
from collections import Counter

import pytest
from django.db import connection, transaction

from events import services
from events.models import Event, Registration, RegistrationStatus
from events.selectors import waitlist_position
from tests.factories import make_worker, open_event
from tests.support.races import accounts, run_together
from trainees.models import OutboundMessage

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def register_task(event, worker):
    return lambda: services.register(event_id=event.pk, worker_id=worker.pk, channel="self")


def assert_50_seats_and_150_in_line(event, results, errors) -> None:
    """200 at once for 50 seats: 50 confirmed, the other 150 numbered 1-150 on the waiting list,
    each told which by SMS."""
    assert errors == []
    outcomes = Counter(result.outcome for result in results)
    assert outcomes == {"confirmed": 50, "waitlisted": 150}
    event.refresh_from_db()
    assert event.seats_taken == 50
    statuses = Counter(Registration.objects.values_list("status", flat=True))
    assert statuses == {RegistrationStatus.CONFIRMED: 50, RegistrationStatus.WAITLISTED: 150}
    positions = sorted(
        waitlist_position(registration=registration)
        for registration in Registration.objects.filter(status=RegistrationStatus.WAITLISTED)
    )
    assert positions == list(range(1, 151))
    kinds = Counter(OutboundMessage.objects.values_list("kind", flat=True))
    assert kinds == {"reg-confirm": 50, "reg-waitlist": 150}


def test_200_people_for_50_seats_get_exactly_50_seats():
    event = open_event(capacity=50)
    workers = [make_worker() for _ in range(200)]

    results, errors = run_together([register_task(event, worker) for worker in workers])

    assert_50_seats_and_150_in_line(event, results, errors)


def test_the_same_worker_twice_at_once_gets_one_registration():
    event = open_event(capacity=50)
    worker = make_worker()

    results, errors = run_together([register_task(event, worker) for _ in range(8)], threads=8)

    assert errors == []
    outcomes = Counter(result.outcome for result in results)
    assert outcomes == {"confirmed": 1, "already_registered": 7}
    assert len({result.registration.pk for result in results}) == 1
    event.refresh_from_db()
    assert event.seats_taken == 1
    assert Registration.objects.count() == 1
    assert OutboundMessage.objects.count() == 1


def test_concurrent_cancellations_promote_no_more_people_than_seats_freed():
    event = open_event(capacity=20)
    registrations = [
        services.register(event_id=event.pk, worker_id=make_worker().pk, channel="self")
        for _ in range(50)
    ]
    confirmed = [r.registration for r in registrations if r.outcome == "confirmed"]
    waiting = [r.registration for r in registrations if r.outcome == "waitlisted"]
    assert (len(confirmed), len(waiting)) == (20, 30)
    leaving = confirmed[:10]

    # Each cancellation is sent twice, as a double tap would.
    tasks = [
        (lambda pk=registration.pk: services.cancel_registration(registration_id=pk))
        for registration in leaving * 2
    ]
    _results, errors = run_together(tasks, threads=20)

    assert errors == []
    event.refresh_from_db()
    assert event.seats_taken == 20
    assert Registration.objects.filter(status=RegistrationStatus.CONFIRMED).count() == 20
    promoted = set(
        Registration.objects.filter(
            pk__in=[r.pk for r in waiting], status=RegistrationStatus.CONFIRMED
        ).values_list("pk", flat=True)
    )
    assert promoted == {r.pk for r in waiting[:10]}, "the first ten waiting, in order"
    assert OutboundMessage.objects.filter(kind="reg-promote").count() == 10


def test_a_cancelled_registration_reactivated_twice_at_once_takes_one_seat():
    event = open_event(capacity=5)
    worker = make_worker()
    registration = services.register(event_id=event.pk, worker_id=worker.pk, channel="self")
    services.cancel_registration(registration_id=registration.registration.pk)

    results, errors = run_together([register_task(event, worker) for _ in range(6)], threads=6)

    assert errors == []
    assert Counter(result.outcome for result in results) == {
        "confirmed": 1,
        "already_registered": 5,
    }
    assert Event.objects.get(pk=event.pk).seats_taken == 1


# Self-registration: on PostgreSQL one statement (events.services.register_self) ------------------


def register_self_task(event, user):
    return lambda: services.register_self(event_id=event.pk, user=user)


def test_200_people_registering_themselves_for_50_seats_get_exactly_50_seats():
    event = open_event(capacity=50)

    results, errors = run_together([register_self_task(event, user) for user in accounts(200)])

    assert_50_seats_and_150_in_line(event, results, errors)


def test_the_same_account_registering_8_times_at_once_gets_one_registration():
    event = open_event(capacity=50)
    (user,) = accounts(1)

    results, errors = run_together([register_self_task(event, user)] * 8, threads=8)

    assert errors == []
    assert Counter(result.outcome for result in results) == {
        "confirmed": 1,
        "already_registered": 7,
    }
    assert Event.objects.get(pk=event.pk).seats_taken == 1
    assert (Registration.objects.count(), OutboundMessage.objects.count()) == (1, 1)


def test_a_seat_freed_while_someone_joins_the_waiting_list_goes_to_them():
    """The cancellation frees the seat and finds nobody waiting, then commits only after the
    newcomer, who saw the event full, has reached the event row: the newcomer must end up with
    the seat, not on the waiting list next to a free seat."""
    event = open_event(capacity=1)
    leaving, newcomer = accounts(2)
    seat = services.register_self(event_id=event.pk, user=leaving).registration
    cancelled = threading.Event()

    def cancel():
        with transaction.atomic():
            services.cancel_registration(registration_id=seat.pk)
            cancelled.set()
            wait_for_a_lock_waiter()

    def join():
        cancelled.wait(timeout=30)
        return services.register_self(event_id=event.pk, user=newcomer)

    results, errors = run_together([cancel, join], threads=2)

    assert errors == []
    joined = next(result for result in results if result is not None)
    assert joined.outcome == "confirmed"
    assert Registration.objects.get(pk=joined.registration.pk).status == "confirmed"
    assert Registration.objects.get(pk=seat.pk).status == "cancelled"
    assert Event.objects.get(pk=event.pk).seats_taken == 1


def wait_for_a_lock_waiter(seconds: float = 5) -> None:
    """Until another connection waits for a lock this one holds (PostgreSQL), or a moment
    (SQLite, where the other writer waits for the database and nothing shows it). On
    PostgreSQL, fails when nobody waits in time: the race under test did not happen."""
    if connection.vendor != "postgresql":
        time.sleep(0.5)
        return
    deadline = time.monotonic() + seconds
    with connection.cursor() as cursor:
        while time.monotonic() < deadline:
            # A row lock is waited for on the holder's transaction id, whose pg_locks row has no
            # database: pg_blocking_pids names the holder instead.
            cursor.execute(
                "SELECT count(*) FROM pg_locks "
                "WHERE NOT granted AND pg_backend_pid() = ANY(pg_blocking_pids(pid))"
            )
            if cursor.fetchone()[0]:
                return
            time.sleep(0.02)
    raise AssertionError(f"no connection waited for this one's locks within {seconds} s")


def test_cancellations_while_people_join_leave_no_seat_free_for_a_waiting_person():
    event = open_event(capacity=20)
    seated = accounts(20)
    seats = [services.register_self(event_id=event.pk, user=user).registration for user in seated]
    tasks = [
        (lambda pk=seat.pk: services.cancel_registration(registration_id=pk)) for seat in seats[:10]
    ]
    tasks += [register_self_task(event, user) for user in accounts(30)]

    _results, errors = run_together(tasks, threads=20)

    assert errors == []
    event.refresh_from_db()
    statuses = Counter(Registration.objects.values_list("status", flat=True))
    assert statuses == {
        RegistrationStatus.CONFIRMED: 20,
        RegistrationStatus.WAITLISTED: 20,
        RegistrationStatus.CANCELLED: 10,
    }
    assert event.seats_taken == 20
    positions = sorted(
        waitlist_position(registration=registration)
        for registration in Registration.objects.filter(status=RegistrationStatus.WAITLISTED)
    )
    assert positions == list(range(1, 21))
