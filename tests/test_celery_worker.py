"""A real Celery worker, on Redis, runs the scheduled-publishing task end to end."""

import datetime
import time

import pytest
import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings
from django.utils import timezone

from cms.tasks import publish_scheduled
from config.celery import app
from events.models import Event
from tests.factories import EventFactory

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]


@pytest.fixture
def redis_broker():
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        pytest.skip(f"Redis is not reachable at {settings.CELERY_BROKER_URL}: {error}")
    client.flushdb()
    yield
    client.flushdb()


def wait_until(predicate, *, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if predicate():
            return True
        time.sleep(0.2)
    return predicate()


def test_worker_publishes_a_scheduled_event(redis_broker):
    event = EventFactory(live=False)
    revision = event.save_revision()
    revision.approved_go_live_at = timezone.now() - datetime.timedelta(minutes=1)
    revision.save(update_fields=["approved_go_live_at"])

    with start_worker(app, perform_ping_check=False, shutdown_timeout=10):
        publish_scheduled.delay()
        published = wait_until(lambda: Event.objects.get(pk=event.pk).live, seconds=30)

    assert published, "the worker did not publish the event within 30 s"
