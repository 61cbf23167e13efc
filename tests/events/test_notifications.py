"""SMS about registrations: outbox rows written with the change, reminders, and a real Celery
worker on Redis delivering them end to end."""

import datetime
import json
import re

import pytest
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.db import transaction
from django.utils import timezone

from config.celery import app
from events import services, tickets
from events.models import Event, Registration
from events.tasks import send_event_reminders_task
from tests.factories import make_worker, open_event
from tests.support.scenarios import join
from tests.support.waiting import wait_until
from trainees.models import OutboundMessage

pytestmark = pytest.mark.django_db


def test_a_confirmation_is_queued_with_event_time_place_and_code():
    event = open_event(title="电工培训班", venue="南宁市技工学校", address="南宁市兴宁区长堽路1号")
    worker = make_worker()
    registration = join(event, worker).registration

    message = OutboundMessage.objects.get()
    assert (message.kind, message.phone, message.status) == ("reg-confirm", worker.phone, "pending")
    assert message.dedupe_key.startswith(f"reg-confirm:{registration.pk}:")
    for fact in (
        "电工培训班",
        "南宁市技工学校",
        tickets.when_text(event),
        tickets.manual_code(tickets.ticket_token(registration)),
    ):
        assert fact in message.body


def test_joining_the_waiting_list_is_queued_with_the_position():
    event = open_event(capacity=1, title="叉车司机培训班")
    join(event, make_worker())
    join(event, make_worker())
    third = make_worker()
    join(event, third)
    message = OutboundMessage.objects.get(phone=third.phone)
    assert message.kind == "reg-waitlist"
    assert "叉车司机培训班" in message.body
    assert re.findall(r"\d+", message.body) == ["2"]


def test_the_message_belongs_to_the_registration_transaction():
    event = open_event()
    with pytest.raises(RuntimeError), transaction.atomic():
        join(event, make_worker())
        assert OutboundMessage.objects.count() == 1
        raise RuntimeError("the request failed after registering")
    assert not Registration.objects.exists()
    assert not OutboundMessage.objects.exists()
    assert Event.objects.get(pk=event.pk).seats_taken == 0


@pytest.mark.parametrize("waiting", [False, True], ids=["confirmed", "waitlisted"])
def test_no_registration_without_its_message(monkeypatch, waiting):
    """The outbox fails after the registration row is written (events.services._sms calls
    queue_sms once the row has its id): the registration and its seat go with it."""
    event = open_event(capacity=1)
    earlier = join(event, make_worker()).registration if waiting else None
    calls = []

    def broken_outbox(**kwargs):
        calls.append(kwargs["kind"])
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(services, "queue_sms", broken_outbox)
    with pytest.raises(RuntimeError, match="outbox unavailable"):
        join(event, make_worker())
    assert calls == ["reg-waitlist" if waiting else "reg-confirm"]
    assert list(Registration.objects.values_list("pk", flat=True)) == (
        [earlier.pk] if waiting else []
    )
    assert OutboundMessage.objects.count() == (1 if waiting else 0)
    assert Event.objects.get(pk=event.pk).seats_taken == (1 if waiting else 0)


def test_delivery_is_handed_to_celery_only_after_commit(django_capture_on_commit_callbacks):
    event = open_event()
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        join(event, make_worker())
    assert len(callbacks) == 1


# Reminders ---------------------------------------------------------------------------------------


@pytest.fixture
def now():
    return timezone.now().replace(microsecond=0)


def confirmed_for(event, count=1):
    return [join(event, make_worker()).registration for _ in range(count)]


def test_reminders_go_to_confirmed_registrations_24_to_48_hours_ahead(now):
    soon = open_event(capacity=2, starts_at=now + datetime.timedelta(hours=30))
    due = confirmed_for(soon, 2)
    join(soon, make_worker())  # waiting: no reminder
    cancelled = confirmed_for(open_event(starts_at=now + datetime.timedelta(hours=40)))[0]
    services.cancel_registration(registration_id=cancelled.pk)
    too_soon = open_event(starts_at=now + datetime.timedelta(hours=10))
    too_late = open_event(starts_at=now + datetime.timedelta(hours=50))
    draft = open_event(starts_at=now + datetime.timedelta(hours=30))
    for event in (too_soon, too_late, draft):
        confirmed_for(event)
    Event.objects.filter(pk=draft.pk).update(live=False)

    assert services.queue_event_reminders(now=now) == 2

    reminders = OutboundMessage.objects.filter(kind="reg-remind")
    assert {message.phone for message in reminders} == {r.worker.phone for r in due}
    for registration in due:
        registration.refresh_from_db()
        assert registration.reminder_sent_at == now
    body = reminders.first().body
    assert soon.title in body and tickets.when_text(soon) in body


def test_reminders_are_sent_once(now):
    event = open_event(starts_at=now + datetime.timedelta(hours=36))
    confirmed_for(event)
    assert services.queue_event_reminders(now=now) == 1
    assert services.queue_event_reminders(now=now + datetime.timedelta(hours=1)) == 0
    assert OutboundMessage.objects.filter(kind="reg-remind").count() == 1


def test_the_reminder_task_runs_the_service_and_beat_schedules_it(now):
    confirmed_for(open_event(starts_at=timezone.now() + datetime.timedelta(hours=30)))
    assert send_event_reminders_task() == 1
    schedule = settings.CELERY_BEAT_SCHEDULE["event-reminders"]
    assert schedule["task"] == send_event_reminders_task.name
    app.loader.import_default_modules()
    assert send_event_reminders_task.name in app.tasks


# A real worker -----------------------------------------------------------------------------------


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_worker_on_redis_delivers_the_confirmation(redis_broker, settings, tmp_path):
    settings.CHUNFENG_SMS_BACKEND = "trainees.sms.FileBackend"
    settings.CHUNFENG_SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    event = open_event(title="中式烹调师培训班")
    worker = make_worker()

    with start_worker(app, perform_ping_check=False, shutdown_timeout=10):
        registration = join(event, worker).registration  # commits, then enqueues delivery
        message = OutboundMessage.objects.get(dedupe_key__startswith="reg-confirm:")
        sent = wait_until(
            lambda: OutboundMessage.objects.get(pk=message.pk).status == "sent", seconds=30
        )

    assert sent, "the worker did not deliver the confirmation within 30 s"
    lines = (tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1
    delivered = json.loads(lines[0])
    assert delivered["phone"] == worker.phone
    assert delivered["reference"] == message.dedupe_key
    assert "中式烹调师培训班" in delivered["body"]
    assert tickets.manual_code(tickets.ticket_token(registration)) in delivered["body"]
