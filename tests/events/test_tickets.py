"""Ticket tokens and pictures: every PNG and PDF page scans back to its token with zxing-cpp, also
after the damage a phone camera or a cheap printer does (2 px per module, JPEG q20, 15° tilt)."""

import hashlib
import io
import re
import shutil
import subprocess

import pytest
import zxingcpp
from django.test import override_settings
from PIL import Image, ImageFont

from events import services, tickets
from events.models import Registration
from tests.factories import make_worker, open_event

pytestmark = pytest.mark.django_db

BASE32 = re.compile(r"^[A-Z2-7]{26}$")


def decode(image: Image.Image) -> list[str]:
    return [
        result.text
        for result in zxingcpp.read_barcodes(image, formats=zxingcpp.BarcodeFormat.QRCode)
    ]


def to_2px_per_module(image: Image.Image, module_px: float) -> Image.Image:
    factor = 2 / module_px
    size = (round(image.width * factor), round(image.height * factor))
    return image.convert("L").resize(size, Image.Resampling.BILINEAR)


def to_jpeg_q20(image: Image.Image) -> Image.Image:
    buffer = io.BytesIO()
    image.convert("L").save(buffer, format="JPEG", quality=20)
    return Image.open(io.BytesIO(buffer.getvalue()))


def rotated_15(image: Image.Image) -> Image.Image:
    return image.convert("L").rotate(15, expand=True, fillcolor=255)


def degraded(image: Image.Image, module_px: int) -> dict[str, Image.Image]:
    return {
        "2 px per module": to_2px_per_module(image, module_px),
        "JPEG quality 20": to_jpeg_q20(image),
        "rotated 15°": rotated_15(image),
        # Together, at 2 px per module, JPEG q20 is at the edge of what any decoder reads;
        # a phone photo of a screen has at least 3.
        "all three at 3 px per module": rotated_15(
            to_jpeg_q20(to_2px_per_module(image, module_px * 2 / 3))
        ),
    }


@pytest.fixture
def registrations():
    event = open_event(
        capacity=10,
        title="2026年春风行动电焊工（中级）技能提升培训班第三期——面向农村转移劳动力的免费培训",
        venue="南宁市第一职业技术学校实训楼",
    )
    names = ["张三丰", "欧阳娜娜", "李四"]
    return [
        services.register(
            event_id=event.pk, worker_id=make_worker(name=name).pk, channel="self"
        ).registration
        for name in names
    ]


# Token -------------------------------------------------------------------------------------------


def test_the_token_is_26_base32_characters_derived_from_id_and_version(registrations):
    registration = registrations[0]
    token = tickets.ticket_token(registration)
    assert BASE32.match(token)
    assert tickets.ticket_token(Registration.objects.get(pk=registration.pk)) == token
    registration.ticket_version += 1
    assert tickets.ticket_token(registration) != token
    assert len({tickets.ticket_token(r) for r in registrations}) == 3


def test_the_token_depends_on_the_key(registrations):
    token = tickets.ticket_token(registrations[0])
    with override_settings(CHUNFENG_TICKET_KEY="another-key"):
        assert tickets.ticket_token(registrations[0]) != token


def test_only_the_hash_is_stored(registrations):
    registration = registrations[0]
    token = tickets.ticket_token(registration)
    assert registration.ticket_hash == hashlib.sha256(token.encode()).hexdigest()
    assert not Registration.objects.filter(ticket_hash=token).exists()


def test_the_manual_code_is_the_first_ten_characters_in_groups():
    assert tickets.manual_code("7Q4M2X9KJHABCDEFGHIJKLMNOP") == "7Q4M-2X9K-JH"


# QR codes ----------------------------------------------------------------------------------------


@pytest.mark.parametrize("level", ["M", "Q"])
def test_the_code_is_version_2_with_a_quiet_zone_and_scans(registrations, level):
    token = tickets.ticket_token(registrations[0])
    image = tickets.qr_image(token, level, module_px=8)
    # 25 modules (version 2) plus 4 white modules on each side.
    assert image.size == (33 * 8, 33 * 8)
    assert image.getpixel((0, 0)) == 255 and image.getpixel((4 * 8, 4 * 8)) == 0
    assert decode(image) == [token]


def test_the_inline_png_scans(registrations):
    token = tickets.ticket_token(registrations[0])
    image = Image.open(io.BytesIO(tickets.qr_png(token)))
    assert image.width >= 33 * 8
    assert decode(image) == [token]


# The phone ticket --------------------------------------------------------------------------------


def test_every_ticket_png_scans_also_when_degraded(registrations):
    for registration in registrations:
        token = tickets.ticket_token(registration)
        image = Image.open(io.BytesIO(tickets.ticket_png(registration)))
        assert image.format == "PNG"
        assert decode(image) == [token]
        for damage, picture in degraded(image, tickets.SCREEN_MODULE_PX).items():
            assert decode(picture) == [token], f"{registration.worker.name}: {damage}"


def test_the_font_draws_chinese_characters():
    font = ImageFont.truetype(str(tickets.FONT_PATH), 40)
    shapes = {bytes(font.getmask(char)) for char in "报名春风"}
    missing = font.getmask("\uffff")  # a code point no font has: drawn as the missing glyph
    assert len(shapes) == 4
    assert bytes(missing) not in shapes


def test_the_ticket_shows_the_masked_name_not_the_full_name(registrations, monkeypatch):
    drawn = []
    original = tickets.ImageDraw.ImageDraw.text

    def spy(self, xy, text, *args, **kwargs):
        drawn.append(text)
        return original(self, xy, text, *args, **kwargs)

    monkeypatch.setattr(tickets.ImageDraw.ImageDraw, "text", spy)
    registration = registrations[1]
    tickets.ticket_png(registration)
    text = "\n".join(drawn)
    assert "欧**娜" in text
    assert "欧阳娜娜" not in text
    assert tickets.manual_code(tickets.ticket_token(registration)) in drawn
    assert tickets.when_text(registration.event) in text


# The printed ticket ------------------------------------------------------------------------------


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="poppler-utils is not installed")
def test_every_pdf_page_scans_also_when_degraded(registrations, tmp_path):
    pdf = tmp_path / "tickets.pdf"
    pdf.write_bytes(tickets.ticket_pdf(registrations))
    subprocess.run(["pdftoppm", "-r", "150", "-png", str(pdf), str(tmp_path / "page")], check=True)
    pages = sorted(tmp_path.glob("page-*.png"))
    assert len(pages) == len(registrations), "one A6 page per ticket"
    for page_file, registration in zip(pages, registrations, strict=True):
        token = tickets.ticket_token(registration)
        page = Image.open(page_file)
        # A6 is 105 x 148 mm: 620 x 874 px at 150 dpi.
        assert abs(page.width - 620) <= 2 and abs(page.height - 874) <= 2
        assert decode(page) == [token]
        module_px = 20 * 150 // tickets.PDF_DPI  # 20 px per module at 300 dpi
        for damage, picture in degraded(page, module_px).items():
            assert decode(picture) == [token], f"page {page_file.name}: {damage}"


def test_the_pdf_needs_a_registration():
    with pytest.raises(ValueError):
        tickets.ticket_pdf([])
