"""A scan of a valid QR code on PostgreSQL is one prepared statement (events.services, "Statements
on PostgreSQL"); on SQLite the same scan takes the general path. The rest of the check-in suite
runs on both databases and so checks both paths give the same answers; here, what the statement
writes and what it costs."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events import selectors, services
from events.models import CheckIn, ScanLog, ScanResult
from tests.support.scenarios import class_with_two_sessions, nonce, register, scan, token

pytestmark = pytest.mark.django_db

ON_POSTGRESQL = connection.vendor == "postgresql"


@pytest.fixture
def gate():
    """A confirmed trainee at the morning session, a paired device, and the session cache warm
    (as at a gate, where it is read every few seconds)."""
    event, morning, _afternoon = class_with_two_sessions()
    registration = register(event)
    device, _token = services.create_scanner_device(event_id=event.pk, label="东门", by=None)
    selectors.scan_setup(event_id=event.pk)
    return event, morning, registration, device


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_sign_in_and_a_repeat_are_one_statement_each_on_postgresql(gate):
    """In autocommit, as in a request (inside a transaction a savepoint wraps the statement).
    On SQLite the general path runs: the ticket is read, then BEGIN, the check-in and its log,
    COMMIT; a repeat's check-in is refused and rolled back, then the nonce and the first
    check-in are read and the scan is logged in a second transaction."""
    event, morning, registration, device = gate

    with CaptureQueriesContext(connection) as first_queries:
        first = scan(event, token(registration), at=morning.starts_at, device=device, gate="东门")
    with CaptureQueriesContext(connection) as repeat_queries:
        repeat = scan(event, token(registration), at=morning.starts_at, device=device, gate="西门")

    assert (first.result, repeat.result) == (ScanResult.CHECKED_IN, ScanResult.ALREADY_CHECKED_IN)
    if ON_POSTGRESQL:
        assert len(first_queries) == len(repeat_queries) == 1
        # Logged as written, although psycopg keeps no text of a prepared statement.
        assert "INSERT INTO events_checkin" in first_queries[0]["sql"]
    else:
        assert (len(first_queries), len(repeat_queries)) == (5, 9)


def test_the_answer_is_what_was_written(gate):
    event, morning, registration, device = gate

    first = scan(event, token(registration), at=morning.starts_at, device=device, gate="东门")
    repeat = scan(event, token(registration), at=morning.starts_at, device=device, gate="西门")

    checkin = CheckIn.objects.get()
    assert first.checkin.pk == repeat.checkin.pk == checkin.pk
    for outcome in (first, repeat):
        assert outcome.checkin.scanned_at == checkin.scanned_at
        assert outcome.checkin.received_at == checkin.received_at
        assert (outcome.checkin.gate, outcome.checkin.undone_at) == ("东门", None)
        assert outcome.registration == registration
        assert outcome.name == registration.worker.masked_name
        assert outcome.session == morning
        stored = ScanLog.objects.get(pk=outcome.scan.pk)
        for field in ScanLog._meta.concrete_fields:
            assert getattr(outcome.scan, field.attname) == getattr(stored, field.attname), field
    assert (checkin.device, checkin.session, checkin.registration) == (
        device,
        morning,
        registration,
    )
    assert first.undo_until == services.undo_deadline(checkin)
    assert repeat.undo_until is None
    assert ScanLog.objects.filter(checkin=checkin).count() == 2


def test_a_retried_request_gets_its_first_answer_inside_a_transaction(gate):
    """The test runs in a transaction, as a scan inside a caller's transaction would: the refused
    statement must not break it."""
    event, morning, registration, device = gate
    key = nonce()

    first = services.check_in(
        code=token(registration), event_id=event.pk, nonce=key, device=device, now=morning.starts_at
    )
    retry = services.check_in(
        code=token(registration), event_id=event.pk, nonce=key, device=device, now=morning.starts_at
    )

    assert retry.replayed and retry.scan.pk == first.scan.pk
    assert retry.result == ScanResult.CHECKED_IN
    assert (CheckIn.objects.count(), ScanLog.objects.count()) == (1, 1)
