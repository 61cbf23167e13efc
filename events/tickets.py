"""Ticket tokens and their pictures: pure functions, no database writes.

The token is derived, never stored: 16 bytes of HMAC-SHA256(CHUNFENG_TICKET_KEY, "<id>:<version>")
in upper-case base32, 26 characters, which QR codes pack in alphanumeric mode (version 2 even at
error correction Q). Only its SHA-256 is kept (Registration.ticket_hash), so a database dump
cannot forge tickets; bumping ticket_version re-issues one (docs: engineering.md section 3).
"""

import base64
import hashlib
import hmac
import io
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

import cvttf_NotoSansCJK_Regular
import qrcode
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont
from qrcode.constants import ERROR_CORRECT_M, ERROR_CORRECT_Q

from events.models import Event, Registration

FONT_PATH = Path(cvttf_NotoSansCJK_Regular.__file__).with_name("NotoSansCJKtc-Regular.otf")
ERROR_CORRECTION = {"M": ERROR_CORRECT_M, "Q": ERROR_CORRECT_Q}
QUIET_ZONE = 4  # modules of white around the code, as the QR standard asks
SCREEN_MODULE_PX = 10  # the saved ticket image: at least 8 px per module on a phone screen
INLINE_MODULE_PX = 8  # the code on the page, shown at 264 CSS px (site.css .ticket-qr)
PDF_DPI = 300
A6_MM = (105, 148)
TOKEN_LENGTH = 26  # 128 bits in base32 without padding
MANUAL_CODE_LENGTH = 10


def ticket_token(registration: Registration) -> str:
    key = settings.CHUNFENG_TICKET_KEY
    if not key:
        raise ImproperlyConfigured("CHUNFENG_TICKET_KEY is not set.")
    # Event and worker identify a registration as well as its id does (one per pair), and are
    # known before the INSERT, so the hash is written with the row instead of in a second UPDATE.
    message = (
        f"{registration.event_id}:{registration.worker_id}:{registration.ticket_version}".encode()
    )
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()[:16]
    return base64.b32encode(digest).decode("ascii").rstrip("=")


def ticket_hash_for(token: str) -> str:
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def manual_code(token: str) -> str:
    """The first 10 characters in groups, for typing in when a code does not scan: 7Q4M-2X9K-JH."""
    head = token[:MANUAL_CODE_LENGTH]
    return f"{head[:4]}-{head[4:8]}-{head[8:]}"


def normalise_code(code: str) -> str:
    """Upper case without spaces and dashes: '7q4m-2x9k-jh' -> '7Q4M2X9KJH'."""
    return re.sub(r"[\s-]", "", code or "").upper()


def qr_image(token: str, error_correction: str = "M", *, module_px: int = SCREEN_MODULE_PX):
    """Black on white with a 4-module quiet zone; `module_px` pixels per module."""
    code = qrcode.QRCode(
        error_correction=ERROR_CORRECTION[error_correction],
        box_size=module_px,
        border=QUIET_ZONE,
    )
    code.add_data(token)
    code.make(fit=True)
    return code.make_image(fill_color="black", back_color="white").get_image().convert("L")


def qr_png(token: str, error_correction: str = "M") -> bytes:
    return _png(qr_image(token, error_correction, module_px=INLINE_MODULE_PX))


def when_text(event: Event) -> str:
    """'2026-03-02 09:00–12:00' on one day, '2026-03-02 09:00 – 2026-03-04 17:00' across days."""
    start, end = timezone.localtime(event.starts_at), timezone.localtime(event.ends_at)
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"


@cache
def _font(size: int) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(str(FONT_PATH), size)


def _wrap(text: str, font: ImageFont.FreeTypeFont, width: int, max_lines: int) -> list[str]:
    """Greedy wrapping by character (Chinese has no spaces), preferring a space for Latin text."""
    lines: list[str] = []
    line = ""
    for char in text:
        if font.getlength(line + char) <= width:
            line += char
            continue
        cut = line.rfind(" ")
        if cut > 0:
            lines.append(line[:cut])
            line = line[cut + 1 :] + char
        else:
            lines.append(line)
            line = char
    lines.append(line)
    if len(lines) > max_lines:
        lines = lines[:max_lines]
        lines[-1] = lines[-1][:-1] + "…"
    return [line.strip() for line in lines]


def _ticket_lines(registration: Registration) -> list[tuple[str, str]]:
    event = registration.event
    return [
        (_("When"), when_text(event)),
        (_("Where"), f"{event.venue}, {event.address}"),
        (_("Name"), registration.worker.masked_name),
    ]


def _draw_ticket(
    registration: Registration,
    *,
    width: int,
    unit: int,
    module_px: int,
    error_correction: str,
    height: int | None = None,
) -> Image.Image:
    """The ticket as a greyscale picture; `unit` scales type and spacing (1 unit ≈ 1 px on screen)."""
    token = ticket_token(registration)
    pad = 24 * unit
    text_width = width - 2 * pad
    small, body, title_font, code_font = (
        _font(18 * unit),
        _font(22 * unit),
        _font(30 * unit),
        _font(40 * unit),
    )
    qr = qr_image(token, error_correction, module_px=module_px)

    # Lay out first, then size the canvas: a long title or venue only makes the ticket taller.
    lines = [(settings.WAGTAIL_SITE_NAME, small)]
    lines += [
        (line, title_font) for line in _wrap(registration.event.title, title_font, text_width, 3)
    ]
    for label, value in _ticket_lines(registration):
        lines += [(line, body) for line in _wrap(f"{label}: {value}", body, text_width, 3)]
    line_gap = 8 * unit
    text_height = sum(font.size + line_gap for _text, font in lines)
    code_text = manual_code(token)
    content_height = pad + text_height + 12 * unit + qr.height + code_font.size + 2 * pad
    canvas = Image.new("L", (width, max(height or 0, content_height)), 255)
    draw = ImageDraw.Draw(canvas)

    y = pad
    for text, font in lines:
        draw.text((pad, y), text, font=font, fill=0)
        y += font.size + line_gap
    y += 12 * unit
    canvas.paste(qr, ((width - qr.width) // 2, y))
    y += qr.height
    code_width = draw.textlength(code_text, font=code_font)
    draw.text(((width - code_width) / 2, y), code_text, font=code_font, fill=0)
    return canvas


def ticket_image(registration: Registration) -> Image.Image:
    """The phone ticket ("save as image"): QR at error correction M, 10 px per module."""
    return _draw_ticket(
        registration, width=540, unit=1, module_px=SCREEN_MODULE_PX, error_correction="M"
    )


def ticket_png(registration: Registration) -> bytes:
    return _png(ticket_image(registration))


def ticket_pdf_pages(registrations: Iterable[Registration]) -> list[Image.Image]:
    """A6 pages at 300 dpi, QR at error correction Q (folded, wet, smudged paper)."""
    width, height = (round(mm / 25.4 * PDF_DPI) for mm in A6_MM)
    return [
        # 20 px per module at 300 dpi is 1.7 mm: a 56 mm code, easy for cheap phone cameras.
        _draw_ticket(
            registration,
            width=width,
            height=height,
            unit=2,
            module_px=20,
            error_correction="Q",
        ).crop((0, 0, width, height))
        for registration in registrations
    ]


def ticket_pdf(registrations: Iterable[Registration]) -> bytes:
    """One ticket per A6 page, for coordinators to print. Pages are 1-bit images, which Pillow
    stores losslessly (CCITT G4), so the codes stay sharp."""
    pages = [
        page.convert("1", dither=Image.Dither.NONE) for page in ticket_pdf_pages(registrations)
    ]
    if not pages:
        raise ValueError("No registrations to print.")
    buffer = io.BytesIO()
    pages[0].save(buffer, format="PDF", save_all=True, append_images=pages[1:], resolution=PDF_DPI)
    return buffer.getvalue()


def _png(image: Image.Image) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
