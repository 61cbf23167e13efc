"""Check-in in the Wagtail admin: roles, scanner devices (token shown once), the scan log, event
staff and the live attendance page."""

import datetime
import json
import re

import pytest
from django.contrib.auth.models import Group
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from events import services
from events.models import EventStaff, EventStaffRole, Excusal, ScannerDevice
from tests.factories import make_worker, staff_member
from tests.support.scenarios import class_with_two_sessions, fair_now, nonce, register, token

pytestmark = pytest.mark.django_db


@pytest.fixture
def fair():
    return fair_now()


@pytest.fixture
def organiser(fair):
    return staff_member("organiser", "Organisers", event=fair, role=EventStaffRole.ORGANISER)


@pytest.fixture
def scanner(fair):
    return staff_member("gate", "Scanners", event=fair, role=EventStaffRole.SCANNER)


def permissions(group: str) -> set[tuple[str, str]]:
    return set(
        Group.objects.get(name=group).permissions.values_list("content_type__app_label", "codename")
    )


def test_the_roles_migration():
    assert permissions("Scanners") == {("wagtailadmin", "access_admin")}
    assert {
        ("events", "add_scannerdevice"),
        ("events", "change_scannerdevice"),
        ("events", "view_scannerdevice"),
        ("events", "view_scanlog"),
        ("events", "view_checkin"),
    } <= permissions("Organisers")
    assert ("events", "delete_scannerdevice") not in permissions("Organisers")
    assert {
        ("events", "add_eventstaff"),
        ("events", "change_eventstaff"),
        ("events", "delete_eventstaff"),
        ("events", "view_eventstaff"),
    } <= permissions("Editors")


def test_a_scanner_account_sees_no_registrations_devices_log_or_attendance(client, scanner, fair):
    client.force_login(scanner)

    assert client.get(reverse("wagtailadmin_home")).status_code == 200
    for name in ("registrations:index", "scanner_devices:index", "scan_log:index"):
        response = client.get(reverse(name))
        assert response.status_code in (302, 403), name
    assert client.get(reverse("attendance:index")).status_code in (302, 403)
    assert client.get(reverse("attendance:event", args=[fair.pk])).status_code == 404


def test_an_organiser_creates_a_device_and_sees_its_token_once(client, organiser, fair):
    client.force_login(organiser)
    other = fair_now()
    add = reverse("scanner_devices:add")

    assert client.get(add).status_code == 200
    refused = client.post(add, {"event": other.pk, "label": "西门"})
    response = client.post(add, {"event": fair.pk, "label": "东门1号"})

    assert refused.status_code == 200 and not ScannerDevice.objects.filter(event=other).exists()
    assert response.status_code == 200
    assert "no-store" in response["Cache-Control"] or "no-cache" in response["Cache-Control"]
    page = response.content.decode()
    secret = re.search(r'id="device-token"[^>]*>([A-Z2-7]{32})<', page).group(1)
    device = ScannerDevice.objects.get()
    assert services.authenticate_device(token=secret) == device
    assert 'src="data:image/png;base64,' in page
    assert f"?event={fair.pk}" in page and secret not in re.sub(r"<code id=.*?</code>", "", page)
    listing = client.get(reverse("scanner_devices:index")).content.decode()
    assert "东门1号" in listing and secret not in listing


def test_an_organiser_revokes_a_device_of_their_event_only(client, organiser, fair):
    client.force_login(organiser)
    mine, secret = services.create_scanner_device(event_id=fair.pk, label="东门", by=None)
    theirs, _secret = services.create_scanner_device(event_id=fair_now().pk, label="别处", by=None)

    listing = client.get(reverse("scanner_devices:index")).content.decode()
    foreign = client.post(reverse("scanner_devices:revoke", args=[theirs.pk]))
    revoked = client.post(reverse("scanner_devices:revoke", args=[mine.pk]))

    assert "东门" in listing and "别处" not in listing
    assert foreign.status_code == 404
    assert revoked.status_code == 302
    assert services.authenticate_device(token=secret) is None
    theirs.refresh_from_db()
    assert theirs.revoked_at is None


def test_the_scan_log_lists_masked_names_of_the_organisers_events(client, organiser, fair):
    registration = register(fair, make_worker(name="王小明"))
    services.check_in(code=token(registration), event_id=fair.pk, nonce=nonce(), gate="东门")
    services.check_in(code="A" * 26, event_id=fair.pk, nonce=nonce(), gate="西门")
    elsewhere = fair_now()
    services.check_in(
        code=token(register(elsewhere, make_worker(name="赵六"))),
        event_id=elsewhere.pk,
        nonce=nonce(),
    )
    client.force_login(organiser)

    page = client.get(reverse("scan_log:index")).content.decode()
    filtered = client.get(reverse("scan_log:index"), {"result": "unknown_code"}).content.decode()

    assert "王*明" in page and "王小明" not in page
    assert "赵" not in page, "another event's scans are not listed"
    assert registration.worker.phone not in page
    assert "西门" in filtered and "王*明" not in filtered
    by_gate = client.get(reverse("scan_log:index"), {"gate": "东门"}).content.decode()
    assert "王*明" in by_gate and "西门" not in by_gate.split("<tbody")[-1]


def test_an_editor_assigns_staff_to_an_event(editor_client, fair, django_user_model):
    user = django_user_model.objects.create_user(username="newbie")

    response = editor_client.post(
        reverse("event_staff:add"),
        {"event": fair.pk, "user": user.pk, "role": EventStaffRole.SCANNER},
    )

    assert response.status_code == 302
    assert EventStaff.objects.get(user=user).role == EventStaffRole.SCANNER


def test_the_attendance_page_counts_charts_and_tallies(client, superuser):
    event, morning, afternoon = class_with_two_sessions(capacity=50)
    organiser = staff_member("teacher", "Organisers", event=event, role=EventStaffRole.ORGANISER)
    here, late, away = (register(event) for _ in range(3))
    services.check_in(code=token(here), event_id=event.pk, nonce=nonce(), now=morning.starts_at)
    services.check_in(
        code=token(late),
        event_id=event.pk,
        nonce=nonce(),
        now=morning.starts_at + datetime.timedelta(minutes=40),
    )
    services.excuse_absence(
        registration_id=away.pk, session_id=afternoon.pk, reason="病假", by=superuser
    )
    client.force_login(organiser)
    url = reverse("attendance:event", args=[event.pk])

    response = client.get(url, {"session": morning.pk})

    assert response.status_code == 200
    page = response.content.decode()
    counters = dict(re.findall(r'data-counter="(\w+)">(\d+)<', page))
    assert counters == {"registered": "3", "checked_in": "2", "walk_ins": "0", "not_arrived": "1"}
    chart = json.loads(
        re.search(
            r'<script id="arrivals-chart" type="application/json">(.*?)</script>', page
        ).group(1)
    )
    assert sum(chart["series"][0]["values"]) == 2
    assert all(re.fullmatch(r"\d\d:[0134][05]", label) for label in chart["labels"])
    assert 'data-chart-table="arrivals-chart"' in page, "the chart's numbers in a table too"
    table = page.split('id="session-attendance"')[1].split("</table>")[0]
    rows = [re.findall(r"<td>(.*?)</td>", row) for row in table.split("<tr>")[2:]]
    tallies = {cells[0]: cells[1:] for cells in rows}
    assert tallies["上午"] == ["1", "1", "0", "1", "0"]
    assert tallies["下午"] == ["0", "0", "0", "2", "1"]

    # A fixed number of queries however many trainees.
    for _ in range(10):
        register(event)
    with CaptureQueriesContext(connection) as small:
        client.get(url, {"session": morning.pk})
    for _ in range(10):
        registration = register(event)
        services.check_in(
            code=token(registration), event_id=event.pk, nonce=nonce(), now=morning.starts_at
        )
    with CaptureQueriesContext(connection) as large:
        client.get(url, {"session": morning.pk})
    assert len(large) == len(small)


def test_the_attendance_page_is_for_the_events_organisers(client, fair):
    someone = staff_member("other", "Organisers", event=fair_now(), role="organiser")
    client.force_login(someone)

    assert client.get(reverse("attendance:event", args=[fair.pk])).status_code == 404
    index = client.get(reverse("attendance:index")).content.decode()
    assert fair.title not in index


def test_an_organiser_records_and_withdraws_excused_absences(client):
    event, morning, afternoon = class_with_two_sessions()
    organiser = staff_member("teacher", "Organisers", event=event, role=EventStaffRole.ORGANISER)
    away = register(event, make_worker(name="李秀英"))
    stranger = register(class_with_two_sessions()[0])
    client.force_login(organiser)
    page_url = reverse("attendance:event", args=[event.pk])
    record_url = reverse("attendance:record_excusal", args=[event.pk, afternoon.pk])

    page = client.get(page_url, {"session": afternoon.pk}).content.decode()
    no_reason = client.post(record_url, {"registration": away.pk, "reason": "  "})
    foreign = client.post(record_url, {"registration": stranger.pk, "reason": "病假"})
    recorded = client.post(record_url, {"registration": away.pk, "reason": "病假"})

    assert "李*英" in page.split('id="excusal-form"')[1] and "李秀英" not in page
    assert no_reason.status_code == foreign.status_code == recorded.status_code == 302
    assert recorded.url == f"{page_url}?session={afternoon.pk}"
    excusal = Excusal.objects.get()
    assert (excusal.registration, excusal.session, excusal.reason) == (away, afternoon, "病假")
    assert excusal.recorded_by == organiser
    listed = client.get(page_url, {"session": afternoon.pk}).content.decode()
    assert "病假" in listed.split('id="excusals"')[1].split("</table>")[0]
    morning_list = client.get(page_url, {"session": morning.pk}).content.decode()
    assert "病假" not in morning_list.split('id="excusals"')[1].split("</table>")[0]

    withdraw_url = reverse("attendance:withdraw_excusal", args=[event.pk, afternoon.pk, away.pk])
    assert client.get(withdraw_url).status_code == 405
    assert client.post(withdraw_url).status_code == 302
    assert not Excusal.objects.exists()


def test_only_the_events_organisers_record_excused_absences(client, fair):
    event, _morning, afternoon = class_with_two_sessions()
    away = register(event)
    services.excuse_absence(
        registration_id=away.pk, session_id=afternoon.pk, reason="病假", by=None
    )
    other = staff_member("other", "Organisers", event=fair, role="organiser")
    scanner = staff_member("gate", "Scanners", event=event, role="scanner")
    record_url = reverse("attendance:record_excusal", args=[event.pk, afternoon.pk])
    withdraw_url = reverse("attendance:withdraw_excusal", args=[event.pk, afternoon.pk, away.pk])

    for user in (other, scanner):
        client.force_login(user)
        record = client.post(record_url, {"registration": away.pk, "reason": "事假"})
        assert (record.status_code, client.post(withdraw_url).status_code) == (404, 404)

    assert Excusal.objects.get().reason == "病假"
    client.force_login(other)
    # The session must belong to the event in the URL.
    mine = reverse("attendance:record_excusal", args=[fair.pk, afternoon.pk])
    assert client.post(mine, {"registration": away.pk, "reason": "事假"}).status_code == 404


def test_a_device_page_never_puts_the_token_in_a_url(client, organiser, fair):
    client.force_login(organiser)

    response = client.post(reverse("scanner_devices:add"), {"event": fair.pk, "label": "东门"})

    secret = re.search(r'id="device-token"[^>]*>([A-Z2-7]{32})<', response.content.decode())
    hrefs = re.findall(r'(?:href|action|src)="([^"]*)"', response.content.decode())
    assert secret and not any(secret.group(1) in href for href in hrefs)
    assert timezone.now()
