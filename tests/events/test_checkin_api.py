"""The check-in JSON API (events/api.py) as the scanner page uses it: authentication (session with
CSRF, device bearer token), per-event authorisation, input errors, the response shapes of
docs/checkin-api.md, and no full phone or ID number in any answer."""

import datetime
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from events import services, tickets
from events.models import CheckIn, EventStaffRole, ScanLog, ScanResult
from tests.factories import EventFactory, id_number_for, make_worker, staff_member
from tests.support.scenarios import fair_now, mobile, nonce, register

pytestmark = pytest.mark.django_db

SCAN_KEYS = {
    "status",
    "message",
    "name",
    "first_at",
    "first_gate",
    "session",
    "scan_id",
    "undo_until",
    "counters",
}
COUNTER_KEYS = {"checked_in", "registered", "walk_ins", "not_arrived"}


def url(name: str) -> str:
    return reverse(f"api:checkin_{name}")


def post(client, name, body, **headers):
    return client.post(url(name), json.dumps(body), content_type="application/json", **headers)


def bearer(token: str) -> dict:
    return {"headers": {"Authorization": f"Bearer {token}"}}


@pytest.fixture
def fair():
    event = fair_now()
    worker = make_worker(name="王小明", birth_date=datetime.date(1990, 5, 17))
    registration = register(event, worker)
    return event, registration


@pytest.fixture
def device(fair):
    event, _registration = fair
    return services.create_scanner_device(event_id=event.pk, label="东门", by=None)


def scan_body(event, registration, **fields):
    return {
        "event": event.pk,
        "session": None,
        "code": tickets.ticket_token(registration),
        "direction": "in",
        "gate": "东门",
        "nonce": nonce(),
        "scanned_at": None,
        **fields,
    }


# Authentication and authorisation ----------------------------------------------------------------


@pytest.mark.parametrize("name", ["scan", "undo", "walk-in"])
def test_anonymous_posts_are_401(client, fair, name):
    event, registration = fair

    response = post(client, name.replace("-", "_"), scan_body(event, registration))

    assert response.status_code == 401
    assert response.json()["status"] == "error"
    assert not ScanLog.objects.exists()


@pytest.mark.parametrize("name", ["counters", "search"])
def test_anonymous_reads_are_401(client, fair, name):
    event, _registration = fair

    response = client.get(url(name), {"event": event.pk, "q": "王"})

    assert response.status_code == 401


def test_a_device_scans_at_its_own_event_only(client, fair, device):
    event, registration = fair
    _device, token = device
    other = fair_now()

    here = post(client, "scan", scan_body(event, registration), **bearer(token))
    there = post(client, "scan", scan_body(other, registration), **bearer(token))
    counters = client.get(url("counters"), {"event": other.pk}, **bearer(token))

    assert here.status_code == 200
    assert here.json()["status"] == ScanResult.CHECKED_IN
    assert there.status_code == 403
    assert there.json()["status"] == "error"
    assert counters.status_code == 403
    assert ScanLog.objects.count() == 1


def test_a_revoked_or_unknown_token_is_401(client, fair, device):
    event, registration = fair
    scanner, token = device
    services.revoke_scanner_device(device_id=scanner.pk)

    revoked = post(client, "scan", scan_body(event, registration), **bearer(token))
    unknown = post(client, "scan", scan_body(event, registration), **bearer("NOTATOKEN"))
    malformed = client.post(
        url("scan"),
        json.dumps(scan_body(event, registration)),
        content_type="application/json",
        headers={"Authorization": f"Basic {token}"},
    )

    assert (revoked.status_code, unknown.status_code, malformed.status_code) == (401, 401, 401)
    assert not CheckIn.objects.exists()


def test_a_device_cannot_register_walk_ins(client, fair, device):
    event, _registration = fair
    _scanner, token = device
    body = {"event": event.pk, "name": "黄小燕", "phone": mobile(), "gate": "", "nonce": nonce()}

    response = post(client, "walk_in", body, **bearer(token))

    assert response.status_code == 403


def test_staff_need_a_role_at_that_event(client, fair):
    event, registration = fair
    other = fair_now()
    scanner = staff_member("gate", event=other, role=EventStaffRole.SCANNER)
    client.force_login(scanner)

    response = post(client, "scan", scan_body(event, registration))

    assert response.status_code == 403
    assert not ScanLog.objects.exists()


def test_a_scanner_account_scans_but_does_not_register_walk_ins(client, fair):
    event, registration = fair
    client.force_login(staff_member("gate", event=event, role=EventStaffRole.SCANNER))
    walk_in = {"event": event.pk, "name": "黄小燕", "phone": mobile(), "nonce": nonce()}

    scanned = post(client, "scan", scan_body(event, registration))
    refused = post(client, "walk_in", walk_in)

    assert scanned.status_code == 200
    assert refused.status_code == 403


def test_session_posts_need_the_csrf_header(fair, superuser):
    event, registration = fair
    client = Client(enforce_csrf_checks=True)
    client.force_login(superuser)
    client.get(reverse("wagtailadmin_home"))  # sets the CSRF cookie
    csrf = client.cookies[settings.CSRF_COOKIE_NAME].value

    without = post(client, "scan", scan_body(event, registration))
    with_header = post(client, "scan", scan_body(event, registration), HTTP_X_CSRFTOKEN=csrf)

    assert without.status_code == 403
    assert without.json()["code"] == "csrf"
    assert with_header.status_code == 200


def test_a_device_needs_no_csrf_token(fair, device):
    event, registration = fair
    client = Client(enforce_csrf_checks=True)

    response = post(client, "scan", scan_body(event, registration), **bearer(device[1]))

    assert response.status_code == 200


def test_a_superuser_gets_404_for_an_unknown_event(admin_client, fair):
    _event, registration = fair

    response = post(admin_client, "scan", {**scan_body(_event, registration), "event": 999999})

    assert response.status_code == 404


def test_the_wrong_method_is_405(admin_client, fair):
    event, _registration = fair

    assert admin_client.get(url("scan")).status_code == 405
    assert post(admin_client, "counters", {"event": event.pk}).status_code == 405


# Input -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "change",
    [
        {"event": None},
        {"event": "one"},
        {"event": True},
        {"nonce": "short"},
        {"nonce": None},
        {"direction": "up"},
        {"scanned_at": "yesterday"},
        {"code": "", "registration": None},
        {"code": 12345},
        {"gate": "门" * 61},
        {"session": "first"},
    ],
)
def test_bad_input_is_400_with_a_message(admin_client, fair, change):
    event, registration = fair

    response = post(admin_client, "scan", {**scan_body(event, registration), **change})

    assert response.status_code == 400
    body = response.json()
    assert body["status"] == "error"
    assert body["message"]
    assert not ScanLog.objects.exists()


def test_a_body_that_is_not_a_json_object_is_400(admin_client, fair):
    for raw in ("not json", "[1, 2]", "null"):
        response = admin_client.post(url("scan"), raw, content_type="application/json")
        assert response.status_code == 400


# Shapes ------------------------------------------------------------------------------------------


def test_the_scan_answer_has_the_documented_shape(admin_client, fair):
    event, registration = fair
    body = scan_body(event, registration)

    first = post(admin_client, "scan", body).json()
    retry = post(admin_client, "scan", body).json()
    again = post(admin_client, "scan", {**body, "nonce": nonce(), "gate": "西门"}).json()

    assert set(first) == SCAN_KEYS
    assert first["status"] == "checked_in"
    assert first["name"] == "王*明"
    assert set(first["session"]) == {"id", "title", "starts_at", "ends_at"}
    assert first["session"]["id"] == event.sessions.get().pk
    undo_until = datetime.datetime.fromisoformat(first["undo_until"])
    assert (
        datetime.timedelta(minutes=14)
        < undo_until - timezone.now()
        <= datetime.timedelta(minutes=15)
    )
    assert first["counters"] == {
        "checked_in": 1,
        "registered": 1,
        "walk_ins": 0,
        "not_arrived": 0,
    }
    assert retry == first, "a retried nonce gets the first answer again"
    assert again["status"] == "already_checked_in"
    assert again["first_at"] == first["first_at"]
    assert again["first_gate"] == "东门"
    assert again["undo_until"] is None
    assert again["scan_id"] != first["scan_id"]
    assert CheckIn.objects.count() == 1


def test_an_unknown_code_answers_200_with_its_status(admin_client, fair):
    event, registration = fair

    response = post(admin_client, "scan", scan_body(event, registration, code="7Q4M-2X9K-JH"))

    assert response.status_code == 200
    body = response.json()
    assert set(body) == SCAN_KEYS
    assert (body["status"], body["name"], body["scan_id"] > 0) == ("unknown_code", "", True)


def test_the_message_is_in_the_request_language(admin_client, fair):
    event, registration = fair

    response = post(admin_client, "scan", scan_body(event, registration), HTTP_ACCEPT_LANGUAGE="en")

    assert response.json()["message"] == "Signed in: 王*明."


def test_a_manual_check_in_from_the_search(admin_client, fair):
    event, registration = fair

    found = admin_client.get(url("search"), {"event": event.pk, "q": "小明"}).json()
    by_tail = admin_client.get(
        url("search"), {"event": event.pk, "q": registration.worker.phone[-4:]}
    ).json()
    row = found["results"][0]
    checked = post(
        admin_client,
        "scan",
        {**scan_body(event, registration), "code": "", "registration": row["registration"]},
    ).json()
    after = admin_client.get(url("search"), {"event": event.pk, "q": "王"}).json()

    assert row == {
        "registration": registration.pk,
        "name": "王*明",
        "phone_tail": registration.worker.phone[-4:],
        "status": "confirmed",
        "checked_in": False,
    }
    assert by_tail["results"] == found["results"]
    assert checked["status"] == "checked_in"
    assert after["results"][0]["checked_in"] is True
    assert admin_client.get(url("search"), {"event": event.pk, "q": ""}).status_code == 400


def test_counters_list_the_sessions_with_the_current_one_marked(admin_client, fair):
    event, registration = fair
    post(admin_client, "scan", scan_body(event, registration))

    body = admin_client.get(url("counters"), {"event": event.pk}).json()

    assert {key: body[key] for key in COUNTER_KEYS} == {
        "checked_in": 1,
        "registered": 1,
        "walk_ins": 0,
        "not_arrived": 0,
    }
    assert body["event"] == {"id": event.pk, "title": event.title}
    assert [session["current"] for session in body["sessions"]] == [True]
    assert body["session"]["id"] == body["sessions"][0]["id"]


def test_undo_own_scan_once(client, fair, device):
    event, registration = fair
    _scanner, token = device
    scanned = post(client, "scan", scan_body(event, registration), **bearer(token)).json()

    other_device = services.create_scanner_device(event_id=event.pk, label="西门", by=None)[1]
    foreign = post(client, "undo", {"scan_id": scanned["scan_id"]}, **bearer(other_device))
    first = post(client, "undo", {"scan_id": scanned["scan_id"]}, **bearer(token))
    second = post(client, "undo", {"scan_id": scanned["scan_id"]}, **bearer(token))
    missing = post(client, "undo", {"scan_id": 999999}, **bearer(token))

    assert foreign.status_code == 403
    assert first.json()["status"] == "undone"
    assert set(first.json()) == {"status", "message"}
    assert (second.status_code, second.json()["status"]) == (200, "refused")
    assert second.json()["message"]
    assert missing.status_code == 404
    organiser = staff_member("boss", event=event, role=EventStaffRole.ORGANISER)
    client.force_login(organiser)
    rescanned = post(client, "scan", scan_body(event, registration), **bearer(token)).json()
    client.force_login(organiser)
    by_organiser = post(client, "undo", {"scan_id": rescanned["scan_id"]})
    assert by_organiser.json()["status"] == "undone"


# Walk-ins and personal data ----------------------------------------------------------------------


def test_a_walk_in_by_an_organiser(client, fair):
    event, _registration = fair
    client.force_login(staff_member("gate", event=event, role=EventStaffRole.ORGANISER))
    phone = mobile()

    response = post(
        client,
        "walk_in",
        {"event": event.pk, "name": "黄小燕", "phone": phone, "gate": "南门", "nonce": nonce()},
    )

    assert response.status_code == 200
    body = response.json()
    assert set(body) == SCAN_KEYS
    assert (body["status"], body["name"]) == ("checked_in", "黄*燕")
    assert body["counters"]["walk_ins"] == 1
    bad_phone = post(
        client, "walk_in", {"event": event.pk, "name": "黄", "phone": "123", "nonce": nonce()}
    )
    assert bad_phone.status_code == 400 and bad_phone.json()["message"]
    no_name = post(client, "walk_in", {"event": event.pk, "phone": mobile(), "nonce": nonce()})
    assert no_name.status_code == 400


def test_a_walk_in_refused_by_the_class_rules_is_409(admin_client):
    now = timezone.now()
    event = EventFactory(
        training=True,
        starts_at=now - datetime.timedelta(hours=1),
        ends_at=now + datetime.timedelta(hours=4),
        registration_closes_at=now - datetime.timedelta(days=1),
    )

    response = post(
        admin_client,
        "walk_in",
        {"event": event.pk, "name": "黄小燕", "phone": mobile(), "nonce": nonce()},
    )

    assert response.status_code == 409
    assert response.json()["code"] == "refused_closed"


def test_no_answer_contains_a_full_phone_or_id_number(admin_client, fair):
    event, registration = fair
    worker = registration.worker
    walk_in_phone, walk_in_id = mobile(), id_number_for(datetime.date(1985, 3, 4))
    answers = [
        post(admin_client, "scan", scan_body(event, registration)),
        post(admin_client, "scan", scan_body(event, registration)),
        admin_client.get(url("search"), {"event": event.pk, "q": "王"}),
        admin_client.get(url("search"), {"event": event.pk, "q": worker.phone[-4:]}),
        admin_client.get(url("search"), {"event": event.pk, "q": worker.phone}),
        admin_client.get(url("counters"), {"event": event.pk}),
        post(
            admin_client,
            "walk_in",
            {
                "event": event.pk,
                "name": "黄小燕",
                "phone": walk_in_phone,
                "id_number": walk_in_id,
                "nonce": nonce(),
            },
        ),
    ]
    text = " ".join(answer.content.decode() for answer in answers)

    assert all(answer.status_code == 200 for answer in answers)
    assert worker.phone not in text and walk_in_phone not in text
    assert walk_in_id not in text and walk_in_id[-4:] not in text
    assert "王小明" not in text and "黄小燕" not in text
    assert not re.search(r"\d{17}[\dX]", text), "nothing that looks like an ID number"


def test_every_api_path_is_in_the_openapi_document():
    from events import api_urls

    document = json.loads(
        (Path(settings.BASE_DIR) / "docs" / "checkin-openapi.json").read_text(encoding="utf-8")
    )
    assert document["openapi"].startswith("3.1")
    documented = set(document["paths"])
    for pattern in api_urls.urlpatterns:
        assert f"/api/{pattern.pattern}" in documented
    for path_item in document["paths"].values():
        for operation in path_item.values():
            assert operation["responses"], "every operation documents its answers"
