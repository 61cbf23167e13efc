"""Data rights (PIPL Art. 44-47): see everything, download it, correct it, ask for deletion."""

import json

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from tests.factories import XINGNING, RegionFactory
from tests.trainees.signin_helpers import (
    OTHER_PHONE,
    PHONE,
    make_id_number,
    profile_data,
    sign_in,
)
from trainees.models import PersonalDataAccess, Region, RegionLevel, Worker
from trainees.services import profile as profile_service
from trainees.services.identity import PRIVACY_NOTICE_VERSION

pytestmark = pytest.mark.django_db

ID_NUMBER = make_id_number()
MY_DATA = reverse("trainees:my_data")
DOWNLOAD = reverse("trainees:my_data_download")
DELETE = reverse("trainees:delete_request")


@pytest.fixture
def village():
    township = RegionFactory(code="450102001000", name="民生街道")
    return Region.objects.create(
        code="450102001001", name="民生社区", level=RegionLevel.VILLAGE, parent=township
    )


@pytest.fixture
def worker_client(client, village):
    sign_in(client)
    response = client.post(
        reverse("trainees:profile"),
        profile_data(
            id_number=ID_NUMBER,
            county=XINGNING,
            township="450102001000",
            village=village.code,
            special_groups_consent="on",
            special_groups=["migrant_worker"],
        ),
    )
    assert response.status_code == 302
    return client


def audit_rows(action):
    return PersonalDataAccess.objects.filter(action=action)


def test_my_data_shows_everything_stored_with_the_id_masked(worker_client):
    page = worker_client.get(MY_DATA).content.decode()
    worker = Worker.objects.get()

    for shown in (
        "韦小宝",
        f"{PHONE[:3]}****{PHONE[-4:]}",
        worker.id_number_masked,
        "1990-03-07",
        "兴宁区 · 民生街道 · 民生社区",
        "南宁市兴宁区民生街道",
        "电焊",
        "焊工四级",
        "电焊工",
        "5000",
        str(worker.get_education_display()),
        str(worker.get_employment_status_display()),
        str(worker.special_groups.get().get_group_display()),
        PRIVACY_NOTICE_VERSION,
    ):
        assert shown in page, shown
    assert ID_NUMBER not in page
    assert f'href="{reverse("trainees:profile")}"' in page  # correct
    assert f'action="{DOWNLOAD}"' in page  # download
    assert f'href="{DELETE}"' in page  # ask for deletion


def test_the_download_holds_everything_including_the_full_id_number(worker_client):
    response = worker_client.post(DOWNLOAD)

    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/json")
    assert response["Content-Disposition"].startswith("attachment;")
    assert "no-store" in response["Cache-Control"]
    data = json.loads(response.content)
    person = data["worker"]
    assert person["id_number"] == ID_NUMBER
    assert (person["name"], person["phone"]) == ("韦小宝", PHONE)
    assert person["birth_date"] == "1990-03-07"
    assert [region["name"] for region in person["household_registration"]] == [
        "兴宁区",
        "民生街道",
        "民生社区",
    ]
    assert person["expected_monthly_pay_yuan"] == 5000
    assert [group["code"] for group in data["special_groups"]] == ["migrant_worker"]
    assert {consent["kind"]["code"] for consent in data["consents"]} == {
        "privacy_notice",
        "special_groups",
    }
    assert data["sign_in_account"]["username"] == f"w{PHONE}"


def test_each_download_writes_an_audit_row(worker_client):
    worker = Worker.objects.get()
    action = PersonalDataAccess.Action.OWN_DATA_DOWNLOAD
    assert not audit_rows(action).exists()

    worker_client.post(DOWNLOAD)
    worker_client.post(DOWNLOAD)

    rows = audit_rows(action)
    assert rows.count() == 2
    assert {(row.actor_id, row.worker_id) for row in rows} == {(worker.user_id, worker.pk)}
    # The next download lists the earlier ones among the accesses to the worker's data.
    data = json.loads(worker_client.post(DOWNLOAD).content)
    assert [row["action"]["code"] for row in data["accesses_to_my_data"]] == [action] * 2


def test_a_get_does_not_download_or_write_an_audit_row(worker_client):
    response = worker_client.get(DOWNLOAD)

    assert response.status_code == 302
    assert response["Location"] == MY_DATA
    assert not PersonalDataAccess.objects.exists()


def test_the_download_needs_a_signed_in_worker(client, worker_client):
    worker_client.logout()

    response = client.post(DOWNLOAD)

    assert response.status_code == 302
    assert response["Location"].startswith(reverse("trainees:signin"))
    assert not PersonalDataAccess.objects.exists()


def test_other_apps_add_their_part_of_the_download(worker_client, monkeypatch):
    monkeypatch.setattr(profile_service, "_export_sections", {})
    profile_service.register_export_section(
        "registrations", lambda worker: [{"event": "春风行动专场", "worker": worker.pk}]
    )

    data = json.loads(worker_client.post(DOWNLOAD).content)

    assert data["registrations"] == [{"event": "春风行动专场", "worker": Worker.objects.get().pk}]


def test_a_worker_sees_only_their_own_data(worker_client):
    other = Client()
    sign_in(other, OTHER_PHONE)
    other.post(reverse("trainees:profile"), profile_data(name="黄大妹"))

    mine = worker_client.get(MY_DATA).content.decode()
    theirs = other.get(MY_DATA).content.decode()
    download = json.loads(other.post(DOWNLOAD).content)

    assert "韦小宝" in mine and "黄大妹" not in mine
    assert "黄大妹" in theirs and "韦小宝" not in theirs
    assert download["worker"]["name"] == "黄大妹"
    assert download["worker"]["id_number"] == ""


class TestDeletionRequest:
    def test_the_page_explains_before_anything_changes(self, worker_client):
        page = worker_client.get(DELETE).content.decode()

        assert Worker.objects.get().deletion_requested_at is None
        assert not audit_rows(PersonalDataAccess.Action.DELETION_REQUEST).exists()
        assert "15" in page
        assert 'method="post"' in page

    def test_asking_records_the_request_and_confirms_the_15_working_days(self, worker_client):
        response = worker_client.post(DELETE)

        assert response.status_code == 302
        worker = Worker.objects.get()
        assert worker.deletion_requested_at is not None
        row = audit_rows(PersonalDataAccess.Action.DELETION_REQUEST).get()
        assert (row.actor_id, row.worker_id) == (worker.user_id, worker.pk)
        page = worker_client.get(response["Location"]).content.decode()
        assert f"{timezone.localtime(worker.deletion_requested_at):%Y-%m-%d}" in page
        assert f"{profile_service.DELETION_WORKING_DAYS}" in page
        assert "<form" not in page.split('<main id="main"')[1].split("</main>")[0]

    def test_asking_twice_keeps_the_first_date_and_one_audit_row(self, worker_client):
        worker_client.post(DELETE)
        first = Worker.objects.get().deletion_requested_at

        worker_client.post(DELETE)

        assert Worker.objects.get().deletion_requested_at == first
        assert audit_rows(PersonalDataAccess.Action.DELETION_REQUEST).count() == 1

    def test_my_data_shows_the_pending_request(self, worker_client):
        worker_client.post(DELETE)
        page = worker_client.get(MY_DATA).content.decode()
        assert 'role="status"' in page
        assert f"{profile_service.DELETION_WORKING_DAYS}" in page
