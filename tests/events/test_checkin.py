"""Check-in at the gate (events.services.check_in and friends): codes, results, session choice,
nonces, undo, walk-ins and scanner devices.
"""

import datetime

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from events import selectors, services, tickets
from events.models import (
    CheckIn,
    Direction,
    EventKind,
    Registration,
    RegistrationChannel,
    RegistrationStatus,
    ScanLog,
    ScannerDevice,
    ScanResult,
)
from events.services import BadScan
from tests.factories import EventFactory, SessionFactory, make_worker, open_event
from tests.support.scenarios import (
    class_with_two_sessions,
    fair_today,
    mobile,
    nonce,
    register,
    scan,
    token,
)
from trainees.models import Consent, ConsentMethod, Provenance, Worker
from trainees.services import signin

pytestmark = pytest.mark.django_db


@pytest.fixture
def day():
    """A class with two sessions and one confirmed trainee."""
    event, morning, afternoon = class_with_two_sessions()
    registration = register(event)
    return event, morning, afternoon, registration


# Codes and results -------------------------------------------------------------------------------


def test_the_qr_token_checks_in_once_then_says_when_and_where(day):
    event, morning, _afternoon, registration = day
    at = morning.starts_at - datetime.timedelta(minutes=5)

    first = scan(event, token(registration), at=at, gate="东门")
    again = scan(event, token(registration), at=at + datetime.timedelta(minutes=2), gate="西门")

    assert first.result == ScanResult.CHECKED_IN
    assert first.session == morning
    assert first.name == registration.worker.masked_name
    assert again.result == ScanResult.ALREADY_CHECKED_IN
    assert again.checkin.pk == first.checkin.pk
    assert (again.checkin.scanned_at, again.checkin.gate) == (at, "东门")
    assert "东门" in again.message
    assert CheckIn.objects.count() == 1
    assert ScanLog.objects.count() == 2, "every scan is logged, the refused one too"


def test_the_manual_code_works_with_or_without_dashes_in_any_case(day):
    event, morning, _afternoon, registration = day
    code = tickets.manual_code(token(registration))
    assert "-" in code

    with_dashes = scan(event, code.lower(), at=morning.starts_at)
    services.undo_check_in(scan_log_id=with_dashes.scan.pk, now=morning.starts_at)
    without = scan(event, code.replace("-", " "), at=morning.starts_at)

    assert with_dashes.result == ScanResult.CHECKED_IN
    assert without.result == ScanResult.CHECKED_IN
    assert with_dashes.registration == without.registration == registration


def test_a_manual_code_of_another_event_is_unknown_here(day):
    event, morning, _afternoon, _registration = day
    other = open_event()
    elsewhere = register(other)

    outcome = scan(event, tickets.manual_code(token(elsewhere)), at=morning.starts_at)

    assert outcome.result == ScanResult.UNKNOWN_CODE


def test_a_ticket_of_another_event_is_not_registered_and_shows_no_name(day):
    event, morning, _afternoon, _registration = day
    other = open_event(title="焊工培训班")
    elsewhere = register(other)

    outcome = scan(event, token(elsewhere), at=morning.starts_at)

    assert outcome.result == ScanResult.NOT_REGISTERED
    assert outcome.name == ""
    assert "焊工培训班" in outcome.message
    assert outcome.scan.registration is None
    assert not CheckIn.objects.exists()


@pytest.mark.parametrize("code", ["A" * 26, "AAAA-BBBB-CC", "", "not a code at all"])
def test_anything_else_is_an_unknown_code(day, code):
    event, morning, _afternoon, _registration = day

    outcome = scan(event, code, at=morning.starts_at)

    assert outcome.result == ScanResult.UNKNOWN_CODE
    assert outcome.scan.result == ScanResult.UNKNOWN_CODE


def test_waitlisted_and_cancelled_registrations_are_refused():
    event, morning, _afternoon = class_with_two_sessions(capacity=1)
    holder = register(event)
    waiting = services.register(event_id=event.pk, worker_id=make_worker().pk, channel="self")
    assert waiting.registration.status == RegistrationStatus.WAITLISTED
    services.cancel_registration(registration_id=holder.pk)
    holder.refresh_from_db()

    cancelled = scan(event, token(holder), at=morning.starts_at)

    assert cancelled.result == ScanResult.CANCELLED
    # The cancellation promoted the waiting person: make a new waiting one.
    late = services.register(event_id=event.pk, worker_id=make_worker().pk, channel="self")
    waitlisted = scan(event, token(late.registration), at=morning.starts_at)
    assert waitlisted.result == ScanResult.WAITLISTED
    assert not CheckIn.objects.exists()


def test_sign_out_is_its_own_direction(day):
    event, morning, _afternoon, registration = day
    scan(event, token(registration), at=morning.starts_at)

    out = scan(event, token(registration), at=morning.ends_at, direction=Direction.OUT)
    out_again = scan(event, token(registration), at=morning.ends_at, direction=Direction.OUT)

    assert out.result == ScanResult.CHECKED_OUT
    assert out.session == morning
    assert out_again.result == ScanResult.ALREADY_CHECKED_OUT
    assert CheckIn.objects.filter(direction=Direction.OUT).count() == 1


def test_a_registration_picked_from_the_search_checks_in(day):
    event, morning, _afternoon, registration = day

    outcome = services.check_in(
        registration_id=registration.pk, event_id=event.pk, nonce=nonce(), now=morning.starts_at
    )

    assert outcome.result == ScanResult.CHECKED_IN


def test_bad_requests_raise_and_log_nothing(day):
    event, morning, _afternoon, registration = day
    for bad in ({"nonce": "short"}, {"nonce": "x" * 65}, {"direction": "sideways"}):
        arguments = {"nonce": nonce(), **bad}
        with pytest.raises(BadScan):
            scan(event, token(registration), at=morning.starts_at, **arguments)
    assert not ScanLog.objects.exists()


# Sessions ----------------------------------------------------------------------------------------


def test_the_session_comes_from_the_clock_with_its_window_edges(day):
    event, morning, afternoon, registration = day
    rules = selectors.attendance_rules(event=event)
    opens = morning.starts_at - rules.opens_before
    closes = afternoon.ends_at + rules.closes_after
    second = datetime.timedelta(seconds=1)

    too_early = scan(event, token(registration), at=opens - second)
    at_opening = scan(event, token(registration), at=opens)
    after_close = scan(event, token(registration), at=closes + second)
    at_close = scan(event, token(registration), at=closes, direction=Direction.OUT)

    assert too_early.result == ScanResult.WRONG_SESSION
    assert too_early.detail == "closed" and too_early.message
    assert (at_opening.result, at_opening.session) == (ScanResult.CHECKED_IN, morning)
    assert after_close.result == ScanResult.WRONG_SESSION
    assert (at_close.result, at_close.session) == (ScanResult.CHECKED_OUT, afternoon)


def test_between_sessions_nothing_is_open_and_the_afternoon_opens_on_time(day):
    event, morning, afternoon, registration = day
    rules = selectors.attendance_rules(event=event)
    assert morning.ends_at + rules.closes_after < afternoon.starts_at - rules.opens_before
    lunch = morning.ends_at + rules.closes_after + datetime.timedelta(seconds=1)

    outcome = scan(event, token(registration), at=lunch)
    afternoon_scan = scan(event, token(registration), at=afternoon.starts_at - rules.opens_before)

    assert outcome.result == ScanResult.WRONG_SESSION
    assert afternoon_scan.session == afternoon


def test_overlapping_windows_sign_in_to_the_closest_start_and_out_of_the_closest_end():
    event, morning, _afternoon = class_with_two_sessions()
    noon = SessionFactory(
        event=event,
        title="午间",
        starts_at=morning.ends_at,
        ends_at=morning.ends_at + datetime.timedelta(hours=1),
    )
    registration = register(event)
    before_noon = morning.ends_at - datetime.timedelta(minutes=5)

    sign_in = scan(event, token(registration), at=before_noon)
    sign_out = scan(event, token(registration), at=before_noon, direction=Direction.OUT)

    assert sign_in.session == noon
    assert sign_out.session == morning


def test_a_chosen_session_is_used_as_given_but_not_one_of_another_event(day):
    event, _morning, afternoon, registration = day
    other_session = SessionFactory()

    yesterday = afternoon.starts_at - datetime.timedelta(days=1)
    chosen = scan(event, token(registration), at=yesterday, session_id=afternoon.pk)
    foreign = scan(event, token(registration), at=afternoon.starts_at, session_id=other_session.pk)

    assert (chosen.result, chosen.session) == (ScanResult.CHECKED_IN, afternoon)
    assert foreign.result == ScanResult.WRONG_SESSION
    assert foreign.detail == "other_event"


def test_the_client_clock_counts_unless_it_is_ahead_of_the_server(day):
    event, morning, _afternoon, registration = day
    now = morning.starts_at + datetime.timedelta(minutes=30)
    queued = morning.starts_at - datetime.timedelta(minutes=3)

    offline = scan(event, token(registration), at=now, scanned_at=queued)
    ahead = scan(
        event,
        token(registration),
        at=now,
        scanned_at=now + datetime.timedelta(hours=2),
        direction=Direction.OUT,
    )

    assert offline.checkin.scanned_at == queued
    assert ahead.checkin.scanned_at == now


# Nonces ------------------------------------------------------------------------------------------


def test_a_retried_nonce_returns_the_first_answer_and_writes_nothing(day):
    event, morning, _afternoon, registration = day
    key = nonce()

    first = scan(event, token(registration), at=morning.starts_at, nonce=key)
    retry = scan(event, token(registration), at=morning.starts_at, nonce=key)

    assert retry.replayed
    assert retry.result == first.result == ScanResult.CHECKED_IN
    assert retry.scan.pk == first.scan.pk
    assert retry.checkin.pk == first.checkin.pk
    assert retry.undo_until == first.undo_until
    assert CheckIn.objects.count() == 1
    assert ScanLog.objects.count() == 1


def test_a_retried_nonce_of_a_refusal_is_still_the_refusal(day):
    event, morning, _afternoon, _registration = day
    key = nonce()

    first = scan(event, "A" * 26, at=morning.starts_at, nonce=key)
    retry = scan(event, "A" * 26, at=morning.starts_at, nonce=key)

    assert first.result == retry.result == ScanResult.UNKNOWN_CODE
    assert ScanLog.objects.count() == 1


def test_a_nonce_of_another_event_is_refused(day):
    event, morning, _afternoon, registration = day
    key = nonce()
    scan(event, token(registration), at=morning.starts_at, nonce=key)
    other = open_event()

    with pytest.raises(BadScan):
        scan(other, token(registration), at=morning.starts_at, nonce=key)


# Undo --------------------------------------------------------------------------------------------


def test_undo_works_once_and_the_ticket_can_be_scanned_again(day, superuser):
    event, morning, _afternoon, registration = day
    at = morning.starts_at
    first = scan(event, token(registration), at=at)

    undone = services.undo_check_in(scan_log_id=first.scan.pk, by=superuser, now=at)
    twice = services.undo_check_in(scan_log_id=first.scan.pk, by=superuser, now=at)
    again = scan(event, token(registration), at=at + datetime.timedelta(minutes=1))

    assert (undone.status, twice.status) == ("undone", "refused")
    assert twice.code == "already_undone"
    assert twice.message
    checkin = CheckIn.objects.get(pk=first.checkin.pk)
    assert checkin.undone_at == at
    assert checkin.undone_by == superuser
    log = ScanLog.objects.get(result=ScanResult.UNDONE)
    assert log.checkin_id == checkin.pk
    assert log.client_nonce not in (first.scan.client_nonce,)
    assert again.result == ScanResult.CHECKED_IN
    assert again.checkin.pk != first.checkin.pk


@pytest.mark.parametrize(
    ("after", "status"),
    [
        (datetime.timedelta(minutes=15) - datetime.timedelta(seconds=1), "undone"),
        (datetime.timedelta(minutes=15), "undone"),
        (datetime.timedelta(minutes=15, seconds=1), "refused"),
    ],
)
def test_undo_only_within_15_minutes(day, after, status):
    event, morning, _afternoon, registration = day
    first = scan(event, token(registration), at=morning.starts_at)

    outcome = services.undo_check_in(scan_log_id=first.scan.pk, now=morning.starts_at + after)

    assert outcome.status == status
    assert first.undo_until == morning.starts_at + datetime.timedelta(minutes=15)
    if status == "refused":
        assert outcome.code == "too_late"
        assert CheckIn.objects.get().undone_at is None


def test_a_refused_scan_has_nothing_to_undo(day):
    event, morning, _afternoon, registration = day
    scan(event, token(registration), at=morning.starts_at)
    repeat = scan(event, token(registration), at=morning.starts_at)

    outcome = services.undo_check_in(scan_log_id=repeat.scan.pk, now=morning.starts_at)

    assert repeat.undo_until is None
    assert outcome.code == "not_a_checkin"
    assert CheckIn.objects.get().undone_at is None, "the first check-in is untouched"


def test_undo_by_checkin_id(day):
    event, morning, _afternoon, registration = day
    first = scan(event, token(registration), at=morning.starts_at)

    outcome = services.undo_check_in(checkin_id=first.checkin.pk, now=morning.starts_at)

    assert outcome.undone


# Walk-ins ----------------------------------------------------------------------------------------


def test_a_walk_in_at_a_fair_is_recorded_registered_and_signed_in(superuser):
    event = fair_today()
    phone = mobile()

    outcome = services.register_walk_in(
        event_id=event.pk, name="黄小燕", phone=phone, user=superuser, gate="南门", nonce=nonce()
    )

    assert outcome.result == ScanResult.CHECKED_IN
    assert outcome.name == "黄*燕"
    worker = Worker.objects.get(phone=phone)
    assert worker.provenance == Provenance.WALK_IN
    assert worker.created_by == superuser
    consent = Consent.objects.get(worker=worker)
    assert consent.method == ConsentMethod.VERBAL
    registration = Registration.objects.get(worker=worker)
    assert registration.channel == RegistrationChannel.WALK_IN
    assert registration.status == RegistrationStatus.CONFIRMED
    assert outcome.checkin.gate == "南门"
    counters = selectors.live_counters(event_id=event.pk, session_id=outcome.session.pk)
    assert (counters.checked_in, counters.walk_ins) == (1, 1)


def test_a_walk_in_with_a_known_phone_is_the_same_worker(superuser):
    event = fair_today()
    known = make_worker(name="李四")

    outcome = services.register_walk_in(
        event_id=event.pk, name="李 四", phone=known.phone, user=superuser, nonce=nonce()
    )

    assert outcome.registration.worker == known
    assert Worker.objects.count() == 1


def test_a_retried_walk_in_creates_nothing_new(superuser):
    event = fair_today()
    key, phone = nonce(), mobile()

    first = services.register_walk_in(
        event_id=event.pk, name="黄小燕", phone=phone, user=superuser, nonce=key
    )
    retry = services.register_walk_in(
        event_id=event.pk, name="黄小燕", phone=phone, user=superuser, nonce=key
    )

    assert retry.replayed and retry.scan.pk == first.scan.pk
    assert Worker.objects.count() == Registration.objects.count() == CheckIn.objects.count() == 1


def test_a_walk_in_who_later_signs_in_by_sms_becomes_one_record(superuser):
    event = fair_today()
    phone = mobile()
    services.register_walk_in(
        event_id=event.pk, name="黄小燕", phone=phone, user=superuser, nonce=nonce()
    )

    user = signin.user_for_phone(phone=phone)

    worker = Worker.objects.get(phone=phone)
    assert worker.user == user
    assert Worker.objects.count() == 1
    assert Registration.objects.get().worker.user == user


def test_a_walk_in_links_also_when_the_sms_sign_in_began_first(superuser, django_user_model):
    event = fair_today()
    phone = mobile()
    account = django_user_model.objects.create_user(username=signin.username_for_phone(phone))
    services.register_walk_in(
        event_id=event.pk, name="黄小燕", phone=phone, user=superuser, nonce=nonce()
    )

    linked = signin.link_existing_worker(user=account, phone=phone)

    assert linked == Worker.objects.get(phone=phone)


def test_walk_ins_refuse_bad_phones_and_id_numbers(superuser):
    event = fair_today()
    with pytest.raises(ValidationError):
        services.register_walk_in(
            event_id=event.pk, name="黄小燕", phone="12345", user=superuser, nonce=nonce()
        )
    with pytest.raises(ValidationError):
        services.register_walk_in(
            event_id=event.pk,
            name="黄小燕",
            phone=mobile(),
            id_number="450100199001011234",
            user=superuser,
            nonce=nonce(),
        )
    assert not Worker.objects.exists()
    assert not ScanLog.objects.exists()


def test_a_training_class_keeps_its_registration_window_for_walk_ins(superuser):
    now = timezone.now()
    event = EventFactory(
        training=True,
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=5),
        registration_closes_at=now - datetime.timedelta(days=1),
    )
    assert event.kind == EventKind.TRAINING

    with pytest.raises(services.RegistrationRefused) as refused:
        services.register_walk_in(
            event_id=event.pk, name="黄小燕", phone=mobile(), user=superuser, nonce=nonce()
        )
    assert refused.value.code == "closed"


def test_a_full_fair_puts_a_walk_in_on_its_waiting_list(superuser):
    event = fair_today(capacity=1)
    first = services.register_walk_in(
        event_id=event.pk, name="李四", phone=mobile(), user=superuser, nonce=nonce()
    )
    assert first.result == ScanResult.CHECKED_IN

    outcome = services.register_walk_in(
        event_id=event.pk, name="黄小燕", phone=mobile(), user=superuser, nonce=nonce()
    )

    assert outcome.result == ScanResult.WAITLISTED
    assert CheckIn.objects.count() == 1, "only the first walk-in's"


# Devices -----------------------------------------------------------------------------------------


def test_a_device_token_is_shown_once_and_only_its_hash_is_kept(superuser):
    event = open_event()

    device, secret = services.create_scanner_device(
        event_id=event.pk, label="东门1号", by=superuser
    )

    assert len(secret) == 32 and secret.isupper()
    stored = ScannerDevice.objects.get()
    assert secret not in stored.token_hash
    assert services.authenticate_device(token=secret) == device
    assert services.authenticate_device(token=secret + "X") is None
    assert services.revoke_scanner_device(device_id=device.pk)
    assert services.authenticate_device(token=secret) is None
    assert not services.revoke_scanner_device(device_id=device.pk), "revoking twice is a no-op"


def test_a_device_notes_when_it_was_last_used_at_most_once_a_minute():
    event = open_event()
    device, secret = services.create_scanner_device(event_id=event.pk, label="东门", by=None)
    start = timezone.now()

    services.authenticate_device(token=secret, now=start)
    services.authenticate_device(token=secret, now=start + datetime.timedelta(seconds=30))
    device.refresh_from_db()
    assert device.last_used_at == start
    services.authenticate_device(token=secret, now=start + datetime.timedelta(seconds=61))
    device.refresh_from_db()
    assert device.last_used_at == start + datetime.timedelta(seconds=61)
