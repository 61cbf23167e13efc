from celery import shared_task
from django.utils import timezone


@shared_task
def send_event_reminders_task() -> int:
    """Queue the day-before reminders; idempotent, so a repeated or overlapping run sends none twice."""
    from events.services import queue_event_reminders

    return queue_event_reminders(now=timezone.now())


@shared_task(soft_time_limit=10 * 60, time_limit=12 * 60)
def refresh_event_summaries_task(event_ids: list[int] | None = None) -> int:
    """Recount the figures of these events (beat: of the events in play) for the campaign
    overview; idempotent."""
    from events.reports.services import refresh_active_summaries, refresh_summaries

    if event_ids is None:
        return refresh_active_summaries(now=timezone.now())
    return refresh_summaries(event_ids=event_ids)


@shared_task(soft_time_limit=25 * 60, time_limit=30 * 60)
def run_export_task(job_id: int) -> bool:
    """Write a queued export; a second delivery of the same job finds it claimed and stops. A job
    whose worker died is failed by the sweeper (the user can ask again), not redelivered."""
    from events.reports.services import run_export

    return run_export(job_id=job_id)


@shared_task
def sweep_exports_task() -> dict[str, int]:
    """Hand over exports the broker missed, fail abandoned ones, delete expired files."""
    from events.reports.services import sweep_exports

    return sweep_exports(now=timezone.now())
