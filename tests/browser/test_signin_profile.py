"""A worker on a 360 px phone in WeChat: SMS sign-in, then the profile, end to end.

The code is read from the SMS file the FileBackend writes; the outbox delivery runs through
Celery, eagerly here (the live server is a thread of this process, so the settings apply).
"""

import json
import re
import time
from pathlib import Path

import pytest

from tests.browser.conftest import Phone
from tests.factories import XINGNING, RegionFactory
from tests.trainees.signin_helpers import PHONE, make_id_number
from trainees.models import ConsentKind, Region, RegionLevel, Worker

pytestmark = [
    pytest.mark.services,
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
]

ID_NUMBER = make_id_number()
TOWNSHIP = ("450102001000", "民生街道")
VILLAGE = ("450102001001", "民生社区")

# As in test_mobile_layout: tappable elements under 44 px high (checkboxes count by their label).
SMALL_TARGETS_JS = """
() => [...document.querySelectorAll('a, button, input, select, summary, textarea')]
  .filter(el => !el.closest('.prose, .pre, .skip-link, .visually-hidden, .site-footer p, #wagtail-userbar'))
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .map(el => (el.type === 'checkbox' || el.type === 'radio') && el.closest('label') ? el.closest('label') : el)
  .map(el => ({html: el.outerHTML.slice(0, 120), rect: el.getBoundingClientRect()}))
  .filter(({rect}) => rect.height < 44 || rect.width < 24)
  .map(({html, rect}) => `${Math.round(rect.width)}x${Math.round(rect.height)} ${html}`)
"""
OVERFLOW_JS = "document.documentElement.scrollWidth - window.innerWidth"


@pytest.fixture
def sms_file(settings, tmp_path) -> Path:
    path = tmp_path / "sms.jsonl"
    settings.CHUNFENG_SMS_FILE_PATH = str(path)
    settings.CELERY_TASK_ALWAYS_EAGER = True
    return path


@pytest.fixture
def regions():
    township = RegionFactory(code=TOWNSHIP[0], name=TOWNSHIP[1])
    Region.objects.create(
        code=VILLAGE[0], name=VILLAGE[1], level=RegionLevel.VILLAGE, parent=township
    )


def read_code(path: Path, phone: str, *, seconds: float = 15) -> str:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if path.exists():
            for line in reversed(path.read_text(encoding="utf-8").splitlines()):
                message = json.loads(line)
                if message["phone"] == phone:
                    return re.search(r"(?<!\d)\d{6}(?!\d)", message["body"]).group()
        time.sleep(0.2)
    raise AssertionError(f"no SMS for {phone} in {path}")


def check_layout(page, label: str) -> None:
    overflow = page.evaluate(OVERFLOW_JS)
    small = page.evaluate(SMALL_TARGETS_JS)
    assert overflow <= 0, f"{label} scrolls sideways by {overflow}px at 360px"
    assert small == [], f"{label} has tap targets under 44px: {small}"


def test_sign_in_by_sms_and_fill_in_the_profile(live_server, phone, sms_file, regions):
    base = live_server.url

    def ask_for_code(page):
        page.goto(base + "/account/profile/")
        assert "/account/signin/?next=/account/profile/" in page.url
        check_layout(page, "sign-in page")
        page.fill("input[name=phone]", PHONE)
        page.click("form.panel button[type=submit]")
        page.wait_for_url("**/account/signin/code/**")
        check_layout(page, "code page")
        return {
            "wait": page.inner_text("#resend-wait"),
            "resend_disabled": page.is_disabled("#resend-button"),
            "phone_shown": PHONE[:3] + "****" + PHONE[-4:] in page.content(),
        }

    state = phone.run(ask_for_code)
    assert re.search(r"\d+", state["wait"]), "the wait for a new code is shown as text"
    assert state["resend_disabled"]
    assert state["phone_shown"]

    code = read_code(sms_file, PHONE)

    def enter_code_and_fill_profile(page):
        page.fill("input[name=code]", code)
        page.click("form.panel button[type=submit]")
        page.wait_for_url("**/account/profile/")
        check_layout(page, "profile form")
        hidden_before = not page.is_visible("input[name=special_groups][value=veteran]")
        page.check("input[name=privacy_consent]")
        page.fill("input[name=name]", "韦小宝")
        page.fill("input[name=id_number]", ID_NUMBER)
        # The cascading picker: each choice loads the next list from /account/regions/.
        assert not page.is_visible("button[name=step]"), "step buttons are for no-JS only"
        page.select_option("select[name=county]", XINGNING)
        page.wait_for_selector(
            f"select[name=township] option[value='{TOWNSHIP[0]}']", state="attached"
        )
        page.select_option("select[name=township]", TOWNSHIP[0])
        page.wait_for_selector(
            f"select[name=village] option[value='{VILLAGE[0]}']", state="attached"
        )
        page.select_option("select[name=village]", VILLAGE[0])
        page.fill("input[name=residence]", "南宁市兴宁区民生街道")
        page.select_option("select[name=employment_status]", "unemployed")
        page.select_option("select[name=education]", "junior")
        page.fill("input[name=intended_trade]", "电焊工")
        page.fill("input[name=expected_pay]", "5000")
        page.check("input[name=special_groups_consent]")
        shown_after = page.is_visible("input[name=special_groups][value=veteran]")
        page.check("input[name=special_groups][value=migrant_worker]")
        page.click("button.primary[name=save]")
        page.wait_for_url("**/account/my-data/")
        check_layout(page, "my data page")
        return {
            "hidden_before": hidden_before,
            "shown_after": shown_after,
            "html": page.content(),
            "saved": page.inner_text(".messages"),
        }

    result = phone.run(enter_code_and_fill_profile)

    assert result["hidden_before"], "special groups are asked only after their consent"
    assert result["shown_after"]
    assert result["saved"].strip()
    worker = Worker.objects.get(phone=PHONE)
    assert worker.name == "韦小宝"
    assert worker.user.username == f"w{PHONE}"
    assert worker.hukou_region.code == VILLAGE[0]
    assert worker.birth_date.isoformat() == "1990-03-07"
    assert list(worker.special_groups.values_list("group", flat=True)) == ["migrant_worker"]
    assert set(worker.consents.values_list("kind", flat=True)) == {
        ConsentKind.PRIVACY_NOTICE,
        ConsentKind.SPECIAL_GROUPS,
    }
    assert "韦小宝" in result["html"]
    assert worker.id_number_masked in result["html"]
    assert ID_NUMBER not in result["html"]


def test_the_region_picker_works_without_javascript(live_server, browser, sms_file, regions):
    page = browser.new_page(
        viewport={"width": 360, "height": 740}, is_mobile=True, java_script_enabled=False
    )
    device = Phone(browser, page)
    base = live_server.url

    def sign_in(page):
        page.goto(base + "/account/signin/?next=/account/profile/")
        page.fill("input[name=phone]", PHONE)
        page.click("form.panel button[type=submit]")
        page.wait_for_url("**/account/signin/code/**")

    def pick_and_save(page):
        page.fill("input[name=code]", read_code(sms_file, PHONE))
        page.click("form.panel button[type=submit]")
        page.wait_for_url("**/account/profile/")
        page.fill("input[name=name]", "韦小宝")
        page.select_option("select[name=county]", XINGNING)
        page.click("button[name=step][value=county]")
        page.wait_for_selector(
            f"select[name=township] option[value='{TOWNSHIP[0]}']", state="attached"
        )
        typed_name_kept = page.input_value("input[name=name]")
        page.select_option("select[name=township]", TOWNSHIP[0])
        page.click("button[name=step][value=township]")
        page.wait_for_selector(
            f"select[name=village] option[value='{VILLAGE[0]}']", state="attached"
        )
        page.select_option("select[name=village]", VILLAGE[0])
        check_layout(page, "profile form without JavaScript")
        page.check("input[name=privacy_consent]")
        page.click("button.primary[name=save]")
        page.wait_for_url("**/account/my-data/")
        return typed_name_kept

    try:
        device.run(sign_in)
        assert device.run(pick_and_save) == "韦小宝"
    finally:
        device.close()
    assert Worker.objects.get(phone=PHONE).hukou_region.code == VILLAGE[0]
