"""Reads for events: every public listing goes through here with a bounded number of queries."""

import datetime
from dataclasses import dataclass

from django.db.models import (
    Case,
    Count,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    When,
)
from django.db.models.functions import Coalesce
from django.utils import timezone

from events.models import (
    Benefit,
    Booth,
    BoothStatus,
    Event,
    EventKind,
    EventStatus,
    JobListing,
    Registration,
    RegistrationStatus,
)
from trainees.models import Region, RegionLevel, Worker, level_for_code


@dataclass(frozen=True)
class EventFilters:
    kind: str = ""
    county_code: str = ""
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    open_only: bool = False
    query: str = ""


def text_match_q(fields: list[str], query: str) -> Q:
    """Substring match on any of the fields, so that 焊工 finds 电焊工 (no word splitting).

    Chinese has no letter case, so a caseless query uses a plain LIKE: case-insensitive matching
    would make the database upper-case every row first.
    """
    lookup = "contains" if query.upper() == query.lower() else "icontains"
    condition = Q()
    for field in fields:
        condition |= Q(**{f"{field}__{lookup}": query})
    return condition


def live_events() -> QuerySet[Event]:
    return Event.objects.filter(live=True).select_related("region", "campaign")


def open_for_registration_q(*, now: datetime.datetime) -> Q:
    return (
        Q(status=EventStatus.SCHEDULED, ends_at__gte=now)
        & (Q(registration_opens_at__isnull=True) | Q(registration_opens_at__lte=now))
        & (Q(registration_closes_at__isnull=True) | Q(registration_closes_at__gte=now))
    )


def filter_events(
    *, filters: EventFilters, now: datetime.datetime | None = None
) -> QuerySet[Event]:
    """Public event listing: upcoming first, then past ones, filtered in the database."""
    now = now or timezone.now()
    events = live_events()
    if filters.kind:
        events = events.filter(kind=filters.kind)
    if filters.county_code:
        events = events.filter(region__code=filters.county_code)
    if filters.date_from:
        events = events.filter(ends_at__date__gte=filters.date_from)
    if filters.date_to:
        events = events.filter(starts_at__date__lte=filters.date_to)
    if filters.open_only:
        events = events.filter(open_for_registration_q(now=now))
    if filters.query:
        events = events.filter(text_match_q(["title", "summary", "trade"], filters.query))
    return events.order_by("starts_at", "pk")


def upcoming_events(*, kind: str, limit: int, now: datetime.datetime | None = None) -> list[Event]:
    now = now or timezone.now()
    return list(
        live_events().filter(kind=kind, ends_at__gte=now).order_by("starts_at", "pk")[:limit]
    )


def event_for_public_page(*, pk: int) -> Event | None:
    """A live event with its sessions, attending employers and their live listings prefetched."""
    booths = (
        Booth.objects.exclude(status=BoothStatus.CANCELLED)
        .select_related("employer")
        .order_by("number")
    )
    return (
        live_events()
        .prefetch_related("sessions", Prefetch("booths", queryset=booths))
        .filter(pk=pk)
        .first()
    )


def jobs_for_event(*, event: Event) -> list[JobListing]:
    return list(
        live_job_listings()
        .filter(fairs=event)
        .select_related("employer", "region")
        .prefetch_related("benefits")
        .order_by("employer__name", "title")
    )


@dataclass(frozen=True)
class JobFilters:
    county_code: str = ""
    category: str = ""
    salary_at_least: int | None = None
    benefits: tuple[str, ...] = ()
    query: str = ""
    include_expired: bool = False


def live_job_listings() -> QuerySet[JobListing]:
    return JobListing.objects.filter(live=True)


def filter_job_listings(
    *, filters: JobFilters, today: datetime.date | None = None
) -> QuerySet[JobListing]:
    """Public job search. Matching is by substring so that 焊工 finds 电焊工 (no word splitting)."""
    today = today or timezone.localdate()
    jobs = live_job_listings()
    if not filters.include_expired:
        jobs = jobs.filter(valid_until__gte=today)
    if filters.county_code:
        jobs = jobs.filter(region__code=filters.county_code)
    if filters.category:
        jobs = jobs.filter(category=filters.category)
    if filters.salary_at_least is not None:
        jobs = jobs.filter(salary_max__gte=filters.salary_at_least)
    for code in filters.benefits:
        jobs = jobs.filter(benefits__code=code)
    if filters.query:
        jobs = jobs.filter(text_match_q(["title", "work_content", "employer__name"], filters.query))
    return (
        jobs.select_related("employer", "region")
        .prefetch_related("benefits")
        .order_by("-valid_from", "-pk")
    )


def latest_job_listings(*, limit: int, today: datetime.date | None = None) -> list[JobListing]:
    return list(filter_job_listings(filters=JobFilters(), today=today)[:limit])


def job_for_public_page(*, pk: int) -> JobListing | None:
    return (
        live_job_listings()
        .select_related("employer", "region")
        .prefetch_related("benefits", Prefetch("fairs", queryset=live_events()))
        .filter(pk=pk)
        .first()
    )


def benefit_choices() -> list[tuple[str, str]]:
    return list(Benefit.Code.choices)


def event_kind_choices() -> list[tuple[str, str]]:
    return list(EventKind.choices)


# Registrations and tickets -----------------------------------------------------------------------

REGION_PREFIX_LENGTH = {
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
}


def region_code_prefix(*, code: str) -> str:
    """The part of a 12-digit division code that every division inside it shares.

    Taken by level rather than by stripping zeros: township 450102010 ends in a zero of its own.
    """
    return code[: REGION_PREFIX_LENGTH[level_for_code(code)]]


def region_covers(*, region_code: str, hukou_code: str | None) -> bool:
    return bool(hukou_code) and hukou_code.startswith(region_code_prefix(code=region_code))


def _earlier_waiting_count() -> Subquery:
    earlier = (
        Registration.objects.filter(
            event_id=OuterRef("event_id"), status=RegistrationStatus.WAITLISTED
        )
        .filter(
            Q(waitlisted_at__lt=OuterRef("waitlisted_at"))
            | Q(waitlisted_at=OuterRef("waitlisted_at"), pk__lt=OuterRef("pk"))
        )
        .order_by()
        .values("event_id")
        .annotate(count=Count("pk"))
        .values("count")
    )
    return Subquery(earlier, output_field=IntegerField())


def with_waitlist_position(registrations: QuerySet[Registration]) -> QuerySet[Registration]:
    """Annotate `waitlist_position` (1 = next to be promoted; None unless waitlisted) in the same
    query: 1 + the waiting registrations with an earlier (waitlisted_at, pk)."""
    return registrations.annotate(
        waitlist_position=Case(
            When(
                status=RegistrationStatus.WAITLISTED,
                then=Coalesce(_earlier_waiting_count(), 0) + 1,
            ),
            default=None,
            output_field=IntegerField(),
        )
    )


def waitlist_position(*, registration: Registration) -> int | None:
    if registration.status != RegistrationStatus.WAITLISTED:
        return None
    ahead = Registration.objects.filter(
        Q(waitlisted_at__lt=registration.waitlisted_at)
        | Q(waitlisted_at=registration.waitlisted_at, pk__lt=registration.pk),
        event_id=registration.event_id,
        status=RegistrationStatus.WAITLISTED,
    ).count()
    return ahead + 1


def registrations_for_worker(*, worker_id: int) -> list[Registration]:
    """'My registrations': upcoming events first, then past ones; cancelled ones last."""
    now = timezone.now()
    registrations = with_waitlist_position(
        Registration.objects.filter(worker_id=worker_id).select_related("event", "event__region")
    )
    return sorted(
        registrations,
        key=lambda registration: (
            registration.status == RegistrationStatus.CANCELLED,
            registration.event.ends_at < now,
            registration.event.starts_at,
        ),
    )


def registration_for_user(*, user, event: Event) -> Registration | None:
    """The signed-in user's registration for the event, waiting position included: one query."""
    if not user.is_authenticated or event.pk is None:
        return None
    return with_waitlist_position(
        Registration.objects.filter(event=event, worker__user=user)
    ).first()


def own_registration(*, user, registration_id: int) -> Registration | None:
    """A registration of the signed-in worker, with its event and waiting position."""
    if not user.is_authenticated:
        return None
    return (
        with_waitlist_position(Registration.objects.filter(pk=registration_id, worker__user=user))
        .select_related("event", "worker")
        .first()
    )


def can_view_ticket(*, user, registration: Registration) -> bool:
    """The worker, a coordinator whose villages or townships include the worker's household
    registration, or a superuser."""
    if not user.is_authenticated:
        return False
    if user.is_superuser or registration.worker.user_id == user.pk:
        return True
    hukou = registration.worker.hukou_region
    if hukou is None:
        return False
    codes = Region.objects.filter(coordinators__user=user).values_list("code", flat=True)
    return any(region_covers(region_code=code, hukou_code=hukou.code) for code in codes)


def ticket_registration(*, user, registration_id: int) -> Registration | None:
    """A confirmed registration whose ticket this user may see, or None (the view answers 404)."""
    registration = (
        Registration.objects.filter(pk=registration_id, status=RegistrationStatus.CONFIRMED)
        .select_related("event", "worker__hukou_region")
        .first()
    )
    if registration is None or not can_view_ticket(user=user, registration=registration):
        return None
    return registration


def registrations_for_data_export(worker: Worker) -> list[dict]:
    """A worker's registrations as plain data, for their own data download."""
    rows = Registration.objects.filter(worker=worker).select_related("event").order_by("created_at")
    return [
        {
            "event": registration.event.title,
            "kind": registration.event.get_kind_display(),
            "starts_at": timezone.localtime(registration.event.starts_at).isoformat(),
            "status": registration.get_status_display(),
            "registered": registration.get_channel_display(),
            "registered_at": timezone.localtime(registration.created_at).isoformat(),
            "cancelled_at": timezone.localtime(registration.cancelled_at).isoformat()
            if registration.cancelled_at
            else None,
        }
        for registration in rows
    ]
