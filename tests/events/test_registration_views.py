"""Worker pages under /my/ and the registration block on the event page, through the test client."""

import datetime
import io
import re

import pytest
import zxingcpp
from django.contrib.auth.models import AnonymousUser
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from events import services, tickets
from events.models import Registration, RegistrationStatus
from events.templatetags.registration_tags import registration_state
from tests.factories import EventFactory, make_worker, open_event, village
from trainees import crypto
from trainees.models import Coordinator

pytestmark = pytest.mark.django_db


@pytest.fixture
def worker_user(django_user_model):
    user = django_user_model.objects.create_user(username="13900000001")
    make_worker(name="王小明", user=user, birth_date=datetime.date(1990, 5, 17))
    return user


@pytest.fixture
def worker_client(client, worker_user):
    client.force_login(worker_user)
    return client


def register_url(event) -> str:
    return reverse("events:register", args=[event.pk])


def html(response) -> str:
    return response.content.decode()


# Who may register --------------------------------------------------------------------------------


@pytest.mark.parametrize("method", ["get", "post"])
def test_visitors_are_sent_to_sign_in_and_back(client, method):
    event = open_event()
    response = getattr(client, method)(register_url(event))
    assert response.status_code == 302
    assert response.url == f"{reverse('trainees:signin')}?next={register_url(event)}"
    assert not Registration.objects.exists()


def test_accounts_without_a_worker_profile_are_sent_to_the_profile(client, django_user_model):
    client.force_login(django_user_model.objects.create_user(username="staff"))
    event = open_event()
    response = client.post(register_url(event))
    assert response.status_code == 302
    assert response.url == f"{reverse('trainees:profile')}?next={register_url(event)}"


def test_registering_redirects_to_the_ticket(worker_client, worker_user):
    event = open_event()
    response = worker_client.post(register_url(event), follow=True)
    registration = Registration.objects.get()
    assert registration.worker == worker_user.worker
    assert registration.created_by == worker_user
    assert registration.status == RegistrationStatus.CONFIRMED
    assert response.redirect_chain[-1][0].endswith(f"#registration-{registration.pk}")
    page = html(response)
    assert "✓" in page
    assert reverse("events:registration_qr", args=[registration.pk]) in page


def test_the_confirmation_page_offers_the_button(worker_client):
    event = open_event()
    response = worker_client.get(register_url(event))
    assert response.status_code == 200
    assert 'method="post"' in html(response)
    assert event.title in html(response)


def test_a_refusal_says_why(worker_client):
    event = open_event(max_age=25)  # 王小明 was born in 1990
    response = worker_client.post(register_url(event))
    assert response.status_code == 200
    assert 'role="alert"' in html(response)
    assert not Registration.objects.exists()


def test_drafts_cannot_be_registered_for(worker_client):
    assert worker_client.get(register_url(open_event(live=False))).status_code == 404


def test_register_does_not_answer_other_methods(worker_client):
    assert worker_client.put(register_url(open_event())).status_code == 405


# My registrations --------------------------------------------------------------------------------


def test_my_registrations_shows_status_place_time_calendar_and_position(worker_client, worker_user):
    full = open_event(capacity=1, title="叉车司机培训班")
    services.register(event_id=full.pk, worker_id=make_worker().pk, channel="self")
    waiting = services.register(event_id=full.pk, worker_id=worker_user.worker.pk, channel="self")
    fair = EventFactory(capacity=None, title="春风行动大型招聘会", venue="南宁国际会展中心")
    confirmed = services.register(event_id=fair.pk, worker_id=worker_user.worker.pk, channel="self")

    page = html(worker_client.get(reverse("events:my_registrations")))

    assert "叉车司机培训班" in page and "春风行动大型招聘会" in page
    assert "南宁国际会展中心" in page
    assert f"/events/{fair.pk}/calendar/" in page
    assert reverse("events:registration_qr", args=[confirmed.registration.pk]) in page
    assert reverse("events:registration_qr", args=[waiting.registration.pk]) not in page
    assert reverse("events:ticket_png", args=[confirmed.registration.pk]) in page
    assert reverse("events:ticket_pdf", args=[confirmed.registration.pk]) in page
    assert reverse("events:cancel_registration", args=[waiting.registration.pk]) in page
    assert "▲" in page  # waiting: a symbol as well as the colour
    assert f"{timezone.localtime(fair.starts_at):%Y-%m-%d %H:%M}" in page


def test_my_registrations_lists_only_my_own(worker_client):
    event = open_event()
    services.register(event_id=event.pk, worker_id=make_worker().pk, channel="self")
    page = html(worker_client.get(reverse("events:my_registrations")))
    assert event.title not in page


def test_cancelling_asks_first_then_frees_the_seat(worker_client, worker_user):
    event = open_event(capacity=1)
    mine = services.register(event_id=event.pk, worker_id=worker_user.worker.pk, channel="self")
    waiting = services.register(event_id=event.pk, worker_id=make_worker().pk, channel="self")
    url = reverse("events:cancel_registration", args=[mine.registration.pk])

    confirm = worker_client.get(url)
    assert confirm.status_code == 200
    assert Registration.objects.get(pk=mine.registration.pk).status == "confirmed"

    response = worker_client.post(url)
    assert response.status_code == 302
    mine.registration.refresh_from_db()
    assert mine.registration.status == RegistrationStatus.CANCELLED
    assert mine.registration.cancelled_by == worker_user
    assert Registration.objects.get(pk=waiting.registration.pk).status == "confirmed"


def test_nobody_cancels_someone_elses_registration(worker_client):
    event = open_event()
    other = services.register(event_id=event.pk, worker_id=make_worker().pk, channel="self")
    url = reverse("events:cancel_registration", args=[other.registration.pk])
    assert worker_client.get(url).status_code == 404
    assert worker_client.post(url).status_code == 404
    assert Registration.objects.get(pk=other.registration.pk).status == "confirmed"


# Tickets -----------------------------------------------------------------------------------------

TICKET_VIEWS = ["events:registration_qr", "events:ticket_png", "events:ticket_pdf"]


@pytest.fixture
def ticket(worker_user):
    hukou = village("450102007012")
    worker_user.worker.hukou_region = hukou
    worker_user.worker.save()
    event = open_event()
    return services.register(
        event_id=event.pk, worker_id=worker_user.worker.pk, channel="self"
    ).registration


def coordinator_for(django_user_model, *codes):
    user = django_user_model.objects.create_user(username=f"coordinator-{'-'.join(codes)}")
    coordinator = Coordinator.objects.create(user=user)
    coordinator.regions.set([village(code) for code in codes])
    return user


def fetch(client, user, name, registration):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(reverse(name, args=[registration.pk]))


@pytest.mark.parametrize("name", TICKET_VIEWS)
def test_the_worker_coordinator_and_superuser_see_the_ticket(
    client, django_user_model, superuser, worker_user, ticket, name
):
    township = coordinator_for(django_user_model, "450102007000")
    village = coordinator_for(django_user_model, "450102007012")
    for user in (worker_user, township, village, superuser):
        response = fetch(client, user, name, ticket)
        assert response.status_code == 200, user
        assert "private" in response["Cache-Control"]


@pytest.mark.parametrize("name", TICKET_VIEWS)
def test_everyone_else_gets_404(client, django_user_model, ticket, name):
    other_worker = django_user_model.objects.create_user(username="other")
    make_worker(user=other_worker)
    # Village 450102007010 without its trailing zero, 45010200701, would be a prefix of the
    # worker's village 450102007012: regions cover by level (all 12 digits for a village).
    elsewhere = coordinator_for(django_user_model, "450102007010", "450102008000")
    staff = django_user_model.objects.create_user(username="staff", is_staff=True)
    for user in (None, other_worker, elsewhere, staff):
        assert fetch(client, user, name, ticket).status_code == 404, user


@pytest.mark.parametrize("status", ["waitlisted", "cancelled"])
def test_only_confirmed_registrations_have_a_ticket(worker_client, ticket, status):
    Registration.objects.filter(pk=ticket.pk).update(status=status)
    for name in TICKET_VIEWS:
        assert worker_client.get(reverse(name, args=[ticket.pk])).status_code == 404


def test_the_downloads_are_attachments_that_scan(worker_client, ticket):
    token = tickets.ticket_token(ticket)
    png = worker_client.get(reverse("events:ticket_png", args=[ticket.pk]))
    assert png["Content-Type"] == "image/png"
    assert png["Content-Disposition"] == f'attachment; filename="ticket-{ticket.pk}.png"'
    assert zxingcpp.read_barcodes(Image.open(io.BytesIO(png.content)))[0].text == token
    pdf = worker_client.get(reverse("events:ticket_pdf", args=[ticket.pk]))
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    assert token not in reverse("events:ticket_png", args=[ticket.pk])


# The event page ----------------------------------------------------------------------------------


def test_the_event_page_invites_visitors_to_register(client):
    event = open_event()
    page = html(client.get(f"/events/{event.pk}/"))
    assert f'href="{register_url(event)}"' in page
    assert reverse("events:my_registrations") in page  # the menu link


def test_the_event_page_shows_my_registration(worker_client, worker_user):
    event = open_event(capacity=1)
    page = html(worker_client.get(f"/events/{event.pk}/"))
    assert f'action="{register_url(event)}"' in page

    services.register(event_id=event.pk, worker_id=worker_user.worker.pk, channel="self")
    page = html(worker_client.get(f"/events/{event.pk}/"))
    assert f'action="{register_url(event)}"' not in page
    assert "✓" in page


def test_the_event_page_shows_my_place_on_the_waiting_list(worker_client, worker_user):
    event = open_event(capacity=1)
    services.register(event_id=event.pk, worker_id=make_worker().pk, channel="self")
    services.register(event_id=event.pk, worker_id=make_worker().pk, channel="self")
    services.register(event_id=event.pk, worker_id=worker_user.worker.pk, channel="self")
    registration = registration_state(
        type("Request", (), {"user": worker_user})(), event
    ).registration
    assert registration.waitlist_position == 2
    page = html(worker_client.get(f"/events/{event.pk}/", HTTP_ACCEPT_LANGUAGE="en"))
    assert "▲ Waiting list, number 2" in " ".join(re.sub(r"<[^>]+>", "", page).split())


def test_a_full_event_without_waiting_list_says_so(worker_client):
    event = open_event(capacity=1, waiting_list_enabled=False)
    services.register(event_id=event.pk, worker_id=make_worker().pk, channel="self")
    page = html(worker_client.get(f"/events/{event.pk}/"))
    assert f'action="{register_url(event)}"' not in page
    assert "✕" in page


def test_the_state_costs_one_query_and_none_for_visitors(django_assert_num_queries, worker_user):
    event = open_event()
    services.register(event_id=event.pk, worker_id=worker_user.worker.pk, channel="self")
    request = type("Request", (), {"user": worker_user})()
    with django_assert_num_queries(1):
        state = registration_state(request, event)
    assert state.registration.status == "confirmed"
    with django_assert_num_queries(0):
        assert registration_state(type("Request", (), {"user": AnonymousUser()})(), event)


# Personal data -----------------------------------------------------------------------------------


def test_no_page_shows_the_full_id_number(worker_client, worker_user):
    worker = worker_user.worker
    full_id = crypto.decrypt(worker.id_number_encrypted)
    assert len(full_id) == 18
    event = open_event(capacity=1)
    other = open_event(max_age=20)
    registration = services.register(
        event_id=event.pk, worker_id=worker.pk, channel="self"
    ).registration
    pages = [
        worker_client.get(reverse("events:my_registrations")),
        worker_client.get(f"/events/{event.pk}/"),
        worker_client.get(register_url(event)),
        worker_client.post(register_url(other)),
        worker_client.get(reverse("events:cancel_registration", args=[registration.pk])),
    ]
    for response in pages:
        assert response.status_code == 200
        content = html(response)
        assert full_id not in content
        assert full_id[6:14] not in content, "not even the birth date part"
