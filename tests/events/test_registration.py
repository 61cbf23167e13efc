"""Registration rules (events.services): window, eligibility, seats, waiting list, cancel, restore.

Workers and events come from tests.factories, registering from tests.support.scenarios.
"""

import datetime

import pytest
from django.utils import timezone, translation

from events import services, tickets
from events.models import EventKind, EventStatus, Registration, RegistrationStatus
from events.selectors import waitlist_position
from events.services import RegistrationOutcome, RegistrationRefused
from tests.factories import EventFactory, make_worker, open_event, shanghai, village
from tests.support.scenarios import join
from trainees.models import (
    OutboundMessage,
    Region,
    SpecialGroup,
)

pytestmark = pytest.mark.django_db


def refused_code(event, worker, **kwargs) -> str:
    with pytest.raises(RegistrationRefused) as refused:
        join(event, worker, **kwargs)
    assert refused.value.reason, "a refusal always says why"
    return refused.value.code


# Seats and the waiting list ----------------------------------------------------------------------


def test_a_seat_is_taken_and_the_ticket_hash_set():
    event = open_event(capacity=2)
    result = join(event, make_worker())
    event.refresh_from_db()
    registration = result.registration
    assert result.outcome == RegistrationOutcome.CONFIRMED
    assert result.waitlist_position is None
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.confirmed_at is not None
    assert event.seats_taken == 1
    assert registration.ticket_hash == tickets.ticket_hash_for(tickets.ticket_token(registration))


def test_unlimited_events_still_count_their_seats():
    event = open_event(capacity=None)
    for _ in range(3):
        assert join(event, make_worker()).outcome == RegistrationOutcome.CONFIRMED
    event.refresh_from_db()
    assert event.seats_taken == 3


def test_registering_twice_returns_the_first_registration():
    event = open_event(capacity=2)
    worker = make_worker()
    first = join(event, worker)
    second = join(event, worker)
    event.refresh_from_db()
    assert second.outcome == RegistrationOutcome.ALREADY_REGISTERED
    assert second.registration.pk == first.registration.pk
    assert Registration.objects.count() == 1
    assert event.seats_taken == 1


def test_a_full_event_puts_people_on_the_waiting_list_in_order():
    event = open_event(capacity=1)
    now = timezone.now()
    join(event, make_worker(), now=now)
    second = join(event, make_worker(), now=now)
    third = join(event, make_worker(), now=now)  # same instant: the id breaks the tie
    earlier = join(event, make_worker(), now=now - datetime.timedelta(seconds=1))
    event.refresh_from_db()
    assert event.seats_taken == 1
    assert (second.outcome, second.waitlist_position) == (RegistrationOutcome.WAITLISTED, 1)
    assert second.registration.waitlisted_at == now
    positions = [
        waitlist_position(registration=result.registration) for result in (earlier, second, third)
    ]
    assert positions == [1, 2, 3]


def test_a_full_event_without_waiting_list_refuses():
    event = open_event(capacity=1, waiting_list_enabled=False)
    join(event, make_worker())
    assert refused_code(event, make_worker()) == "full"
    event.refresh_from_db()
    assert event.seats_taken == 1
    assert Registration.objects.count() == 1


# Window ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"live": False}, "not_published"),
        ({"status": EventStatus.CANCELLED}, "cancelled"),
        ({"status": EventStatus.POSTPONED}, "postponed"),
        ({"registration_opens_at": shanghai(2030, 1, 1, 9)}, "not_open_yet"),
        ({"registration_closes_at": shanghai(2020, 1, 1, 9)}, "closed"),
    ],
)
def test_registration_needs_a_published_scheduled_event_in_its_window(fields, code):
    event = open_event(**fields)
    assert refused_code(event, make_worker()) == code
    assert not Registration.objects.exists()


def test_an_event_that_is_over_refuses():
    event = open_event(starts_at=shanghai(2020, 3, 1, 9))
    assert refused_code(event, make_worker()) == "ended"


def test_the_reason_names_the_date_in_the_current_language():
    event = open_event(registration_closes_at=shanghai(2020, 1, 1, 9, 30))
    with translation.override("en"):
        with pytest.raises(RegistrationRefused) as refused:
            join(event, make_worker())
    assert refused.value.reason == "Registration closed on 2020-01-01 09:30."


# Eligibility -------------------------------------------------------------------------------------


def test_age_is_taken_at_the_start_of_the_class():
    start = timezone.localtime(open_event().starts_at)
    event = open_event(min_age=18, max_age=45, starts_at=start)
    start_day = start.date()
    turns_18_on_day_one = start_day.replace(year=start_day.year - 18)
    turns_18_next_day = turns_18_on_day_one + datetime.timedelta(days=1)
    turns_46_on_day_one = start_day.replace(year=start_day.year - 46)

    assert join(event, make_worker(birth_date=turns_18_on_day_one)).outcome == "confirmed"
    assert refused_code(event, make_worker(birth_date=turns_18_next_day)) == "too_young"
    assert refused_code(event, make_worker(birth_date=turns_46_on_day_one)) == "too_old"


def test_an_age_rule_asks_for_the_id_number_when_the_birth_date_is_unknown():
    event = open_event(max_age=50)
    with translation.override("en"):
        with pytest.raises(RegistrationRefused) as refused:
            join(event, make_worker())
    assert refused.value.code == "age_unknown"
    assert "profile" in refused.value.reason


def test_household_registration_must_lie_in_the_eligible_region():
    township = village("450102010000")  # its own code ends in 0: prefix by level, not by zeros
    home = village("450102010203")
    neighbour_township = village("450102011000")
    event = open_event(eligible_region=township)

    assert join(event, make_worker(hukou=home)).outcome == "confirmed"
    assert join(event, make_worker(hukou=township)).outcome == "confirmed"
    assert refused_code(event, make_worker(hukou=neighbour_township)) == "region"
    assert refused_code(event, make_worker(hukou=Region.objects.get(code="450103000000"))) == (
        "region"
    )
    assert refused_code(event, make_worker()) == "region_unknown"


def test_a_county_wide_class_takes_every_village_in_the_county():
    event = open_event(eligible_region=Region.objects.get(code="450102000000"), capacity=5)
    assert join(event, make_worker(hukou=village("450102123456"))).outcome == "confirmed"
    assert refused_code(event, make_worker(hukou=village("450103001000"))) == "region"


def test_a_special_group_class_needs_the_recorded_group():
    event = open_event(required_special_group=SpecialGroup.VETERAN)
    member = make_worker(groups=[SpecialGroup.VETERAN])
    other = make_worker(groups=[SpecialGroup.MIGRANT_WORKER])
    assert join(event, member).outcome == "confirmed"
    assert refused_code(event, other) == "special_group"


def test_job_fairs_without_rules_take_anyone():
    event = EventFactory(kind=EventKind.JOB_FAIR, capacity=None)
    assert join(event, make_worker()).outcome == "confirmed"


# Cancelling, promotion, restoring ----------------------------------------------------------------


def test_cancelling_frees_the_seat_for_the_first_waiting_person():
    event = open_event(capacity=1)
    first = join(event, make_worker()).registration
    waiting = [join(event, make_worker()).registration for _ in range(2)]

    cancelled = services.cancel_registration(registration_id=first.pk, by_user=None)

    event.refresh_from_db()
    promoted, still_waiting = (Registration.objects.get(pk=r.pk) for r in waiting)
    assert cancelled.status == RegistrationStatus.CANCELLED
    assert cancelled.cancelled_at is not None
    assert promoted.status == RegistrationStatus.CONFIRMED
    assert promoted.confirmed_at is not None
    assert still_waiting.status == RegistrationStatus.WAITLISTED
    assert waitlist_position(registration=still_waiting) == 1
    assert event.seats_taken == 1
    message = OutboundMessage.objects.get(kind="reg-promote")
    assert message.phone == promoted.worker.phone
    assert tickets.manual_code(tickets.ticket_token(promoted)) in message.body


def test_cancelling_twice_frees_one_seat():
    event = open_event(capacity=3)
    registration = join(event, make_worker()).registration
    join(event, make_worker())
    for _ in range(2):
        services.cancel_registration(registration_id=registration.pk)
    event.refresh_from_db()
    assert event.seats_taken == 1


def test_cancelling_a_waiting_registration_keeps_the_seats():
    event = open_event(capacity=1)
    join(event, make_worker())
    waiting = join(event, make_worker()).registration
    services.cancel_registration(registration_id=waiting.pk)
    event.refresh_from_db()
    assert event.seats_taken == 1
    assert not OutboundMessage.objects.filter(kind="reg-promote").exists()


def test_the_organiser_cancelling_tells_the_worker_but_the_worker_cancelling_does_not(
    django_user_model,
):
    event = open_event(capacity=3)
    user = django_user_model.objects.create_user(username="worker")
    own = join(event, make_worker(user=user)).registration
    other = join(event, make_worker()).registration
    organiser = django_user_model.objects.create_user(username="organiser")

    services.cancel_registration(registration_id=own.pk, by_user=user)
    services.cancel_registration(registration_id=other.pk, by_user=organiser, reason="重复报名")

    message = OutboundMessage.objects.get(kind="reg-cancel")
    assert message.phone == other.worker.phone
    other.refresh_from_db()
    assert (other.cancelled_by, other.cancel_reason) == (organiser, "重复报名")


def test_a_cancelled_registration_comes_back_through_the_seat_check():
    event = open_event(capacity=1)
    worker = make_worker()
    registration = join(event, worker).registration
    services.cancel_registration(registration_id=registration.pk)
    join(event, make_worker())  # takes the freed seat

    again = join(event, worker)

    event.refresh_from_db()
    assert again.registration.pk == registration.pk
    assert again.outcome == RegistrationOutcome.WAITLISTED
    assert again.registration.cancelled_at is None
    assert event.seats_taken == 1


def test_a_cancelled_registration_is_confirmed_again_when_a_seat_is_free():
    event = open_event(capacity=1)
    worker = make_worker()
    registration = join(event, worker).registration
    services.cancel_registration(registration_id=registration.pk)
    again = join(event, worker)
    event.refresh_from_db()
    assert again.outcome == RegistrationOutcome.CONFIRMED
    assert event.seats_taken == 1
    assert Registration.objects.count() == 1


def test_organisers_restore_to_a_free_seat_or_else_to_the_waiting_list(django_user_model):
    organiser = django_user_model.objects.create_user(username="organiser")
    event = open_event(capacity=1, waiting_list_enabled=False)
    first = join(event, make_worker()).registration
    services.cancel_registration(registration_id=first.pk, by_user=organiser)

    restored = services.restore_registration(registration_id=first.pk, by_user=organiser)
    assert restored.outcome == RegistrationOutcome.CONFIRMED

    services.cancel_registration(registration_id=first.pk, by_user=organiser)
    join(event, make_worker())
    waiting = services.restore_registration(registration_id=first.pk, by_user=organiser)
    event.refresh_from_db()
    assert waiting.outcome == RegistrationOutcome.WAITLISTED
    assert waiting.waitlist_position == 1
    assert event.seats_taken == 1

    again = services.restore_registration(registration_id=first.pk, by_user=organiser)
    assert again.outcome == RegistrationOutcome.ALREADY_REGISTERED
