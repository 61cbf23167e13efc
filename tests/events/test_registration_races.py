"""Races: many requests at once, on whatever DATABASE_URL names (make test runs PostgreSQL and a
SQLite file). Threads start together on a Barrier, each on its own connection, and errors are
collected rather than raised so that the counts below tell the whole story.

PostgreSQL allows 100 connections here (shared with other test runs), so the 200 attempts are
made by 40 threads released at once, five attempts each.
"""

import threading
from collections import Counter

import pytest
from django.db import connections

from events import services
from events.models import Event, Registration, RegistrationStatus
from events.selectors import waitlist_position
from tests.events.test_registration import make_worker, open_event
from trainees.models import OutboundMessage

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

THREADS = 40


def run_together(tasks, *, threads: int = THREADS) -> tuple[list, list[BaseException]]:
    """Run the callables on `threads` threads that start at the same moment."""
    shares = [tasks[i::threads] for i in range(threads) if tasks[i::threads]]
    barrier = threading.Barrier(len(shares))
    results, errors, lock = [], [], threading.Lock()

    def worker(share):
        try:
            barrier.wait(timeout=30)
            for task in share:
                try:
                    outcome = task()
                except BaseException as error:  # noqa: BLE001 - reported by the assertions
                    with lock:
                        errors.append(error)
                else:
                    with lock:
                        results.append(outcome)
        finally:
            connections.close_all()

    pool = [threading.Thread(target=worker, args=(share,)) for share in shares]
    for thread in pool:
        thread.start()
    for thread in pool:
        thread.join(timeout=120)
    assert not any(thread.is_alive() for thread in pool), "a thread hung"
    return results, errors


def register_task(event, worker):
    return lambda: services.register(event_id=event.pk, worker_id=worker.pk, channel="self")


def test_200_people_for_50_seats_get_exactly_50_seats():
    event = open_event(capacity=50)
    workers = [make_worker() for _ in range(200)]

    results, errors = run_together([register_task(event, worker) for worker in workers])

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
