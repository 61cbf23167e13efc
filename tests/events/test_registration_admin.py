"""Organisers in the Wagtail admin: the registration listing and the cancel and restore actions."""

import datetime

import pytest
from django.contrib.auth.models import Group
from django.urls import NoReverseMatch, reverse

from events import services
from events.models import Registration, RegistrationStatus
from tests.factories import make_worker, open_event
from trainees import crypto
from trainees.models import OutboundMessage

pytestmark = pytest.mark.django_db

INDEX = "registrations:index"


@pytest.fixture
def organiser(django_user_model):
    user = django_user_model.objects.create_user(username="organiser", password="password")
    user.groups.add(Group.objects.get(name="Organisers"))
    return user


@pytest.fixture
def organiser_client(client, organiser):
    client.force_login(organiser)
    return client


@pytest.fixture
def full_event():
    """One seat: 王小明 has it, 李四 waits."""
    event = open_event(capacity=1, title="家政服务员培训班")
    holder = make_worker(name="王小明", birth_date=datetime.date(1990, 5, 17))
    waiting = make_worker(name="李四")
    first = services.register(event_id=event.pk, worker_id=holder.pk, channel="self")
    second = services.register(event_id=event.pk, worker_id=waiting.pk, channel="self")
    return event, first.registration, second.registration


def test_the_organisers_group_has_only_what_it_needs():
    group = Group.objects.get(name="Organisers")
    codenames = set(group.permissions.values_list("content_type__app_label", "codename"))
    assert codenames == {
        ("events", "view_registration"),
        ("events", "change_registration"),
        ("events", "add_scannerdevice"),
        ("events", "change_scannerdevice"),
        ("events", "view_scannerdevice"),
        ("events", "view_scanlog"),
        ("events", "view_checkin"),
        ("wagtailadmin", "access_admin"),
    }
    for name in ("Editors", "Moderators"):
        assert (
            not Group.objects.get(name=name)
            .permissions.filter(codename__endswith="_registration")
            .exists()
        )


def test_the_listing_shows_masked_names_and_phones_only(organiser_client, full_event):
    _event, holder, _waiting = full_event
    worker = holder.worker
    response = organiser_client.get(reverse(INDEX))
    assert response.status_code == 200
    page = response.content.decode()
    assert "王*" in page and worker.masked_phone in page
    assert "王小明" not in page
    assert worker.phone not in page
    assert crypto.decrypt(worker.id_number_encrypted) not in page
    assert worker.id_number_masked not in page


def test_filters_and_search(organiser_client, full_event):
    event, holder, waiting = full_event
    other = open_event(title="育婴员培训班")
    services.register(event_id=other.pk, worker_id=make_worker(name="赵六").pk, channel="self")

    def rows(**params):
        response = organiser_client.get(reverse(INDEX), params)
        return {registration.pk for registration in response.context["object_list"]}

    assert rows(event=event.pk) == {holder.pk, waiting.pk}
    assert rows(event=event.pk, status="waitlisted") == {waiting.pk}
    assert rows(channel="coordinator") == set()
    assert rows(q="李四") == {waiting.pk}


def test_cancel_asks_first_then_promotes_and_tells_the_worker(
    organiser_client, organiser, full_event
):
    event, holder, waiting = full_event
    url = reverse("registrations:cancel", args=[holder.pk])
    back = f"{reverse(INDEX)}?event={event.pk}"

    assert organiser_client.get(url, {"next": back}).status_code == 200
    assert Registration.objects.get(pk=holder.pk).status == RegistrationStatus.CONFIRMED

    response = organiser_client.post(url, {"next": back, "reason": "本人电话取消"})

    assert response.status_code == 302 and response.url == back
    holder.refresh_from_db()
    assert holder.status == RegistrationStatus.CANCELLED
    assert (holder.cancelled_by, holder.cancel_reason) == (organiser, "本人电话取消")
    assert Registration.objects.get(pk=waiting.pk).status == RegistrationStatus.CONFIRMED
    assert OutboundMessage.objects.filter(kind="reg-cancel", phone=holder.worker.phone).exists()
    assert OutboundMessage.objects.filter(kind="reg-promote", phone=waiting.worker.phone).exists()


def test_restore_puts_the_registration_back(organiser_client, organiser, full_event):
    _event, holder, waiting = full_event
    services.cancel_registration(registration_id=holder.pk, by_user=organiser)

    response = organiser_client.post(reverse("registrations:restore", args=[holder.pk]))

    assert response.status_code == 302
    holder.refresh_from_db()
    # 李四 was promoted into the freed seat, so 王小明 goes to the waiting list.
    assert holder.status == RegistrationStatus.WAITLISTED
    assert Registration.objects.get(pk=waiting.pk).status == RegistrationStatus.CONFIRMED


def test_foreign_redirects_are_ignored(organiser_client, full_event):
    _event, holder, _waiting = full_event
    url = reverse("registrations:cancel", args=[holder.pk])
    response = organiser_client.post(url, {"next": "https://evil.example.com/"})
    assert response.url == reverse(INDEX)


def test_registrations_are_not_edited_added_or_deleted_through_forms():
    for name, args in [
        ("registrations:add", []),
        ("registrations:edit", [1]),
        ("registrations:delete", [1]),
    ]:
        with pytest.raises(NoReverseMatch):
            reverse(name, args=args)


def test_editors_cannot_see_or_change_registrations(editor_client, full_event):
    _event, holder, _waiting = full_event
    assert editor_client.get(reverse(INDEX)).status_code in (302, 403)
    response = editor_client.post(reverse("registrations:cancel", args=[holder.pk]))
    assert response.status_code in (302, 403)
    assert Registration.objects.get(pk=holder.pk).status == RegistrationStatus.CONFIRMED
