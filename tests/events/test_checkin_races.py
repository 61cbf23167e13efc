"""Check-in races on whatever DATABASE_URL names (make test runs PostgreSQL and a SQLite file):
threads released together by a Barrier, each on its own connection (run_together from the
registration races)."""

import datetime
from collections import Counter

import pytest
from django.utils import timezone

from events import services
from events.models import CheckIn, ScanLog, ScanResult
from tests.factories import open_event
from tests.support.races import run_together
from tests.support.scenarios import fair_today, mobile, nonce, register, token
from trainees.models import Worker

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


@pytest.fixture
def ticket():
    event = open_event(capacity=10)
    registration = register(event)
    at = event.sessions.get().starts_at
    return event, registration, at


def test_one_code_scanned_by_8_devices_at_once_checks_in_once(ticket):
    event, registration, at = ticket
    devices = [
        services.create_scanner_device(event_id=event.pk, label=f"门{n}", by=None)[0]
        for n in range(8)
    ]
    tasks = [
        (
            lambda device=device: services.check_in(
                code=token(registration),
                event_id=event.pk,
                gate=device.label,
                nonce=nonce(),
                device=device,
                now=at,
            )
        )
        for device in devices
    ]

    results, errors = run_together(tasks, threads=8)

    assert errors == []
    assert Counter(outcome.result for outcome in results) == {
        ScanResult.CHECKED_IN: 1,
        ScanResult.ALREADY_CHECKED_IN: 7,
    }
    winner = CheckIn.objects.get()
    assert {outcome.checkin.pk for outcome in results} == {winner.pk}
    assert all(outcome.checkin.gate == winner.gate for outcome in results)
    assert ScanLog.objects.count() == 8
    assert ScanLog.objects.filter(result=ScanResult.CHECKED_IN).get().device == winner.device


def test_one_request_sent_8_times_at_once_has_one_answer(ticket):
    event, registration, at = ticket
    key = nonce()
    tasks = [
        lambda: services.check_in(code=token(registration), event_id=event.pk, nonce=key, now=at)
    ] * 8

    results, errors = run_together(tasks, threads=8)

    assert errors == []
    assert {outcome.result for outcome in results} == {ScanResult.CHECKED_IN}
    assert len({outcome.scan.pk for outcome in results}) == 1
    assert CheckIn.objects.count() == 1
    assert ScanLog.objects.count() == 1


def test_two_undos_at_once_undo_once(ticket):
    event, registration, at = ticket
    outcome = services.check_in(code=token(registration), event_id=event.pk, nonce=nonce(), now=at)
    tasks = [lambda: services.undo_check_in(scan_log_id=outcome.scan.pk, now=at)] * 6

    results, errors = run_together(tasks, threads=6)

    assert errors == []
    assert Counter(result.status for result in results) == {"undone": 1, "refused": 5}
    assert ScanLog.objects.filter(result=ScanResult.UNDONE).count() == 1


def test_the_same_walk_in_at_two_gates_at_once_is_one_worker(superuser):
    event = fair_today()
    phone = mobile()
    tasks = [
        (
            lambda gate=gate: services.register_walk_in(
                event_id=event.pk,
                name="黄小燕",
                phone=phone,
                user=superuser,
                gate=gate,
                nonce=nonce(),
                now=timezone.now(),
            )
        )
        for gate in ("东门", "西门", "南门", "北门")
    ]

    results, errors = run_together(tasks, threads=4)

    assert errors == []
    assert Worker.objects.filter(phone=phone).count() == 1
    assert Counter(outcome.result for outcome in results) == {
        ScanResult.CHECKED_IN: 1,
        ScanResult.ALREADY_CHECKED_IN: 3,
    }
    assert event.registrations.count() == 1
    assert (timezone.now() - results[0].checkin.scanned_at) < datetime.timedelta(minutes=1)
