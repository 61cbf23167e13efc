"""Events with people in them, built through the real services: registrations, scans, classes
with their sessions. Shared by the registration, check-in, statistics, export and API tests."""

import datetime
import uuid

from django.utils import timezone

from events import services, tickets
from events.models import Direction, Registration, RegistrationStatus
from tests.factories import EventFactory, SessionFactory, make_worker, open_event, shanghai
from tests.factories import mobile as mobile  # re-exported: a number no worker has, each call


def nonce() -> str:
    return uuid.uuid4().hex


def join(event, worker, **kwargs) -> services.RegistrationResult:
    """The worker signs up for the event themselves; whatever the outcome."""
    return services.register(event_id=event.pk, worker_id=worker.pk, channel="self", **kwargs)


def register(event, worker=None, **worker_fields) -> Registration:
    """A confirmed registration for a new worker (or `worker`), as the worker makes it."""
    registration = join(event, worker or make_worker(**worker_fields)).registration
    assert registration.status == RegistrationStatus.CONFIRMED
    return registration


def token(registration: Registration) -> str:
    return tickets.ticket_token(registration)


def scan(event, code="", *, at, **kwargs):
    """A scan at the event's gate at `at` (a fresh nonce unless given)."""
    kwargs.setdefault("nonce", nonce())
    return services.check_in(code=code, event_id=event.pk, now=at, **kwargs)


def sign_in(registration, *, at, direction=Direction.IN):
    """A scan of the registration's QR code at `at`."""
    return scan(registration.event, token(registration), at=at, direction=direction)


def fair_now(**fields):
    """A live job fair under way: started an hour ago, ends in four hours, one session."""
    now = timezone.now()
    return EventFactory(
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=4),
        **fields,
    )


def fair_today(**fields):
    """A fair under way whose online registration closed yesterday: walk-ins only."""
    fields.setdefault("registration_closes_at", timezone.now() - datetime.timedelta(days=1))
    return fair_now(**fields)


def class_with_two_sessions(**fields):
    """A training class on one day: 09:00-12:00 and 14:00-17:00 Shanghai time, a week ahead."""
    day = timezone.localdate() + datetime.timedelta(days=7)
    start = shanghai(day.year, day.month, day.day, 9)
    fields.setdefault("capacity", 10)
    event = open_event(
        starts_at=start, ends_at=start + datetime.timedelta(hours=8), sessions=0, **fields
    )
    morning = SessionFactory(
        event=event, title="上午", starts_at=start, ends_at=start + datetime.timedelta(hours=3)
    )
    afternoon = SessionFactory(
        event=event,
        title="下午",
        starts_at=start + datetime.timedelta(hours=5),
        ends_at=start + datetime.timedelta(hours=8),
    )
    return event, morning, afternoon


def two_day_fair(**fields):
    """A fair on two days a week ahead, 09:00-17:00 each (Shanghai time)."""
    event = EventFactory(sessions=2, capacity=100, **fields)
    day1, day2 = event.sessions.order_by("starts_at")
    return event, day1, day2


def counted_fair(*, organiser):
    """7 registered beforehand, 5 of whom come on day 1 and 2 of those again on day 2, plus one
    walk-in on day 1; one registration cancelled; one day-2 sign-in undone.

    Worked out by hand: registered 7, walk-ins 1, entrants 5 + 1 = 6 people, visits
    5 + 1 + 2 = 8, no-shows 7 - 5 = 2, no-show rate 2/7. Returns the event and the 7."""
    minute = datetime.timedelta(minutes=1)
    event, day1, day2 = two_day_fair()
    people = [register(event) for _ in range(7)]
    services.cancel_registration(registration_id=register(event).pk)
    for registration in people[:5]:
        sign_in(registration, at=day1.starts_at + 10 * minute)
    for registration in people[:2]:
        sign_in(registration, at=day2.starts_at + 5 * minute)
    mistaken = sign_in(people[2], at=day2.starts_at + 6 * minute)
    services.undo_check_in(scan_log_id=mistaken.scan.pk, now=day2.starts_at + 7 * minute)
    services.register_walk_in(
        event_id=event.pk,
        name="现场来客",
        phone="13700000001",
        user=organiser,
        nonce=nonce(),
        now=day1.starts_at + 30 * minute,
    )
    return event, people


def training_class(*, sessions: int = 5, threshold: int = 80, days_ago: int = 10, **fields):
    """A class of `sessions` mornings (09:00-12:00) on consecutive days from 2026-03-02, and the
    moment `days_ago` days after its first session (all over when that is more than the number
    of sessions): (event, sessions, now)."""
    first = shanghai(2026, 3, 2, 9)
    event = EventFactory(
        training=True,
        sessions=0,
        capacity=50,
        starts_at=first,
        ends_at=first + datetime.timedelta(days=sessions - 1, hours=3),
        attendance_threshold=threshold,
        registration_opens_at=first - datetime.timedelta(days=30),
        registration_closes_at=first + datetime.timedelta(days=sessions - 1),
        **fields,
    )
    for day in range(sessions):
        start = first + datetime.timedelta(days=day)
        SessionFactory(
            event=event,
            title=f"第{day + 1}课",
            starts_at=start,
            ends_at=start + datetime.timedelta(hours=3),
        )
    now = first + datetime.timedelta(days=days_ago)
    return event, list(event.sessions.order_by("starts_at")), now


def enrol(event, **worker_fields):
    """A new worker registered for a class the day before it starts."""
    worker = make_worker(**worker_fields)
    return services.register(
        event_id=event.pk,
        worker_id=worker.pk,
        channel="self",
        now=event.starts_at - datetime.timedelta(days=1),
    ).registration


def attend(registration, session, *, late: datetime.timedelta = datetime.timedelta(0)):
    """Sign in at the session's start plus `late`."""
    return sign_in(registration, at=session.starts_at + late)
