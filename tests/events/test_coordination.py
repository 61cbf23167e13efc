"""Coordinators register workers of their villages for an event and print their tickets."""

import subprocess

import pytest
import zxingcpp
from django.urls import reverse
from PIL import Image

from events.models import Registration, RegistrationChannel, RegistrationStatus
from events.tickets import ticket_token
from tests.factories import open_event

pytestmark = pytest.mark.django_db


def test_a_coordinator_registers_workers_of_the_villages(client, coordinator, workers):
    event = open_event(capacity=10)
    client.force_login(coordinator)
    url = reverse("events_coordination_register")

    page = client.get(url)
    assert page.status_code == 200
    offered = {worker.pk for worker in page.context["form"].fields["workers"].queryset}
    assert offered == {workers["inside"].pk}, "only workers of the coordinator's villages"

    done = client.post(url, {"event": event.pk, "workers": [workers["inside"].pk]})
    assert done.status_code == 200
    registration = Registration.objects.get(event=event, worker=workers["inside"])
    assert registration.status == RegistrationStatus.CONFIRMED
    assert registration.channel == RegistrationChannel.COORDINATOR
    assert registration.created_by == coordinator


def test_a_worker_outside_the_villages_cannot_be_posted(client, coordinator, workers):
    event = open_event(capacity=10)
    client.force_login(coordinator)
    response = client.post(
        reverse("events_coordination_register"),
        {"event": event.pk, "workers": [workers["outside"].pk]},
    )
    assert response.status_code == 200
    assert "workers" in response.context["form"].errors
    assert not Registration.objects.exists()


def test_the_tickets_pdf_holds_the_ticket_of_each_registered_worker(
    client,
    coordinator,
    workers,
    tmp_path,
):
    event = open_event(capacity=10)
    client.force_login(coordinator)
    client.post(
        reverse("events_coordination_register"),
        {"event": event.pk, "workers": [workers["inside"].pk]},
    )

    response = client.get(reverse("events_coordination_tickets", args=[event.pk]))

    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    (tmp_path / "tickets.pdf").write_bytes(response.content)
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "tickets.pdf", "page"], cwd=tmp_path, check=True
    )
    pages = sorted(tmp_path.glob("page*.png"))
    decoded = [zxingcpp.read_barcodes(Image.open(page))[0].text for page in pages]
    registration = Registration.objects.get(event=event, worker=workers["inside"])
    assert decoded == [ticket_token(registration)]


def test_people_without_the_coordinator_permission_are_refused(client, django_user_model, workers):
    event = open_event(capacity=10)
    user = django_user_model.objects.create_user(username="someone", password="x")
    client.force_login(user)
    assert client.get(reverse("events_coordination_register")).status_code in {302, 403}
    assert client.get(reverse("events_coordination_tickets", args=[event.pk])).status_code in {
        302,
        403,
    }
