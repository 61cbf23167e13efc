"""ID numbers: validated with real check digits, encrypted at rest, never shown in full on a
worker's page, never logged; revealed only to permitted staff, with an audit row."""

import logging

import pytest
from django.contrib.auth.models import Permission
from django.contrib.sessions.models import Session
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse

from tests.trainees.signin_helpers import (
    OTHER_PHONE,
    PHONE,
    make_id_number,
    profile_data,
    sign_in,
    wrong_check_digit,
)
from trainees import id_numbers
from trainees.models import LoginCode, OutboundMessage, PersonalDataAccess, Sex, Worker
from trainees.services.identity import reveal_id_number
from trainees.services.profile import seal_id_number

pytestmark = pytest.mark.django_db

PROFILE = reverse("trainees:profile")
ID_NUMBER = make_id_number()


def id_with_x_check_digit() -> str:
    for serial in range(100, 1000):
        number = make_id_number(serial=str(serial))
        if number.endswith("X"):
            return number
    raise AssertionError("no serial gives an X check digit")


class TestValidation:
    def test_a_number_with_a_real_check_digit_is_read(self):
        facts = id_numbers.parse(make_id_number(county="450103", birth="19850612", serial="042"))

        assert facts.birth_date.isoformat() == "1985-06-12"
        assert facts.sex == Sex.FEMALE  # 17th digit 2 is even
        assert facts.county_code == "450103000000"

    def test_a_lower_case_x_check_digit_and_spaces_are_accepted_in_the_form(self, client):
        number = id_with_x_check_digit()
        typed = f"{number[:6]} {number[6:14]} {number[14:].lower()}"
        sign_in(client)

        response = client.post(PROFILE, profile_data(id_number=typed))

        assert response.status_code == 302
        assert Worker.objects.get().id_number_masked == id_numbers.mask(number)

    @pytest.mark.parametrize(
        "bad",
        [
            wrong_check_digit(ID_NUMBER),
            ID_NUMBER[:-1],  # 17 characters
            "450102900307123",  # the old 15-digit form
            make_id_number(birth="19900230"),  # 30 February, with a correct check digit
            make_id_number(county="999999"),  # no such county
            "45010219900307123A",
        ],
    )
    def test_invalid_numbers_are_refused(self, bad):
        with pytest.raises(ValidationError):
            id_numbers.parse(bad)

    def test_the_check_digit_really_is_checked(self):
        """Every wrong last character is refused; only the computed one passes."""
        body = ID_NUMBER[:-1]
        valid = []
        for digit in "0123456789X":
            try:
                id_numbers.parse(body + digit)
            except ValidationError:
                continue
            valid.append(digit)
        assert valid == [ID_NUMBER[-1]]


def worker_pages(client) -> dict[str, str]:
    """Every page a signed-in worker can open, as HTML (or JSON text)."""
    pages = {}
    for name in ("profile", "my_data", "delete_request", "privacy", "signout", "signin"):
        response = client.get(reverse(f"trainees:{name}"), follow=True)
        assert response.status_code == 200, name
        pages[name] = response.content.decode()
    pages["regions"] = client.get(reverse("trainees:regions")).content.decode()
    # The form re-rendered after an error in another field, the number typed again.
    response = client.post(
        PROFILE, profile_data(id_number=ID_NUMBER, special_groups=["veteran"], privacy_consent=None)
    )
    assert response.status_code == 400
    pages["profile with an error"] = response.content.decode()
    client.post(reverse("trainees:delete_request"))
    pages["deletion requested"] = client.get(reverse("trainees:delete_request")).content.decode()
    pages["my data after deletion request"] = client.get(
        reverse("trainees:my_data")
    ).content.decode()
    return pages


def test_no_worker_page_contains_the_full_id_number(client):
    sign_in(client)
    saved = client.post(PROFILE, profile_data(id_number=ID_NUMBER))
    assert saved.status_code == 302
    masked = Worker.objects.get().id_number_masked

    pages = worker_pages(client)

    for name, page in pages.items():
        assert ID_NUMBER not in page, name
        assert ID_NUMBER[:14] not in page, name  # not even the county and birth date run
    assert masked in pages["my_data"]
    assert masked in pages["profile"]
    assert masked in pages["profile with an error"]


def test_a_typed_number_is_carried_sealed_not_echoed_and_still_saved(client):
    sign_in(client)

    first = client.post(PROFILE, profile_data(id_number=ID_NUMBER, privacy_consent=None))

    page = first.content.decode()
    assert first.status_code == 400
    assert ID_NUMBER not in page
    assert id_numbers.mask(ID_NUMBER) in page
    token = page.split('name="id_number_token" value="')[1].split('"')[0]
    assert token
    assert 'name="id_number" value="' not in page  # the box is empty again
    # Sent again with the consent ticked and the box left empty: the sealed number is saved.
    second = client.post(PROFILE, profile_data(id_number="", id_number_token=token))
    assert second.status_code == 302
    assert Worker.objects.get().id_number_masked == id_numbers.mask(ID_NUMBER)


def test_a_sealed_number_of_another_account_is_refused(client, django_user_model):
    sign_in(client)
    stranger = django_user_model.objects.create_user(username="stranger", password=None)
    token = seal_id_number(number=ID_NUMBER, user_id=stranger.pk)

    response = client.post(PROFILE, profile_data(id_number_token=token))

    assert response.status_code == 400
    assert not Worker.objects.exists()


def test_the_id_number_never_reaches_the_logs(client, caplog):
    caplog.set_level(logging.DEBUG)
    sign_in(client)
    client.post(PROFILE, profile_data(id_number=ID_NUMBER, privacy_consent=None))
    client.post(PROFILE, profile_data(id_number=ID_NUMBER))
    client.post(PROFILE, profile_data(id_number=wrong_check_digit(ID_NUMBER)))
    client.post(reverse("trainees:my_data_download"))

    assert Worker.objects.get().id_number_masked
    assert ID_NUMBER not in caplog.text
    assert ID_NUMBER[:14] not in caplog.text


def test_the_id_number_is_stored_only_encrypted(client):
    sign_in(client)
    client.post(PROFILE, profile_data(id_number=ID_NUMBER))
    worker = Worker.objects.get()

    for field in Worker._meta.concrete_fields:
        value = str(field.value_from_object(worker))
        assert ID_NUMBER not in value, field.name
    for session in Session.objects.all():
        assert ID_NUMBER not in str(session.get_decoded())
    for message in OutboundMessage.objects.all():
        assert ID_NUMBER not in message.body
    assert not LoginCode.objects.filter(code_hash__contains=ID_NUMBER[:6]).exists()


class TestReveal:
    @pytest.fixture
    def worker(self, client):
        sign_in(client, OTHER_PHONE)
        client.post(PROFILE, profile_data(id_number=ID_NUMBER))
        return Worker.objects.get()

    def test_refused_without_the_permission_and_nothing_is_logged(self, worker, django_user_model):
        clerk = django_user_model.objects.create_user(
            username="clerk", password=None, is_staff=True
        )

        with pytest.raises(PermissionDenied):
            reveal_id_number(worker=worker, actor=clerk, reason="training subsidy claim")
        with pytest.raises(PermissionDenied):
            reveal_id_number(worker=worker, actor=worker.user, reason="my own")
        assert not PersonalDataAccess.objects.filter(
            action=PersonalDataAccess.Action.VIEW_FULL_ID
        ).exists()

    def test_with_the_permission_the_number_comes_with_an_audit_row(
        self, worker, django_user_model
    ):
        officer = django_user_model.objects.create_user(username="officer", password=None)
        officer.user_permissions.add(
            Permission.objects.get(
                codename="view_full_id_number", content_type__app_label="trainees"
            )
        )

        number = reveal_id_number(worker=worker, actor=officer, reason="training subsidy claim")

        assert number == ID_NUMBER
        access = PersonalDataAccess.objects.get(action=PersonalDataAccess.Action.VIEW_FULL_ID)
        assert (access.actor, access.worker, access.detail) == (
            officer,
            worker,
            "training subsidy claim",
        )


def test_phone_numbers_are_shown_masked_on_worker_pages(client):
    sign_in(client)
    client.post(PROFILE, profile_data())
    for name in ("profile", "my_data"):
        page = client.get(reverse(f"trainees:{name}")).content.decode()
        assert PHONE not in page, name
        assert f"{PHONE[:3]}****{PHONE[-4:]}" in page, name
