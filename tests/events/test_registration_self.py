"""A signed-in worker registering themselves (events.services.register_self): the request of a
registration burst. On PostgreSQL a new registration is one prepared statement after one read;
on SQLite it takes the general path. These tests run on both databases, so both paths give the
answers below; the races are in test_registration_races."""

import datetime

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events import services, tickets
from events.models import Registration, RegistrationChannel, RegistrationStatus
from events.selectors import waitlist_position
from events.services import RegistrationOutcome, RegistrationRefused
from tests.factories import make_worker, open_event, village
from trainees.models import OutboundMessage, Worker

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"


def account(django_user_model, **worker):
    user = django_user_model.objects.create_user(username=f"w{django_user_model.objects.count()}")
    make_worker(user=user, **worker)
    return user


def test_seats_then_the_waiting_list_with_the_messages_that_say_so(django_user_model):
    event = open_event(capacity=2)
    now = timezone.now()
    users = [account(django_user_model) for _ in range(4)]

    results = [services.register_self(event_id=event.pk, user=user, now=now) for user in users]

    assert [(r.outcome, r.waitlist_position) for r in results] == [
        (RegistrationOutcome.CONFIRMED, None),
        (RegistrationOutcome.CONFIRMED, None),
        (RegistrationOutcome.WAITLISTED, 1),
        (RegistrationOutcome.WAITLISTED, 2),
    ]
    event.refresh_from_db()
    assert event.seats_taken == 2
    for user, result in zip(users, results, strict=True):
        stored = Registration.objects.get(pk=result.registration.pk)
        assert (stored.worker.user, stored.created_by) == (user, user)
        assert stored.channel == RegistrationChannel.SELF
        assert stored.status == result.registration.status
        assert stored.ticket_hash == tickets.ticket_hash_for(tickets.ticket_token(stored))
        confirmed = result.outcome == RegistrationOutcome.CONFIRMED
        assert (stored.confirmed_at, stored.waitlisted_at) == (
            (now, None) if confirmed else (None, now)
        )
        message = OutboundMessage.objects.get(dedupe_key__contains=f":{stored.pk}:")
        assert message.phone == user.worker.phone
        if confirmed:
            assert message.kind == "reg-confirm"
            assert tickets.manual_code(tickets.ticket_token(stored)) in message.body
        else:
            assert message.kind == "reg-waitlist"
            assert f"{waitlist_position(registration=stored)}" in message.body
    assert OutboundMessage.objects.count() == 4


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_postgresql_a_registration_is_one_read_and_one_write(django_user_model):
    """In autocommit, as in a request."""
    event = open_event(capacity=1)
    first, second = account(django_user_model), account(django_user_model)

    for user in (first, second):  # a seat, then the waiting list
        with CaptureQueriesContext(connection) as queries:
            services.register_self(event_id=event.pk, user=user)
        if ON_POSTGRESQL:
            assert len(queries) == 2
            assert "INSERT INTO events_registration" in queries[1]["sql"]


def test_an_account_without_a_worker_profile_is_refused(django_user_model):
    user = django_user_model.objects.create_user(username="staff")
    with pytest.raises(Worker.DoesNotExist):
        services.register_self(event_id=open_event().pk, user=user)


def test_registering_oneself_twice_returns_the_first_registration(django_user_model):
    event = open_event(capacity=2)
    user = account(django_user_model)

    first = services.register_self(event_id=event.pk, user=user)
    second = services.register_self(event_id=event.pk, user=user)

    assert second.outcome == RegistrationOutcome.ALREADY_REGISTERED
    assert second.registration.pk == first.registration.pk
    event.refresh_from_db()
    assert (event.seats_taken, Registration.objects.count()) == (1, 1)
    assert OutboundMessage.objects.count() == 1


def test_a_full_event_without_waiting_list_refuses_and_writes_nothing(django_user_model):
    event = open_event(capacity=1, waiting_list_enabled=False)
    services.register_self(event_id=event.pk, user=account(django_user_model))

    with pytest.raises(RegistrationRefused) as refused:
        services.register_self(event_id=event.pk, user=account(django_user_model))

    assert refused.value.code == "full"
    event.refresh_from_db()
    assert (event.seats_taken, Registration.objects.count()) == (1, 1)
    assert OutboundMessage.objects.count() == 1


def test_the_rules_apply(django_user_model):
    xingning = village("450102001000")
    event = open_event(eligible_region=xingning, max_age=40)
    too_old = account(django_user_model, birth_date=datetime.date(1970, 1, 1), hukou=xingning)
    elsewhere = account(django_user_model, birth_date=datetime.date(1995, 1, 1))
    closed = open_event(registration_closes_at=timezone.now() - datetime.timedelta(days=1))

    for user, on, code in (
        (too_old, event, "too_old"),
        (elsewhere, event, "region_unknown"),
        (elsewhere, closed, "closed"),
    ):
        with pytest.raises(RegistrationRefused) as refused:
            services.register_self(event_id=on.pk, user=user)
        assert refused.value.code == code
    assert not Registration.objects.exists()


def test_a_cancelled_registration_comes_back_through_the_seat_check(django_user_model):
    event = open_event(capacity=1)
    user = account(django_user_model)
    first = services.register_self(event_id=event.pk, user=user).registration
    services.cancel_registration(registration_id=first.pk)

    again = services.register_self(event_id=event.pk, user=user)

    assert again.outcome == RegistrationOutcome.CONFIRMED
    assert again.registration.pk == first.pk
    assert Registration.objects.get().status == RegistrationStatus.CONFIRMED
