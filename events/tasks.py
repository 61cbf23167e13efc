from celery import shared_task
from django.utils import timezone


@shared_task
def send_event_reminders_task() -> int:
    """Queue the day-before reminders; idempotent, so a repeated or overlapping run sends none twice."""
    from events.services import queue_event_reminders

    return queue_event_reminders(now=timezone.now())
