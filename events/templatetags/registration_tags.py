from dataclasses import dataclass

from django import template

from events import selectors
from events.models import Event, Registration, RegistrationStatus

register = template.Library()


@dataclass(frozen=True)
class RegistrationState:
    registration: Registration | None  # confirmed or waiting; a cancelled one counts as none
    is_open: bool
    is_full: bool


@register.simple_tag
def registration_state(request, event: Event) -> RegistrationState:
    """The visitor's registration for this event, waiting position included, in one query (none
    for anonymous visitors); whether the event takes registrations is read from the event."""
    registration = selectors.registration_for_user(user=request.user, event=event)
    if registration is not None and registration.status == RegistrationStatus.CANCELLED:
        registration = None
    return RegistrationState(
        registration=registration,
        is_open=event.is_registration_open(),
        is_full=event.capacity is not None and event.seats_taken >= event.capacity,
    )
