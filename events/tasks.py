from celery import shared_task
from django.utils import timezone


@shared_task
def send_event_reminders_task() -> int:
    """Queue the day-before reminders; idempotent, so a repeated or overlapping run sends none twice."""
    from events.services import queue_event_reminders

    return queue_event_reminders(now=timezone.now())


@shared_task
def refresh_event_summaries_task() -> int:
    """Recount the figures of events in play for the campaign overview; idempotent."""
    from events.reports.services import refresh_active_summaries

    return refresh_active_summaries(now=timezone.now())


@shared_task(acks_late=True, soft_time_limit=25 * 60, time_limit=30 * 60)
def run_export_task(job_id: int) -> bool:
    """Write a queued export; a second delivery of the same job finds it claimed and stops."""
    from events.reports.services import run_export

    return run_export(job_id=job_id)


@shared_task
def sweep_exports_task() -> dict[str, int]:
    """Hand over exports the broker missed, fail abandoned ones, delete expired files."""
    from events.reports.services import sweep_exports

    return sweep_exports(now=timezone.now())


@shared_task(soft_time_limit=10 * 60, time_limit=12 * 60)
def recount_overview_task(
    campaign_id: int | None, date_from: str, date_to: str, county_code: str
) -> int:
    """The overview's "Recount now": every event in the filter and the coverage; idempotent."""
    import datetime

    from events.models import Campaign
    from events.reports.selectors import OverviewFilters
    from events.reports.services import recount_overview

    filters = OverviewFilters(
        campaign=Campaign.objects.filter(pk=campaign_id).first() if campaign_id else None,
        date_from=datetime.date.fromisoformat(date_from) if date_from else None,
        date_to=datetime.date.fromisoformat(date_to) if date_to else None,
        county_code=county_code,
    )
    return recount_overview(filters=filters)
