"""Worker pages under /my/: register, my registrations, cancel, tickets. Thin: the rules live in
events.services and events.selectors. Tickets are addressed by registration id, never by token."""

from urllib.parse import urlencode

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils.cache import patch_cache_control
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods

from events import selectors, services, tickets
from events.models import Event, RegistrationStatus
from trainees.models import Worker
from trainees.views import worker_login_required


def _needs_worker(request) -> HttpResponse | None:
    """Send a signed-in user without a worker profile to create one; they come back here
    afterwards (visitors are sent to sign in by worker_login_required)."""
    return None if hasattr(request.user, "worker") else _to_profile(request)


def _to_profile(request) -> HttpResponse:
    query = urlencode({"next": request.get_full_path()}, safe="/")
    return redirect(f"{reverse('trainees:profile')}?{query}")


@require_http_methods(["GET", "POST"])
@worker_login_required
def register(request, event_id: int):
    """GET: a confirmation page (where sign-in sends people back to). POST: register."""
    if request.method == "GET":
        if response := _needs_worker(request):
            return response
        event = get_object_or_404(Event.objects.select_related("region"), pk=event_id, live=True)
        return render(
            request,
            "events/registrations/register.html",
            {
                "event": event,
                "registration": selectors.registration_for_user(user=request.user, event=event),
            },
        )
    # The service reads the account's worker with the event (and refuses drafts): the hot path
    # has no other read.
    try:
        result = services.register_self(event_id=event_id, user=request.user)
    except Worker.DoesNotExist:
        return _to_profile(request)
    except services.RegistrationRefused as refused:
        event = get_object_or_404(Event, pk=event_id, live=True)
        return render(
            request,
            "events/registrations/refused.html",
            {"event": event, "reason": refused.reason, "code": refused.code},
        )
    if result.outcome == services.RegistrationOutcome.CONFIRMED:
        messages.success(request, _("You are registered. Show the QR code at the entrance."))
    elif result.outcome == services.RegistrationOutcome.WAITLISTED:
        messages.warning(
            request,
            _("The event is full. You are number %(position)s on the waiting list.")
            % {"position": result.waitlist_position},
        )
    else:
        messages.info(request, _("You had already registered for this event."))
    return redirect(f"{reverse('events:my_registrations')}#registration-{result.registration.pk}")


@require_GET
@worker_login_required
def my_registrations(request):
    if response := _needs_worker(request):
        return response
    return render(
        request,
        "events/registrations/list.html",
        {"registrations": selectors.registrations_for_worker(worker_id=request.user.worker.pk)},
    )


@require_http_methods(["GET", "POST"])
@worker_login_required
def cancel(request, pk: int):
    """GET: are you sure? POST: cancel. Only the worker's own, not yet over."""
    if response := _needs_worker(request):
        return response
    registration = selectors.own_registration(user=request.user, registration_id=pk)
    if registration is None:
        raise Http404
    if registration.status == RegistrationStatus.CANCELLED or registration.event.is_past():
        return redirect("events:my_registrations")
    if request.method == "POST":
        services.cancel_registration(registration_id=registration.pk, by_user=request.user)
        messages.success(
            request,
            _("Your registration for %(event)s is cancelled.") % {"event": registration.event},
        )
        return redirect("events:my_registrations")
    return render(request, "events/registrations/cancel.html", {"registration": registration})


def _ticket_or_404(request, pk: int):
    registration = selectors.ticket_registration(user=request.user, registration_id=pk)
    if registration is None:
        raise Http404
    return registration


def _private(response: HttpResponse, **cache) -> HttpResponse:
    patch_cache_control(response, private=True, **cache)
    return response


@require_GET
def qr_code(request, pk: int):
    """The QR code alone, shown inline on 'my registrations'."""
    registration = _ticket_or_404(request, pk)
    png = tickets.qr_png(tickets.ticket_token(registration))
    return _private(HttpResponse(png, content_type="image/png"), max_age=600)


@require_GET
def ticket_png(request, pk: int):
    """'Save as image': the ticket as one picture for the phone's photo album."""
    registration = _ticket_or_404(request, pk)
    response = HttpResponse(tickets.ticket_png(registration), content_type="image/png")
    response["Content-Disposition"] = f'attachment; filename="ticket-{registration.pk}.png"'
    return _private(response, no_store=True)


@require_GET
def ticket_pdf(request, pk: int):
    """An A6 page to print, for coordinators and for workers without a smartphone at the gate."""
    registration = _ticket_or_404(request, pk)
    response = HttpResponse(tickets.ticket_pdf([registration]), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="ticket-{registration.pk}.pdf"'
    return _private(response, no_store=True)
