"""Helpers for tests of the worker's own pages: ID numbers with real check digits, sign-in."""

import re

from django.urls import reverse
from stdnum.cn import ric

from trainees.models import OutboundMessage

PHONE = "13800138000"
OTHER_PHONE = "13900139000"


def make_id_number(*, county: str = "450102", birth: str = "19900307", serial: str = "123") -> str:
    """A valid 18-character ID number: the check digit is computed (ISO 7064 MOD 11-2).

    stdnum's calc_check_digit reads all but the last character, so it gets a placeholder."""
    body = f"{county}{birth}{serial}"
    return body + ric.calc_check_digit(body + "?")


def wrong_check_digit(number: str) -> str:
    right = number[-1]
    return number[:-1] + ("0" if right != "0" else "1")


def latest_code(phone: str = PHONE) -> str:
    """The code in the newest sign-in SMS waiting in the outbox for this phone."""
    message = OutboundMessage.objects.filter(phone=phone, kind="login_code").latest("pk")
    return re.search(r"(?<!\d)\d{6}(?!\d)", message.body).group()


def ask_for_code(client, phone: str = PHONE, **extra):
    return client.post(reverse("trainees:signin"), {"phone": phone}, **extra)


def sign_in(client, phone: str = PHONE):
    """Sign in through the real pages: ask for a code, read it from the outbox, enter it."""
    ask_for_code(client, phone)
    response = client.post(reverse("trainees:signin_code"), {"code": latest_code(phone)})
    assert response.status_code == 302, response.content.decode()[:2000]
    return response


PROFILE_DATA = {
    "name": "韦小宝",
    "residence": "南宁市兴宁区民生街道",
    "education": "junior",
    "employment_status": "unemployed",
    "skills": "电焊",
    "certificates": "焊工四级",
    "intended_trade": "电焊工",
    "intended_place": "南宁市",
    "expected_pay": "5000",
    "privacy_consent": "on",
}


def profile_data(**overrides) -> dict:
    data = {**PROFILE_DATA, **overrides}
    return {key: value for key, value in data.items() if value is not None}
