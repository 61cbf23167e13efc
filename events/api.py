"""The check-in JSON API for the scanner page (docs/checkin-api.md, docs/checkin-openapi.json).

Thin: each view authenticates, validates the JSON and calls events.services / events.selectors.
Two ways to authenticate:

* a staff account's Django session, with the CSRF token in the X-CSRFToken header: superusers
  and the event's EventStaff (organiser or scanner);
* a scanner device: `Authorization: Bearer <token>`, valid for its own event only, never for
  walk-ins.

Errors are JSON too: {"status": "error", "code": "...", "message": "..."} with 400, 401, 403,
404, 405 or 409. Names are masked and phones cut to their last four digits; ID numbers never
leave the server.
"""

import datetime
import functools
import json
from collections.abc import Callable
from dataclasses import dataclass

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest, JsonResponse
from django.middleware.csrf import CsrfViewMiddleware
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from events import selectors, services
from events.api_support import ApiError, error_response, json_errors, json_response
from events.models import (
    Direction,
    Event,
    EventStaffRole,
    ScanLog,
    ScannerDevice,
    ScanResult,
    Session,
)

MAX_BODY_BYTES = 16 * 1024
MAX_GATE_LENGTH = 60
MAX_QUERY_LENGTH = 50


@dataclass(frozen=True)
class Caller:
    """Who is asking: a staff user (with their role at the event, once known) or a device."""

    user: AbstractBaseUser | None = None
    device: ScannerDevice | None = None
    role: str | None = None


class _CsrfCheck(CsrfViewMiddleware):
    def _reject(self, request, reason):
        return reason


def _csrf_problem(request: HttpRequest) -> str | None:
    check = _CsrfCheck(lambda _request: None)
    check.process_request(request)
    return check.process_view(request, None, (), {})


def api_view(*methods: str) -> Callable:
    """JSON errors for everything, method check, and authentication (identity only: which
    event the caller may act on is checked by each view once it knows the event)."""

    def decorate(view: Callable) -> Callable:
        @csrf_exempt  # checked below for session callers; a bearer token is not a cookie
        @functools.wraps(view)
        @json_errors
        def wrapper(request: HttpRequest, *args, **kwargs):
            if request.method not in methods:
                response = error_response(405, "method_not_allowed", _("Method not allowed."))
                response["Allow"] = ", ".join(methods)
                return response
            return view(request, _authenticate(request), *args, **kwargs)

        return wrapper

    return decorate


def _authenticate(request: HttpRequest) -> Caller:
    header = request.META.get("HTTP_AUTHORIZATION", "")  # request.headers would parse them all
    if header:
        scheme, _space, token = header.partition(" ")
        if scheme.lower() != "bearer" or not token.strip():
            raise ApiError(401, "unauthorized", _("Use 'Authorization: Bearer <device token>'."))
        device = services.authenticate_device(token=token.strip())
        if device is None:
            raise ApiError(
                401, "unauthorized", _("This device token is unknown or has been revoked.")
            )
        return Caller(device=device)
    user = request.user
    if not user.is_authenticated or not user.is_active:
        raise ApiError(401, "unauthorized", _("Sign in, or pair this device with its token."))
    if request.method not in ("GET", "HEAD", "OPTIONS") and _csrf_problem(request):
        raise ApiError(403, "csrf", _("The CSRF token is missing or wrong. Reload the page."))
    return Caller(user=user)


def _authorise(caller: Caller, event_id: int, *, organiser_only: bool = False) -> Caller:
    """The caller with their role at this event, or 403 (404 for a superuser's unknown event)."""
    if caller.device is not None:
        if organiser_only:
            raise ApiError(403, "forbidden", _("Scanner devices cannot register walk-ins."))
        if caller.device.event_id != event_id:
            raise ApiError(403, "forbidden", _("This device is paired with another event."))
        return caller
    role = selectors.event_role(user=caller.user, event_id=event_id)
    if role is None:
        raise ApiError(403, "forbidden", _("You have no role at this event."))
    if organiser_only and role != EventStaffRole.ORGANISER:
        raise ApiError(403, "forbidden", _("Only the event's organisers can register walk-ins."))
    if not Event.objects.filter(pk=event_id).exists():
        raise ApiError(404, "not_found", _("There is no such event."))
    return Caller(user=caller.user, role=role)


# Input -------------------------------------------------------------------------------------------


def _body(request: HttpRequest) -> dict:
    if len(request.body) > MAX_BODY_BYTES:
        raise ApiError(400, "bad_request", _("The request is too large."))
    try:
        data = json.loads(request.body or b"{}")
    except (ValueError, UnicodeDecodeError) as error:
        raise ApiError(400, "bad_request", _("The body must be JSON.")) from error
    if not isinstance(data, dict):
        raise ApiError(400, "bad_request", _("The body must be a JSON object."))
    return data


def _integer(value, field: str, *, required: bool = True) -> int | None:
    if value is None and not required:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        if isinstance(value, str) and value.isdigit():
            return int(value)
        raise ApiError(
            400, "bad_request", _("'%(field)s' must be a whole number.") % {"field": field}
        )
    return value


def _text(data: dict, field: str, *, max_length: int, required: bool = False) -> str:
    value = data.get(field, "")
    if value is None:
        value = ""
    if not isinstance(value, str):
        raise ApiError(400, "bad_request", _("'%(field)s' must be text.") % {"field": field})
    value = value.strip()
    if required and not value:
        raise ApiError(400, "bad_request", _("'%(field)s' is required.") % {"field": field})
    if len(value) > max_length:
        raise ApiError(
            400,
            "bad_request",
            _("'%(field)s' is longer than %(max)s characters.")
            % {"field": field, "max": max_length},
        )
    return value


def _moment(value) -> datetime.datetime | None:
    if value in (None, ""):
        return None
    parsed = parse_datetime(value) if isinstance(value, str) else None
    if parsed is None:
        raise ApiError(
            400, "bad_request", _("'scanned_at' must be an ISO 8601 date and time, or null.")
        )
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def _validation_message(error: ValidationError) -> str:
    return " ".join(str(message) for message in error.messages)


# Output ------------------------------------------------------------------------------------------


def _iso(moment: datetime.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def _session_json(session: Session | None) -> dict | None:
    if session is None:
        return None
    return {
        "id": session.pk,
        "title": str(session),
        "starts_at": _iso(session.starts_at),
        "ends_at": _iso(session.ends_at),
    }


def _scan_json(outcome: services.ScanOutcome, *, counters: selectors.Counters) -> dict:
    first = outcome.checkin
    show_first = first is not None and outcome.result in services.FIRST_SCAN_RESULTS
    return {
        "status": outcome.result,
        "message": outcome.message,
        "name": outcome.name,
        "first_at": _iso(first.scanned_at) if show_first else None,
        "first_gate": first.gate if show_first else "",
        "session": _session_json(outcome.session),
        "scan_id": outcome.scan.pk,
        "undo_until": _iso(outcome.undo_until),
        "counters": counters.as_dict(),
    }


# Views -------------------------------------------------------------------------------------------


@api_view("POST")
def scan(request: HttpRequest, caller: Caller) -> JsonResponse:
    """Sign a ticket in or out: by QR token or manual code ("code"), or by "registration" id."""
    data = _body(request)
    event_id = _integer(data.get("event"), "event")
    caller = _authorise(caller, event_id)
    session_id = _integer(data.get("session"), "session", required=False)
    registration_id = _integer(data.get("registration"), "registration", required=False)
    code = _text(data, "code", max_length=100)
    if not code and registration_id is None:
        raise ApiError(400, "bad_request", _("Send a 'code' or a 'registration'."))
    direction = data.get("direction") or Direction.IN
    if direction not in Direction.values:
        raise ApiError(400, "bad_request", _("'direction' must be 'in' or 'out'."))
    try:
        outcome = services.check_in(
            code=code,
            registration_id=registration_id if not code else None,
            event_id=event_id,
            session_id=session_id,
            direction=direction,
            gate=_text(data, "gate", max_length=MAX_GATE_LENGTH),
            nonce=data.get("nonce"),
            scanned_at=_moment(data.get("scanned_at")),
            device=caller.device,
            user=caller.user,
        )
    except services.BadScan as error:
        raise ApiError(400, error.code, error.message) from error
    signed_in = outcome.result == ScanResult.CHECKED_IN and not outcome.replayed
    counters = selectors.scan_counters(
        event_id=event_id,
        session_id=outcome.session.pk if outcome.session else None,
        signed_in=outcome.registration if signed_in else None,
        at=timezone.now(),
    )
    return json_response(_scan_json(outcome, counters=counters))


@api_view("POST")
def undo(request: HttpRequest, caller: Caller) -> JsonResponse:
    """Undo the check-in a scan made, within 15 minutes. Devices and scanner accounts undo their
    own scans; organisers any scan of their event."""
    data = _body(request)
    scan_id = _integer(data.get("scan_id"), "scan_id")
    scan = ScanLog.objects.filter(pk=scan_id).only("event_id", "device_id", "user_id").first()
    if scan is None:
        raise ApiError(404, "not_found", _("There is no such scan."))
    caller = _authorise(caller, scan.event_id)
    own = (caller.device is not None and scan.device_id == caller.device.pk) or (
        caller.user is not None and scan.user_id == caller.user.pk
    )
    if not own and caller.role != EventStaffRole.ORGANISER:
        raise ApiError(403, "forbidden", _("You can only undo your own scans."))
    outcome = services.undo_check_in(scan_log_id=scan_id, by=caller.user, device=caller.device)
    return json_response({"status": outcome.status, "message": outcome.message})


@api_view("GET")
def counters(request: HttpRequest, caller: Caller) -> JsonResponse:
    """Counters for a session (the given one, else the one open now) and the event's sessions
    with the one open now marked `current`."""
    event_id = _integer(request.GET.get("event"), "event")
    _authorise(caller, event_id)
    event = Event.objects.get(pk=event_id)
    sessions = selectors.event_sessions(event_id=event_id)
    current = selectors.session_at(
        sessions=sessions, rules=selectors.attendance_rules(event=event), at=timezone.now()
    )
    session_id = _integer(request.GET.get("session") or None, "session", required=False)
    chosen = current
    if session_id is not None:
        chosen = next((session for session in sessions if session.pk == session_id), None)
        if chosen is None:
            raise ApiError(400, "bad_request", _("This session belongs to another event."))
    totals = selectors.live_counters(event_id=event_id, session_id=chosen.pk if chosen else None)
    return json_response(
        {
            "status": "ok",
            **totals.as_dict(),
            "event": {"id": event.pk, "title": event.title},
            "session": _session_json(chosen),
            "sessions": [
                {**_session_json(session), "current": session == current} for session in sessions
            ],
        }
    )


@api_view("GET")
def search(request: HttpRequest, caller: Caller) -> JsonResponse:
    """Up to 20 registrations by part of the name, or the last 4 (or all 11) phone digits."""
    event_id = _integer(request.GET.get("event"), "event")
    caller = _authorise(caller, event_id)
    query = request.GET.get("q", "").strip()
    if not query:
        raise ApiError(400, "bad_request", _("'q' is required."))
    if len(query) > MAX_QUERY_LENGTH:
        raise ApiError(400, "bad_request", _("The search is too long."))
    registrations = selectors.search_registrations(event_id=event_id, query=query)
    event = Event.objects.get(pk=event_id)
    current = selectors.session_at(
        sessions=selectors.event_sessions(event_id=event_id),
        rules=selectors.attendance_rules(event=event),
        at=timezone.now(),
    )
    present = (
        selectors.checked_in_ids(
            session_id=current.pk, registration_ids=[r.pk for r in registrations]
        )
        if current
        else set()
    )
    results = [
        {
            "registration": registration.pk,
            "name": registration.worker.masked_name,
            "phone_tail": registration.worker.phone[-4:],
            "status": registration.status,
            "checked_in": registration.pk in present,
        }
        for registration in registrations
    ]
    return json_response({"status": "ok", "results": results})


@api_view("POST")
def walk_in(request: HttpRequest, caller: Caller) -> JsonResponse:
    """Register someone at the gate and sign them in; organisers only (not devices)."""
    data = _body(request)
    event_id = _integer(data.get("event"), "event")
    caller = _authorise(caller, event_id, organiser_only=True)
    try:
        outcome = services.register_walk_in(
            event_id=event_id,
            name=_text(data, "name", max_length=50, required=True),
            phone=_text(data, "phone", max_length=20, required=True),
            id_number=_text(data, "id_number", max_length=20),
            user=caller.user,
            gate=_text(data, "gate", max_length=MAX_GATE_LENGTH),
            nonce=data.get("nonce"),
        )
    except services.BadScan as error:
        raise ApiError(400, error.code, error.message) from error
    except services.RegistrationRefused as refused:
        raise ApiError(409, f"refused_{refused.code}", refused.reason) from refused
    except ValidationError as error:
        raise ApiError(400, "invalid", _validation_message(error)) from error
    # Counted afresh, not cached: a walk-in also changes the number registered.
    counters = selectors.live_counters(
        event_id=event_id, session_id=outcome.session.pk if outcome.session else None
    )
    return json_response(_scan_json(outcome, counters=counters))
