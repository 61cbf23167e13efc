"""The scanner page's vendored decoder and the page itself (no browser: tests/browser/test_scanner.py).

The zxing wasm must be the exact build barcode-detector 3.2.2 was compiled against, and it must be
served as application/wasm, or WebAssembly.instantiateStreaming refuses it.
"""

import hashlib
import json
import re
from pathlib import Path

import pytest
from django.conf import settings
from django.contrib.auth.models import Group

from events.models import EventStaff, EventStaffRole
from events.scanner_views import VENDOR
from tests.factories import EventFactory, make_worker

STATIC = Path(settings.BASE_DIR) / "static"
VENDORED = STATIC / VENDOR
CJK = re.compile(r"[\u3000-\u303f\u4e00-\u9fff\uff00-\uffef]")

pytestmark = pytest.mark.django_db


def embedded_constant(source: str, name: str) -> str:
    """The value of e.g. ZXING_WASM_SHA256 in the minified IIFE: `e.NAME=x` then `x=\\`…\\``."""
    variable = re.search(rf"\.{name}=(\w+)[,;}})]", source).group(1)
    return re.search(rf"\b{re.escape(variable)}=`([^`]+)`", source).group(1)


def test_vendored_wasm_is_the_build_the_ponyfill_expects():
    ponyfill = (VENDORED / "ponyfill.iife.js").read_text(encoding="utf-8")
    wasm = (VENDORED / "zxing_reader.wasm").read_bytes()
    assert wasm[:4] == b"\0asm"
    assert hashlib.sha256(wasm).hexdigest() == embedded_constant(ponyfill, "ZXING_WASM_SHA256")
    assert embedded_constant(ponyfill, "ZXING_WASM_VERSION") == "3.1.3"


def test_vendored_files_carry_licences_and_provenance():
    version = (VENDORED / "VERSION").read_text(encoding="utf-8")
    assert "barcode-detector@3.2.2" in version and "zxing-wasm@3.1.3" in version
    wasm_hash = hashlib.sha256((VENDORED / "zxing_reader.wasm").read_bytes()).hexdigest()
    assert wasm_hash in version
    assert "MIT License" in (VENDORED / "LICENSE").read_text(encoding="utf-8")
    assert "Apache License" in (VENDORED / "LICENSE-zxing-cpp").read_text(encoding="utf-8")


def test_static_server_serves_the_wasm_as_application_wasm(client):
    response = client.get(settings.STATIC_URL + VENDOR + "zxing_reader.wasm")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/wasm"
    assert b"".join(response.streaming_content)[:4] == b"\0asm"


def test_our_scripts_hold_no_text_and_load_nothing_from_elsewhere():
    for name in ("js/scanner.js", "js/charts.js", "js/exports.js"):
        source = (STATIC / name).read_text(encoding="utf-8")
        assert not CJK.search(source), f"{name}: UI text belongs in the template"
        assert not re.search(r"https?://(?!www\.w3\.org/2000/svg)", source), name
    assert "locateFile" in (STATIC / "js/scanner.js").read_text(encoding="utf-8")


# The page ----------------------------------------------------------------------------------------


def scanner_url(event) -> str:
    return f"/scan/{event.pk}/"


def page_config(response) -> dict:
    match = re.search(
        r'<script id="scanner-config" type="application/json">(.*?)</script>',
        response.content.decode(),
        re.S,
    )
    return json.loads(match.group(1))


def staff_user(django_user_model, event, role):
    user = django_user_model.objects.create_user(username=f"staff-{role}", password="password")
    user.groups.add(Group.objects.get(name="Organisers"))
    EventStaff.objects.create(event=event, user=user, role=role)
    return user


def test_anonymous_visitors_are_sent_to_the_staff_sign_in(client):
    event = EventFactory()
    response = client.get(scanner_url(event))
    assert response.status_code == 302
    assert response["Location"].startswith("/admin/login/?next=")


def test_only_staff_of_the_event_see_the_scanner(client, django_user_model):
    event, other = EventFactory(), EventFactory()
    worker = make_worker()
    worker.user = django_user_model.objects.create_user(username="worker")
    worker.save()
    client.force_login(worker.user)
    assert client.get(scanner_url(event)).status_code == 403

    client.force_login(staff_user(django_user_model, other, EventStaffRole.ORGANISER))
    assert client.get(scanner_url(event)).status_code == 403


@pytest.mark.parametrize(
    ("role", "organiser"), [(EventStaffRole.ORGANISER, True), (EventStaffRole.SCANNER, False)]
)
def test_scanner_page_for_event_staff(client, django_user_model, role, organiser):
    event = EventFactory(training=True)
    client.force_login(staff_user(django_user_model, event, role))
    response = client.get(scanner_url(event))
    assert response.status_code == 200
    html = response.content.decode()
    config = page_config(response)
    assert config["event"] == event.pk
    assert config["mode"] == "session" and config["csrfToken"]
    assert config["wasmUrl"] == settings.STATIC_URL + VENDOR + "zxing_reader.wasm"
    assert config["canWalkIn"] is organiser and config["canChooseSession"] is organiser
    assert ('id="walkin-form"' in html) is organiser
    assert 'name="direction"' in html  # a training class signs in and out
    assert 'capture="environment"' in html
    assert "{#" not in html and "{%" not in html  # no template comment or tag leaks out
    # No inline script but the JSON data: a strict CSP holds.
    assert re.findall(r"<script(?![^>]*\bsrc=)(?![^>]*application/json)", html) == []
    assert "'wasm-unsafe-eval'" in response["Content-Security-Policy"]
    assert "'unsafe-inline'" not in response["Content-Security-Policy"]
    assert "no-cache" in response["Cache-Control"]


def test_superuser_sees_every_scanner_with_walk_ins(admin_client):
    event = EventFactory()
    response = admin_client.get(scanner_url(event))
    assert response.status_code == 200
    assert page_config(response)["canWalkIn"] is True
    assert 'name="direction"' not in response.content.decode()  # a fair only signs in


def test_device_page_needs_no_account_and_holds_no_token(client):
    event = EventFactory(training=True)
    response = client.get("/scan/device/", {"event": event.pk})
    assert response.status_code == 200
    config = page_config(response)
    assert config["mode"] == "device" and config["csrfToken"] == ""
    assert config["canWalkIn"] is False
    assert event.title in response.content.decode()
    html = response.content.decode()
    assert 'id="pairing-token"' in html and "{#" not in html
    assert 'name="token"' not in html  # a form sent without the script puts no token in a URL

    draft = EventFactory(draft=True)
    response = client.get("/scan/device/", {"event": draft.pk})
    assert draft.title not in response.content.decode()


def test_strings_for_the_script_follow_the_language(admin_client):
    event = EventFactory()
    response = admin_client.get(scanner_url(event), HTTP_ACCEPT_LANGUAGE="en")
    english = page_config(response)["strings"]
    assert english["results"]["already_checked_in"] == "Already checked in"
    assert english["registration"]["waitlisted"] == "On the waiting list"
