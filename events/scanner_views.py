"""The check-in scanner: a mobile web page for gate staff (docs: engineering.md section 1).

Two ways in, one page and one script (static/js/scanner.js):

* /scan/<event_id>/ for a signed-in staff account with a role at the event (or a superuser); the
  page talks to the check-in API with the Django session and the CSRF header;
* /scan/device/ for a phone given a scanner-device token: the organiser pastes the token once,
  the script keeps it in localStorage and sends it as a Bearer header. It never goes in a URL.

The pages only render; every check-in decision is the API's (events/api.py). UI strings are
translated here and handed to the script in a json_script block, so the script holds no text
and the page needs no inline script: a strict Content-Security-Policy is set on it.
"""

from django.conf import settings
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import PermissionDenied
from django.middleware.csrf import get_token
from django.shortcuts import get_object_or_404, render
from django.templatetags.static import static
from django.urls import reverse
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from events import selectors
from events.models import (
    Direction,
    Event,
    EventKind,
    EventStaffRole,
    RegistrationStatus,
    ScanResult,
)

API_BASE = "/api/checkin/"
VENDOR = "vendor/barcode-detector-3.2.2/"
# 'wasm-unsafe-eval' lets the zxing decoder compile its WebAssembly; nothing else is relaxed.
# blob: images are the photo fallback; media from the camera is a MediaStream, not a URL.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self' 'wasm-unsafe-eval'",
        "style-src 'self'",
        "img-src 'self' blob: data:",
        "connect-src 'self'",
        "object-src 'none'",
        "base-uri 'none'",
        "form-action 'self'",
        "frame-ancestors 'none'",
    ]
)


def _strings() -> dict[str, object]:
    """Everything the script shows, translated for the request's language."""
    return {
        "cameraStart": _("Start camera"),
        "cameraStop": _("Stop camera"),
        "cameraStarting": _("Opening the camera…"),
        "cameraDenied": _(
            "The camera could not be opened. Allow camera access in the browser settings, "
            "or type the code below."
        ),
        "cameraUnsupported": _(
            "This browser cannot use the camera here. Type the code or take a photo instead."
        ),
        "cameraOff": _("Camera off."),
        "scannerLoading": _("Loading the scanner…"),
        "scannerFailed": _("The scanner could not load. Type the code or search by name."),
        "ready": _("Point the camera at the QR code on the ticket."),
        "sending": _("Checking…"),
        "networkRetry": _("No connection, trying again…"),
        "networkFailed": _("Not sent: no connection. Tap “Try again”."),
        "serverError": _("The server did not answer properly. Try again."),
        "photoNoCode": _("No QR code found in the photo. Take it closer, or type the code."),
        "firstScan": _("First scanned"),
        "sessionAuto": _("Current session (automatic)"),
        "sessionNow": _("now"),
        "searchEmpty": _("Nobody found."),
        "searchFailed": _("The search did not work. Try again."),
        "phoneTail": _("phone ending"),
        "checkIn": _("Check in"),
        "tokenRejected": _("This device token was not accepted. Paste a new one."),
        "undone": _("Check-in undone"),
        "results": {value: str(label) for value, label in ScanResult.choices},
        "registration": {value: str(label) for value, label in RegistrationStatus.choices},
    }


def _page(request, *, mode: str, event: Event | None, role: str | None):
    organiser = role == EventStaffRole.ORGANISER
    config = {
        "mode": mode,
        "event": event.pk if event else None,
        "api": API_BASE,
        "csrfToken": get_token(request) if mode == "session" else "",
        "wasmUrl": static(VENDOR + "zxing_reader.wasm"),
        "language": get_language(),
        "timeZone": settings.TIME_ZONE,
        "canChooseSession": organiser,
        "canWalkIn": organiser,
        "strings": _strings(),
    }
    context = {
        "event": event,
        "mode": mode,
        "role": role,
        "can_walk_in": organiser,
        "show_direction": event is not None and event.kind == EventKind.TRAINING,
        "directions": Direction.choices,
        "vendor": VENDOR,
        "config": config,
    }
    response = render(request, "events/scanner/scanner.html", context)
    response["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    # Say what the page needs: the camera here, nothing else, for no other origin.
    response["Permissions-Policy"] = "camera=(self), microphone=(), geolocation=()"
    return response


@never_cache
@require_GET
def scanner(request, event_id: int):
    """The scanner for a signed-in organiser or scanner account."""
    if not request.user.is_authenticated:
        # Staff sign in with a password in the Wagtail admin; workers' SMS sign-in is elsewhere.
        return redirect_to_login(request.get_full_path(), reverse("wagtailadmin_login"))
    event = get_object_or_404(Event, pk=event_id)
    role = selectors.event_role(user=request.user, event_id=event.pk)
    if role is None:
        raise PermissionDenied
    return _page(request, mode="session", event=event, role=role)


@never_cache
@require_GET
def device(request):
    """The scanner for a paired phone. ?event=<id> only names the event (an id is no secret);
    without it the script takes the event from the pairing kept on the phone."""
    event = None
    if (event_id := request.GET.get("event", "")).isdigit():
        # Only live events: an anonymous visitor may see a title, never a draft's.
        event = Event.objects.filter(pk=int(event_id), live=True).first()
    return _page(request, mode="device", event=event, role=EventStaffRole.SCANNER)
