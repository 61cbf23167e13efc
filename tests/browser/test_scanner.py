"""The check-in scanner end to end in headless Chromium, with a fake camera showing a real ticket.

The ticket comes from the Django code (services.register, tickets.ticket_token / qr_image); the
camera is a Y4M file Chromium plays in a loop (engineering.md section 1.5): blank frames, the QR
code, then blank frames again for longer than the scanner's 3-second repeat guard, so that the
second pass is a fresh scan and must answer "already checked in".

The fake camera is a launch flag, so these tests start their own Chromium, in a thread of its own
like tests/browser/conftest.py's BrowserThread (Playwright's sync API must not run in the test
thread). Staff sign-in: a session made with the test client, its cookie copied into the browser.
"""

import datetime
from pathlib import Path

import pytest
from django.utils import timezone
from PIL import Image

from events import services, tickets
from events.models import CheckIn, EventStaffRole, Registration, ScanLog
from tests.browser.conftest import (
    CHROMIUM,
    CHROMIUM_ARGS,
    BrowserThread,
    open_phone,
    session_cookie,
)
from tests.factories import EventFactory, make_worker, staff_member

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

WIDTH, HEIGHT = 640, 480
WHITE, GREY = 235, 128  # video-range luma: 16 is black, 235 white
# Buttons in the scanner under 48 px high, and anything that sticks out of a 360 px screen.
SMALL_BUTTONS_JS = """
() => [...document.querySelectorAll('#scanner-app button, #scanner-app .button, #scanner-app input, #scanner-app select')]
  .filter(el => el.offsetParent !== null && el.type !== 'radio' && !el.closest('.visually-hidden'))
  .map(el => ({html: el.outerHTML.slice(0, 100), rect: el.getBoundingClientRect()}))
  .filter(({rect}) => rect.height < 44 || (rect.height < 48 && rect.width < 48))
  .map(({html, rect}) => `${Math.round(rect.width)}x${Math.round(rect.height)} ${html}`)
"""
OVERFLOW_JS = "document.documentElement.scrollWidth - window.innerWidth"


def write_y4m(path: Path, token: str, *, blank_before=8, with_code=15, blank_after=40) -> Path:
    """A 10 fps 4:2:0 Y4M: grey frames, then the ticket QR (8 px per module) centred on white.

    Written by hand (Pillow gives the luma plane) because ffmpeg writes a C420mpeg2 header that
    Chromium has crashed on; chroma is flat 128, so the picture is grey-scale.
    """
    qr = tickets.qr_image(token, "M", module_px=8).point(lambda v: WHITE if v > 127 else 16)
    page = Image.new("L", (WIDTH, HEIGHT), WHITE)
    page.paste(qr, ((WIDTH - qr.width) // 2, (HEIGHT - qr.height) // 2))
    chroma = bytes([128]) * ((WIDTH // 2) * (HEIGHT // 2) * 2)  # U and V planes
    blank = bytes([GREY]) * (WIDTH * HEIGHT) + chroma
    code = page.tobytes() + chroma
    with path.open("wb") as video:
        video.write(f"YUV4MPEG2 W{WIDTH} H{HEIGHT} F10:1 Ip A1:1 C420\n".encode())
        for frame in [blank] * blank_before + [code] * with_code + [blank] * blank_after:
            video.write(b"FRAME\n" + frame)
    return path


class CameraBrowser(BrowserThread):
    """The conftest's browser thread, launched with a fake camera playing `video`."""

    def __init__(self, video: Path | None = None):
        self._video = video
        super().__init__()

    def _start(self):
        from playwright.sync_api import sync_playwright

        args = list(CHROMIUM_ARGS)
        if self._video is not None:
            args += [
                "--use-fake-ui-for-media-stream",
                "--use-fake-device-for-media-stream",
                f"--use-file-for-fake-video-capture={self._video}",
            ]
        self._playwright = sync_playwright().start()
        self._browser = self._playwright.chromium.launch(
            executable_path=CHROMIUM, args=args, headless=True
        )


@pytest.fixture
def quiet_sms(settings, tmp_path):
    """Registration confirmations go to a file in tmp_path, without a broker."""
    settings.CELERY_TASK_ALWAYS_EAGER = True
    settings.CHUNFENG_SMS_FILE_PATH = str(tmp_path / "sms.jsonl")


def live_fair(**fields):
    """A job fair happening now, with one session around the current time."""
    now = timezone.now()
    hour = datetime.timedelta(hours=1)
    return EventFactory(starts_at=now - hour, ends_at=now + 7 * hour, **fields)


def registered(event, name: str) -> tuple[Registration, str]:
    worker = make_worker(name=name)
    result = services.register(event_id=event.pk, worker_id=worker.pk, channel="self")
    registration = Registration.objects.get(pk=result.registration.pk)
    return registration, tickets.ticket_token(registration)


def organiser_cookie(event, live_server) -> dict:
    organiser = staff_member("gate-organiser", event=event, role=EventStaffRole.ORGANISER)
    return session_cookie(organiser, live_server)


def result_of(page) -> dict:
    return page.eval_on_selector(
        "#scan-result",
        "el => ({status: el.dataset.status, tone: el.dataset.tone, text: el.innerText})",
    )


def test_camera_scan_checks_in_then_says_already_checked_in(live_server, tmp_path, quiet_sms):
    event = live_fair()
    registration, token = registered(event, "张小三")
    cookie = organiser_cookie(event, live_server)
    video = write_y4m(tmp_path / "ticket.y4m", token)
    browser = CameraBrowser(video)
    phone = open_phone(browser, cookies=[cookie], permissions=["camera"])
    errors: list[str] = []
    try:

        def csp_violation(message):
            if "Content Security Policy" in message.text:
                errors.append(message.text)

        def scan(page):
            page.on("pageerror", lambda error: errors.append(str(error)))
            page.on("console", csp_violation)  # the page must work under its own CSP
            page.goto(f"{live_server.url}/scan/{event.pk}/")
            # The camera starts by itself (permission granted) and reads the code as it appears.
            page.wait_for_selector('#scan-result[data-status="checked_in"]', timeout=30_000)
            first = result_of(page)
            # The video loops: the same code again after the repeat guard is a second scan.
            page.wait_for_selector('#scan-result[data-status="already_checked_in"]', timeout=30_000)
            return first, result_of(page), page.evaluate(OVERFLOW_JS)

        first, second, overflow = phone.run(scan)
    finally:
        phone.close()
        browser.close()

    assert errors == []
    assert first["tone"] == "ok"
    assert "张*三" in first["text"]
    assert second["tone"] == "warn"
    assert "张*三" in second["text"]
    assert overflow <= 0
    checkins = CheckIn.objects.filter(registration=registration, undone_at__isnull=True)
    assert checkins.count() == 1
    assert ScanLog.objects.filter(registration=registration).count() >= 2


@pytest.mark.parametrize("typed", ["manual", "manual-lowercase", "token"])
def test_manual_entry_in_wechat(live_server, phone, quiet_sms, typed):
    """WeChat's browser gets the "open in the browser" notice and no camera, but typing works."""
    event = live_fair()
    registration, token = registered(event, "李四海")
    code = {
        "manual": tickets.manual_code(token),
        "manual-lowercase": tickets.manual_code(token).replace("-", "").lower(),
        "token": token,
    }[typed]
    cookie = organiser_cookie(event, live_server)  # the database: this thread
    phone.run(lambda page: page.context.add_cookies([cookie]))

    def type_code(page):
        page.goto(f"{live_server.url}/scan/{event.pk}/")
        notice = page.is_visible("#wechat-notice")
        page.fill("#manual-code", code)
        page.click("#manual-form button[type=submit]")
        page.wait_for_selector('#scan-result[data-status="checked_in"]', timeout=15_000)
        first = result_of(page)
        page.fill("#manual-code", code)
        page.click("#manual-form button[type=submit]")
        page.wait_for_selector('#scan-result[data-status="already_checked_in"]', timeout=15_000)
        page.fill("#manual-code", "ZZZZ-ZZZZ-ZZ")
        page.click("#manual-form button[type=submit]")
        page.wait_for_selector('#scan-result[data-status="unknown_code"]', timeout=15_000)
        return (
            notice,
            first,
            result_of(page),
            page.evaluate(SMALL_BUTTONS_JS),
            page.evaluate(OVERFLOW_JS),
            page.eval_on_selector("#camera", "video => Boolean(video.srcObject)"),
        )

    notice, first, unknown, small, overflow, camera_on = phone.run(type_code)
    assert notice and not camera_on
    assert first["tone"] == "ok" and "李*海" in first["text"]
    assert unknown["tone"] == "bad"
    assert CheckIn.objects.filter(registration=registration).count() == 1
    assert small == [], f"buttons under 48 px: {small}"
    assert overflow <= 0


def test_photo_search_undo_and_walk_in_at_the_organisers_desk(
    live_server, phone, quiet_sms, tmp_path
):
    event = live_fair(capacity=50)
    by_photo, _token = registered(event, "王小明")
    by_search, _token = registered(event, "赵大刚")
    photo = tmp_path / "ticket.png"
    photo.write_bytes(tickets.ticket_png(by_photo))  # the "save as image" ticket
    cookie = organiser_cookie(event, live_server)
    phone.run(lambda page: page.context.add_cookies([cookie]))
    tail = by_search.worker.phone[-4:]

    def desk(page):
        page.goto(f"{live_server.url}/scan/{event.pk}/")
        page.set_input_files("#photo-input", str(photo))
        page.wait_for_selector('#scan-result[data-status="checked_in"]', timeout=15_000)
        after_photo = result_of(page)

        page.fill("#search-input", tail)
        page.wait_for_selector("#search-results li button", timeout=10_000)
        found = page.inner_text("#search-results")
        page.click("#search-results li button")
        page.wait_for_selector('#scan-result[data-status="checked_in"]:has-text("赵*刚")')
        page.click("#undo-button")
        page.wait_for_selector('#scan-result[data-status="undone"]', timeout=10_000)
        undone = result_of(page)

        page.fill("#walkin-name", "钱多多")
        page.fill("#walkin-phone", "13912345678")
        page.click("#walkin-form button[type=submit]")
        page.wait_for_selector('#scan-result[data-status="checked_in"]:has-text("钱*多")')
        page.wait_for_function("document.getElementById('count-walk_ins').textContent === '1'")
        counts = {
            key: page.inner_text(f"#count-{key}")
            for key in ("checked_in", "registered", "walk_ins", "not_arrived")
        }
        return after_photo, found, undone, counts, page.input_value("#walkin-name")

    after_photo, found, undone, counts, name_left = phone.run(desk)
    assert "王*明" in after_photo["text"]
    assert "赵*刚" in found and tail in found
    assert undone["tone"] == "info"
    assert counts["checked_in"] == "2" and counts["walk_ins"] == "1"  # photo + walk-in
    assert name_left == ""  # the form is cleared for the next person
    assert CheckIn.objects.filter(registration=by_photo, undone_at__isnull=True).count() == 1
    assert CheckIn.objects.get(registration=by_search).undone_at is not None


def test_a_lost_request_is_sent_again_with_the_same_nonce(live_server, phone, quiet_sms):
    event = live_fair()
    registration, token = registered(event, "孙悟空")
    cookie = organiser_cookie(event, live_server)
    phone.run(lambda page: page.context.add_cookies([cookie]))
    bodies: list[dict] = []

    def drop_first(route):
        bodies.append(route.request.post_data_json)
        if len(bodies) == 1:
            route.abort("connectionreset")  # the answer is lost on a weak connection
        else:
            route.continue_()

    def scan(page):
        page.route("**/api/checkin/scan", drop_first)
        page.goto(f"{live_server.url}/scan/{event.pk}/")
        page.fill("#manual-code", tickets.manual_code(token))
        page.click("#manual-form button[type=submit]")
        page.wait_for_selector('#scan-result[data-status="checked_in"]', timeout=15_000)
        return result_of(page)

    assert phone.run(scan)["tone"] == "ok"
    assert len(bodies) == 2
    assert bodies[0]["nonce"] == bodies[1]["nonce"]
    assert len(bodies[0]["nonce"]) >= 8
    assert ScanLog.objects.filter(registration=registration).count() == 1


def test_paired_phone_keeps_its_token_out_of_the_url(live_server, phone, quiet_sms):
    event = live_fair()
    registration, token = registered(event, "周芷若")
    _device, device_token = services.create_scanner_device(
        event_id=event.pk, label="东门1号机", by=None
    )

    def pair_and_scan(page):
        page.goto(f"{live_server.url}/scan/device/?event={event.pk}")
        page.fill("#pairing-token", device_token)
        page.click("#pairing button[type=submit]")
        page.wait_for_selector("#scanner-app:not([hidden])")
        page.fill("#manual-code", tickets.manual_code(token))
        page.click("#manual-form button[type=submit]")
        page.wait_for_selector('#scan-result[data-status="checked_in"]', timeout=15_000)
        scanned = (result_of(page), page.url, page.inner_text("#scanner-event"))
        # A revoked or mistyped token sends the phone back to pairing.
        page.evaluate("localStorage.setItem('chunfeng.scanner.token', 'WRONG')")
        page.reload()
        page.wait_for_selector("#pairing:not([hidden]) #pairing-error:not([hidden])")
        return scanned, page.evaluate("localStorage.getItem('chunfeng.scanner.token')")

    (result, url, title), token_after = phone.run(pair_and_scan)
    assert result["tone"] == "ok" and "周*若" in result["text"]
    assert device_token not in url
    assert title == event.title
    assert token_after is None
    checkin = CheckIn.objects.get(registration=registration)
    assert checkin.device is not None and checkin.checked_by is None
