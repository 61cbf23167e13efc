"""A signed-in worker registering themselves (events.services.register_self): the request of a
registration burst. On PostgreSQL a new registration is one prepared statement after one read;
on SQLite it takes the general path. These tests run on both databases, so both paths give the
answers below; the races are in test_registration_races."""

import datetime
import re

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events import services, tickets
from events.models import Registration, RegistrationChannel, RegistrationStatus
from events.selectors import waitlist_position
from events.services import RegistrationOutcome, RegistrationRefused
from tests.factories import open_event, village
from tests.support.races import accounts
from trainees.models import OutboundMessage, Worker

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"


def test_seats_then_the_waiting_list_with_the_messages_that_say_so():
    event = open_event(capacity=2)
    now = timezone.now()
    users = accounts(4)

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


def test_joining_the_waiting_list_after_others_gives_the_place_in_line():
    """The place in the answer and in the message is counted when the registration is written,
    whichever path wrote those ahead (here a coordinator's and the worker's own)."""
    event = open_event(capacity=1, title="叉车司机培训班")
    seated, first, second, third = accounts(4)
    services.register_self(event_id=event.pk, user=seated)
    services.register(
        event_id=event.pk, worker_id=first.worker.pk, channel=RegistrationChannel.COORDINATOR
    )
    services.register_self(event_id=event.pk, user=second)

    result = services.register_self(event_id=event.pk, user=third)

    assert (result.outcome, result.waitlist_position) == (RegistrationOutcome.WAITLISTED, 3)
    assert waitlist_position(registration=result.registration) == 3
    message = OutboundMessage.objects.get(phone=third.worker.phone)
    assert message.kind == services.WAITLIST_SMS_KIND
    assert "叉车司机培训班" in message.body
    assert re.findall(r"\d+", message.body) == ["3"]


def test_a_seat_lost_after_the_rules_were_read_puts_the_worker_behind_those_who_joined(
    monkeypatch,
):
    """Between reading the event (a seat free) and writing, someone takes the last seat and
    someone else joins the waiting list, as in a burst: the worker is second in line, and told
    so."""
    event = open_event(capacity=1, title="叉车司机培训班")
    late, quick, waiting = accounts(3)
    read = services._registration_facts

    def read_then_others_register(**kwargs):
        monkeypatch.setattr(services, "_registration_facts", read)
        facts = read(**kwargs)
        for user in (quick, waiting):
            services.register_self(event_id=event.pk, user=user)
        return facts

    monkeypatch.setattr(services, "_registration_facts", read_then_others_register)
    result = services.register_self(event_id=event.pk, user=late)

    assert (result.outcome, result.waitlist_position) == (RegistrationOutcome.WAITLISTED, 2)
    message = OutboundMessage.objects.get(phone=late.worker.phone)
    assert (message.kind, re.findall(r"\d+", message.body)) == (services.WAITLIST_SMS_KIND, ["2"])


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_registration_is_one_read_and_one_write_on_postgresql():
    """In autocommit, as in a request. On SQLite the general path runs: the same two reads,
    then BEGIN, the writes (for the waiting list also its count and the event lock), COMMIT."""
    event = open_event(capacity=1)
    seat, waiting = accounts(2)

    for user, general_path in ((seat, 7), (waiting, 9)):
        with CaptureQueriesContext(connection) as queries:
            services.register_self(event_id=event.pk, user=user)
        sql = [query["sql"] for query in queries]
        if ON_POSTGRESQL:
            assert len(sql) == 2
            assert "INSERT INTO events_registration" in sql[1]
        else:
            assert len(sql) == general_path
            assert (sql[2], sql[-1]) == ("BEGIN IMMEDIATE", "COMMIT")


def test_an_account_without_a_worker_profile_is_refused(django_user_model):
    user = django_user_model.objects.create_user(username="staff")
    with pytest.raises(Worker.DoesNotExist):
        services.register_self(event_id=open_event().pk, user=user)


def test_registering_oneself_twice_returns_the_first_registration():
    event = open_event(capacity=2)
    (user,) = accounts(1)

    first = services.register_self(event_id=event.pk, user=user)
    second = services.register_self(event_id=event.pk, user=user)

    assert second.outcome == RegistrationOutcome.ALREADY_REGISTERED
    assert second.registration.pk == first.registration.pk
    event.refresh_from_db()
    assert (event.seats_taken, Registration.objects.count()) == (1, 1)
    assert OutboundMessage.objects.count() == 1


def test_a_full_event_without_waiting_list_refuses_and_writes_nothing():
    event = open_event(capacity=1, waiting_list_enabled=False)
    first, second = accounts(2)
    services.register_self(event_id=event.pk, user=first)

    with pytest.raises(RegistrationRefused) as refused:
        services.register_self(event_id=event.pk, user=second)

    assert refused.value.code == "full"
    event.refresh_from_db()
    assert (event.seats_taken, Registration.objects.count()) == (1, 1)
    assert OutboundMessage.objects.count() == 1


def test_the_rules_apply():
    xingning = village("450102001000")
    event = open_event(eligible_region=xingning, max_age=40)
    (too_old,) = accounts(1, birth_date=datetime.date(1970, 1, 1), hukou=xingning)
    (elsewhere,) = accounts(1, birth_date=datetime.date(1995, 1, 1))
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


def test_a_cancelled_registration_comes_back_through_the_seat_check():
    event = open_event(capacity=1)
    (user,) = accounts(1)
    first = services.register_self(event_id=event.pk, user=user).registration
    services.cancel_registration(registration_id=first.pk)

    again = services.register_self(event_id=event.pk, user=user)

    assert again.outcome == RegistrationOutcome.CONFIRMED
    assert again.registration.pk == first.pk
    assert Registration.objects.get().status == RegistrationStatus.CONFIRMED
