"""iCalendar export: one VEVENT per session, so a class of 20 days shows every sitting."""

from icalendar import Calendar
from icalendar import Event as CalendarEvent

from events.models import Event


def event_calendar(*, event: Event, url: str) -> bytes:
    calendar = Calendar()
    calendar.add("prodid", "-//Chunfeng//Spring Breeze//ZH")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", event.title)
    sessions = list(event.sessions.all()) or [None]
    for session in sessions:
        entry = CalendarEvent()
        entry.add("uid", f"event-{event.pk}-session-{session.pk if session else 0}@chunfeng")
        entry.add("summary", f"{event.title} {session.title}".strip() if session else event.title)
        entry.add("dtstart", session.starts_at if session else event.starts_at)
        entry.add("dtend", session.ends_at if session else event.ends_at)
        entry.add("dtstamp", event.last_published_at or event.starts_at)
        entry.add("location", f"{event.venue} {event.address}")
        entry.add("url", url)
        if event.summary:
            entry.add("description", event.summary)
        calendar.add_component(entry)
    return calendar.to_ical()
