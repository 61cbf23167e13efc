"""Reads for events: every public listing goes through here with a bounded number of queries."""

import datetime
import hashlib
from dataclasses import dataclass

from django.core.cache import cache
from django.db import models
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
from django.utils.translation import gettext_lazy as _

from events import tickets
from events.models import (
    Benefit,
    Booth,
    BoothStatus,
    CheckIn,
    Direction,
    Event,
    EventKind,
    EventStaff,
    EventStaffRole,
    EventStatus,
    Excusal,
    JobListing,
    Registration,
    RegistrationChannel,
    RegistrationStatus,
    ScanLog,
    ScannerDevice,
    Session,
)
from trainees.models import Region, Worker, code_covers


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
    return any(code_covers(region_code=code, code=hukou.code) for code in codes)


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


# Check-in ----------------------------------------------------------------------------------------
# Reads for the gate, the scanner API and the attendance screens (docs/checkin-api.md). Every
# function runs a fixed number of queries whatever the size of the event.

# Until Event has the attendance fields (checkin_opens_minutes, checkin_closes_minutes,
# late_after_minutes, early_leave_minutes), these defaults apply; once it has them, a value set
# on the event wins and an empty one falls back to the default.
# A sign-in that counts: not undone (an undone one is kept for the record).
LIVE_SIGN_IN = Q(direction=Direction.IN, undone_at__isnull=True)
ARRIVAL_BUCKET = datetime.timedelta(minutes=15)
MAX_ARRIVAL_BUCKETS = 200  # a session longer than two days is cut, not a runaway chart
SEARCH_LIMIT = 20
# Scans read these at every request and they change rarely, so they are cached for a few seconds
# (docs/checkin-api.md, "Caching"): a session or rule edited in the admin, or a device revoked in
# another process, takes effect at the gate within SCAN_CACHE_SECONDS; counters lag by at most
# COUNTERS_CACHE_SECONDS.
SCAN_CACHE_SECONDS = 5
COUNTERS_CACHE_SECONDS = 2


@dataclass(frozen=True)
class AttendanceRules:
    opens_before: datetime.timedelta
    closes_after: datetime.timedelta
    late_after: datetime.timedelta
    early_leave: datetime.timedelta


def attendance_rules(*, event: Event) -> AttendanceRules:
    return AttendanceRules(
        opens_before=datetime.timedelta(minutes=event.checkin_opens_minutes),
        closes_after=datetime.timedelta(minutes=event.checkin_closes_minutes),
        late_after=datetime.timedelta(minutes=event.late_after_minutes),
        early_leave=datetime.timedelta(minutes=event.early_leave_minutes),
    )


def checkin_window(
    *, session: Session, rules: AttendanceRules
) -> tuple[datetime.datetime, datetime.datetime]:
    """[starts_at − opens_before, ends_at + closes_after], both ends included."""
    return session.starts_at - rules.opens_before, session.ends_at + rules.closes_after


def event_sessions(*, event_id: int) -> list[Session]:
    return list(Session.objects.filter(event_id=event_id).order_by("starts_at", "pk"))


@dataclass(frozen=True)
class ScanSetup:
    rules: AttendanceRules
    sessions: list[Session]


def scan_setup(*, event_id: int) -> ScanSetup:
    """The event's attendance rules and sessions, for choosing a scan's session; cached for
    SCAN_CACHE_SECONDS. Raises Event.DoesNotExist for an unknown event."""
    key = f"checkin:setup:{event_id}"
    setup = cache.get(key)
    if setup is None:
        event = Event.objects.get(pk=event_id)
        setup = ScanSetup(
            rules=attendance_rules(event=event), sessions=event_sessions(event_id=event_id)
        )
        cache.set(key, setup, SCAN_CACHE_SECONDS)
    return setup


def session_at(
    *,
    sessions: list[Session],
    rules: AttendanceRules,
    at: datetime.datetime,
    direction: str = Direction.IN,
) -> Session | None:
    """The session whose check-in window contains `at`. When windows overlap (back-to-back
    sessions), a sign-in goes to the session starting closest to `at` and a sign-out to the one
    ending closest to it, so 11:55 signs in to the 12:00 session but signs out of the morning."""
    open_now = []
    for session in sessions:
        opens, closes = checkin_window(session=session, rules=rules)
        if opens <= at <= closes:
            anchor = session.ends_at if direction == Direction.OUT else session.starts_at
            open_now.append((abs(anchor - at), session.starts_at, session.pk, session))
    return min(open_now)[-1] if open_now else None


def registration_for_token(*, token: str) -> Registration | None:
    """With the worker (the scan answer's name). Not the event, a page with a wide row that a
    scan needs only for a ticket of another event; and get(), not first(): no ORDER BY."""
    try:
        return Registration.objects.select_related("worker").get(
            ticket_hash=tickets.ticket_hash_for(token)
        )
    except Registration.DoesNotExist:
        return None


def registration_for_code(*, event_id: int, code: str) -> Registration | None:
    """The registration a ticket code names: the QR's 26 characters (of whatever event: the
    caller tells a ticket for another event apart) or the 10 under it (this event's only; more
    than one match counts as none). Dashes, spaces and case are ignored."""
    code = tickets.normalise_code(code)
    if len(code) == tickets.TOKEN_LENGTH:
        return registration_for_token(token=code)
    if len(code) == tickets.MANUAL_CODE_LENGTH:
        matches = registrations_for_manual_code(event_id=event_id, code=code)
        return matches[0] if len(matches) == 1 else None
    return None


def registrations_for_manual_code(*, event_id: int, code: str) -> list[Registration]:
    """Registrations of this event whose token starts with the 10-character manual code.

    Only the token's hash is stored, so the tokens are derived again (one HMAC each) from the
    three columns they depend on: one query and ~2 µs per registration, ~10 ms for 5,000. The
    code has 50 bits, so two matches in one event are practically impossible; the caller treats
    more than one as unknown rather than guess."""
    rows = Registration.objects.filter(event_id=event_id).values_list(
        "pk", "worker_id", "ticket_version"
    )
    matches = [
        pk
        for pk, worker_id, version in rows
        if tickets.ticket_token(
            Registration(event_id=event_id, worker_id=worker_id, ticket_version=version)
        ).startswith(code)
    ]
    return list(Registration.objects.filter(pk__in=matches).select_related("worker", "event"))


def live_checkin(*, registration_id: int, session_id: int, direction: str) -> CheckIn | None:
    return CheckIn.objects.filter(
        registration_id=registration_id,
        session_id=session_id,
        direction=direction,
        undone_at__isnull=True,
    ).first()


def scan_for_nonce(*, nonce: str) -> ScanLog | None:
    return (
        ScanLog.objects.filter(client_nonce=nonce)
        .select_related("registration__worker", "registration__event", "session", "checkin")
        .first()
    )


def scan_with_checkin(*, scan_id: int) -> ScanLog | None:
    return ScanLog.objects.filter(pk=scan_id).select_related("checkin", "registration").first()


@dataclass(frozen=True)
class Counters:
    checked_in: int
    registered: int
    walk_ins: int
    not_arrived: int

    def as_dict(self) -> dict[str, int]:
        return {
            "checked_in": self.checked_in,
            "registered": self.registered,
            "walk_ins": self.walk_ins,
            "not_arrived": self.not_arrived,
        }


def live_counters(*, event_id: int, session_id: int | None) -> Counters:
    """Two small queries, run after every scan. registered is the event's confirmed-seat counter
    (kept by the registration services, so no count over the registrations); checked_in counts
    live sign-ins at the session, one per person by the unique constraint, so no DISTINCT;
    not_arrived is confirmed registrations without one."""
    registered = Event.objects.values_list("seats_taken", flat=True).get(pk=event_id)
    if session_id is None:
        return Counters(checked_in=0, registered=registered, walk_ins=0, not_arrived=registered)
    totals = CheckIn.objects.filter(LIVE_SIGN_IN, session_id=session_id).aggregate(
        people=Count("pk"),
        confirmed=Count("pk", filter=Q(registration__status=RegistrationStatus.CONFIRMED)),
        walk_ins=Count("pk", filter=Q(registration__channel=RegistrationChannel.WALK_IN)),
    )
    return Counters(
        checked_in=totals["people"],
        registered=registered,
        walk_ins=totals["walk_ins"],
        not_arrived=max(0, registered - totals["confirmed"]),
    )


def scan_counters(
    *, event_id: int, session_id: int | None, signed_in: Registration | None, at: datetime.datetime
) -> Counters:
    """live_counters for a scan answer, cached per session for COUNTERS_CACHE_SECONDS (counting
    at every scan was a third of its queries): other gates' scans show within 2 s. The scan's own
    sign-in (`signed_in`, committed before `at`) is added when the cached count is older."""
    key = f"checkin:counters:{event_id}:{session_id}"
    cached = cache.get(key)
    if cached is None:
        cached = (timezone.now(), live_counters(event_id=event_id, session_id=session_id))
        cache.set(key, cached, COUNTERS_CACHE_SECONDS)
    counted_at, counters = cached
    if signed_in is None or counted_at > at:
        return counters
    return Counters(
        checked_in=counters.checked_in + 1,
        registered=counters.registered,
        walk_ins=counters.walk_ins + (signed_in.channel == RegistrationChannel.WALK_IN),
        not_arrived=max(
            0, counters.not_arrived - (signed_in.status == RegistrationStatus.CONFIRMED)
        ),
    )


def arrivals_per_quarter(
    *, session: Session, rules: AttendanceRules, now: datetime.datetime | None = None
) -> list[tuple[datetime.datetime, int]]:
    """Sign-ins per 15 minutes of local time, zeros included (quarter_buckets). One query
    reading one timestamp per sign-in."""
    arrivals = list(
        CheckIn.objects.filter(LIVE_SIGN_IN, session=session).values_list("scanned_at", flat=True)
    )
    return quarter_buckets(session=session, rules=rules, arrivals=arrivals, now=now)


def quarter_buckets(
    *,
    session: Session,
    rules: AttendanceRules,
    arrivals: list[datetime.datetime],
    now: datetime.datetime | None = None,
) -> list[tuple[datetime.datetime, int]]:
    """Arrival times counted per 15 minutes of local time, zeros included, from the quarter in
    which the session's window opens to the last arrival or now, whichever is later (never past
    the window)."""
    now = now or timezone.now()
    opens, closes = checkin_window(session=session, rules=rules)
    first = _quarter_floor(min([opens, *arrivals]))
    last_seen = max([min(now, closes), *arrivals])
    if last_seen < first:
        return []
    count = min(MAX_ARRIVAL_BUCKETS, int((last_seen - first) / ARRIVAL_BUCKET) + 1)
    buckets = [0] * count
    for moment in arrivals:
        index = int((moment - first) / ARRIVAL_BUCKET)
        if 0 <= index < count:
            buckets[index] += 1
    return [(first + index * ARRIVAL_BUCKET, buckets[index]) for index in range(count)]


def _quarter_floor(moment: datetime.datetime) -> datetime.datetime:
    local = timezone.localtime(moment)
    return local.replace(minute=local.minute - local.minute % 15, second=0, microsecond=0)


class AttendanceStatus(models.TextChoices):
    PRESENT = "present", _("Present")
    LATE = "late", _("Late")
    LEFT_EARLY = "left_early", _("Left early")
    ABSENT = "absent", _("Absent")
    EXCUSED = "excused", _("Excused")


def attendance_status(
    *,
    session: Session,
    rules: AttendanceRules,
    signed_in: datetime.datetime | None,
    signed_out: datetime.datetime | None,
    excused: bool,
) -> AttendanceStatus:
    """One status per trainee and session, in this order of precedence:

    excused (an organiser's Excusal, whatever the scans say) > absent (no live sign-in; a
    sign-out alone is not attendance) > late (signed in strictly after starts_at + late_after)
    > left_early (signed out strictly before ends_at − early_leave) > present.

    Exactly at a threshold is on time: 09:15:00 with 15 minutes' grace is present, 09:15:01 is
    late; the same for leaving. Not signing out is not leaving early: sign-out is optional.
    """
    if excused:
        return AttendanceStatus.EXCUSED
    if signed_in is None:
        return AttendanceStatus.ABSENT
    if signed_in > session.starts_at + rules.late_after:
        return AttendanceStatus.LATE
    if signed_out is not None and signed_out < session.ends_at - rules.early_leave:
        return AttendanceStatus.LEFT_EARLY
    return AttendanceStatus.PRESENT


def session_attendance(*, session: Session, registration: Registration) -> AttendanceStatus:
    """The status of one trainee at one session (three queries; use attendance_matrix for many)."""
    times = dict(
        CheckIn.objects.filter(
            session=session, registration=registration, undone_at__isnull=True
        ).values_list("direction", "scanned_at")
    )
    return attendance_status(
        session=session,
        rules=attendance_rules(event=session.event),
        signed_in=times.get(Direction.IN),
        signed_out=times.get(Direction.OUT),
        excused=Excusal.objects.filter(session=session, registration=registration).exists(),
    )


@dataclass(frozen=True)
class AttendanceMatrix:
    sessions: list[Session]
    registrations: list[Registration]
    # (registration id, session id) -> status, for every confirmed registration and session
    cells: dict[tuple[int, int], AttendanceStatus]
    # (registration id, session id) -> (live sign-in time, live sign-out time), either may be None
    times: dict[tuple[int, int], tuple[datetime.datetime | None, datetime.datetime | None]]

    def row(self, registration: Registration) -> list[AttendanceStatus]:
        return [self.cells[registration.pk, session.pk] for session in self.sessions]

    def counts(self) -> list[tuple[Session, dict[str, int]]]:
        """Per session: how many trainees are present, late, left early, absent, excused."""
        result = []
        for session in self.sessions:
            tally = dict.fromkeys(AttendanceStatus.values, 0)
            for registration in self.registrations:
                tally[self.cells[registration.pk, session.pk]] += 1
            result.append((session, tally))
        return result


def attendance_matrix(*, event: Event) -> AttendanceMatrix:
    """Every confirmed registration × every session of the event, in four queries."""
    return attendance_matrices(events=[event])[event.pk]


def attendance_matrices(*, events: list[Event]) -> dict[int, AttendanceMatrix]:
    """attendance_matrix for many events in four queries whatever their number and size. The
    registrations come with their worker, assessment and subsidy claim (statistics use them)."""
    by_id = {event.pk: event for event in events}
    sessions: dict[int, list[Session]] = {pk: [] for pk in by_id}
    for session in Session.objects.filter(event_id__in=by_id).order_by("starts_at", "pk"):
        sessions[session.event_id].append(session)
    registrations: dict[int, list[Registration]] = {pk: [] for pk in by_id}
    for registration in (
        Registration.objects.filter(event_id__in=by_id, status=RegistrationStatus.CONFIRMED)
        .select_related("worker", "assessment", "subsidy_claim")
        .order_by("worker__name", "pk")
    ):
        registrations[registration.event_id].append(registration)
    moments: dict[tuple[int, int, str], datetime.datetime] = {}
    for registration_id, session_id, direction, scanned_at in CheckIn.objects.filter(
        session__event_id__in=by_id, undone_at__isnull=True
    ).values_list("registration_id", "session_id", "direction", "scanned_at"):
        moments[registration_id, session_id, direction] = scanned_at
    excused = set(
        Excusal.objects.filter(session__event_id__in=by_id).values_list(
            "registration_id", "session_id"
        )
    )
    matrices = {}
    for pk, event in by_id.items():
        rules = attendance_rules(event=event)
        cells, times = {}, {}
        for registration in registrations[pk]:
            for session in sessions[pk]:
                key = (registration.pk, session.pk)
                signed_in = moments.get((*key, Direction.IN))
                signed_out = moments.get((*key, Direction.OUT))
                times[key] = (signed_in, signed_out)
                cells[key] = attendance_status(
                    session=session,
                    rules=rules,
                    signed_in=signed_in,
                    signed_out=signed_out,
                    excused=key in excused,
                )
        matrices[pk] = AttendanceMatrix(
            sessions=sessions[pk], registrations=registrations[pk], cells=cells, times=times
        )
    return matrices


def search_registrations(*, event_id: int, query: str) -> list[Registration]:
    """Up to 20 registrations of the event, any status: 4 digits match the end of the phone,
    11 digits the whole phone, anything else a part of the name. Confirmed ones first."""
    query = query.strip()
    registrations = Registration.objects.filter(event_id=event_id)
    if query.isdigit() and len(query) == 4:
        registrations = registrations.filter(worker__phone__endswith=query)
    elif query.isdigit() and len(query) == 11:
        registrations = registrations.filter(worker__phone=query)
    else:
        registrations = registrations.filter(text_match_q(["worker__name"], query))
    confirmed_first = Case(
        When(status=RegistrationStatus.CONFIRMED, then=0), default=1, output_field=IntegerField()
    )
    return list(
        registrations.select_related("worker").order_by(confirmed_first, "worker__name", "pk")[
            :SEARCH_LIMIT
        ]
    )


def checked_in_ids(*, session_id: int, registration_ids: list[int]) -> set[int]:
    return set(
        CheckIn.objects.filter(
            LIVE_SIGN_IN, session_id=session_id, registration_id__in=registration_ids
        ).values_list("registration_id", flat=True)
    )


# Who may do what at an event: superusers everything; EventStaff organisers run their events
# (walk-ins, devices, attendance); EventStaff scanners only scan, undo, search and count.


def event_role(*, user, event_id: int) -> str | None:
    """'organiser' or 'scanner' for staff of the event, 'organiser' for superusers, else None."""
    if not user.is_authenticated or not user.is_active:
        return None
    if user.is_superuser:
        return EventStaffRole.ORGANISER
    return (
        EventStaff.objects.filter(event_id=event_id, user=user)
        .values_list("role", flat=True)
        .first()
    )


def can_scan_at(*, user, event_id: int) -> bool:
    return event_role(user=user, event_id=event_id) is not None


def can_organise(*, user, event_id: int) -> bool:
    return event_role(user=user, event_id=event_id) == EventStaffRole.ORGANISER


def organised_events(*, user) -> QuerySet[Event]:
    """Events this user runs: all for superusers, else those where they are an organiser."""
    if user.is_superuser:
        return Event.objects.all()
    return Event.objects.filter(staff__user=user, staff__role=EventStaffRole.ORGANISER)


def staffed_event_ids(*, user) -> QuerySet:
    """Events where the user has any role (organiser or scanner)."""
    return EventStaff.objects.filter(user=user).values("event_id")


def device_cache_key(token_hash: str) -> str:
    return f"checkin:device:{token_hash}"


def device_for_token(*, token: str) -> ScannerDevice | None:
    """The device whose token this is, revoked or not (the caller tells the two apart); cached
    for SCAN_CACHE_SECONDS, so a revocation reaches other processes' local caches that late."""
    if not token:
        return None
    digest = hashlib.sha256(token.encode()).hexdigest()
    key = device_cache_key(digest)
    device = cache.get(key)
    if device is None:
        device = ScannerDevice.objects.filter(token_hash=digest).first()
        if device is not None:
            cache.set(key, device, SCAN_CACHE_SECONDS)
    return device


def events_open_for_registration(*, now: datetime.datetime | None = None) -> QuerySet[Event]:
    return (
        live_events()
        .filter(open_for_registration_q(now=now or timezone.now()))
        .order_by("starts_at", "pk")
    )


def confirmed_registrations_of_workers(
    *, event: Event, workers: QuerySet[Worker]
) -> list[Registration]:
    """Confirmed registrations for the event of the given workers, for printing their tickets."""
    return list(
        Registration.objects.filter(
            event=event, worker__in=workers, status=RegistrationStatus.CONFIRMED
        )
        .select_related("event", "worker")
        .order_by("worker__name", "pk")
    )
