"""A worker's own data download includes their registrations (events plugs into trainees)."""

import pytest

from events.models import RegistrationChannel
from events.services import register
from tests.factories import make_worker, open_event
from trainees.services.profile import export_worker_data

pytestmark = pytest.mark.django_db


def test_the_download_lists_the_workers_registrations(django_user_model):
    worker = make_worker()
    event = open_event(title="电焊工技能培训班第9期")
    register(event_id=event.pk, worker_id=worker.pk, channel=RegistrationChannel.SELF)
    actor = django_user_model.objects.create_user(username="w13800138000")

    data = export_worker_data(worker=worker, actor=actor)

    assert [row["event"] for row in data["registrations"]] == ["电焊工技能培训班第9期"]
