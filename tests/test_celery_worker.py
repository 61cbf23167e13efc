"""A real Celery worker, on Redis, runs the scheduled-publishing task end to end."""

import datetime

import pytest
from celery.contrib.testing.worker import start_worker
from django.utils import timezone

from cms.tasks import publish_scheduled
from config.celery import app
from events.models import Event
from tests.factories import EventFactory
from tests.support.waiting import wait_until

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


def test_worker_publishes_a_scheduled_event(redis_broker):
    event = EventFactory(live=False)
    revision = event.save_revision()
    revision.approved_go_live_at = timezone.now() - datetime.timedelta(minutes=1)
    revision.save(update_fields=["approved_go_live_at"])

    with start_worker(app, perform_ping_check=False, shutdown_timeout=10):
        publish_scheduled.delay()
        published = wait_until(lambda: Event.objects.get(pk=event.pk).live, seconds=30)

    assert published, "the worker did not publish the event within 30 s"
