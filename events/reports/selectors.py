"""Reads for statistics (docs/statistics.md): who may see them, the figures of one event or of
many, the breakdowns of an event, training attendance and completion, the campaign overview.

Definitions, in the words of the bureau's reports (domain.md section 3.4):

* registered (预约报名): confirmed registrations made before the day, not at the gate;
* walk-ins (现场登记): confirmed registrations made at the gate;
* entrants (入场, 人): people with a live sign-in at any session of the event;
* visits (人次): live sign-ins, at most one per person and session (a two-day fair can count a
  person twice);
* no-shows: registered people without any live sign-in; the no-show rate is no-shows ÷ registered;
* employers booked / present, posts (职位数: published job listings offered at the fair) and
  openings (岗位数: their summed headcount), of the booked and of the present employers;
* intentions (达成意向): recorded intentions (个) and the people with at least one (人).

Every function runs a fixed number of queries whatever the number of events, people or scans.
"""

import datetime
import functools
from collections import Counter, defaultdict
from collections.abc import Iterable
from dataclasses import asdict, dataclass

from django.contrib.auth.models import AbstractBaseUser, AnonymousUser
from django.core.cache import cache
from django.db.models import (
    Exists,
    F,
    Func,
    IntegerField,
    OuterRef,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce, TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from events.models import (
    AssessmentOutcome,
    Booth,
    BoothStatus,
    Campaign,
    CheckIn,
    EmployerCheckIn,
    Event,
    EventKind,
    EventStatus,
    EventSummary,
    ExportJob,
    Intention,
    JobListing,
    ManualFigure,
    ManualFigureKind,
    Registration,
    RegistrationChannel,
    RegistrationStatus,
    Session,
    SubsidyClaim,
)
from events.selectors import (
    LIVE_SIGN_IN,
    AttendanceMatrix,
    AttendanceStatus,
    attendance_matrices,
    attendance_rules,
    event_sessions,
    live_events,
    organised_events,
    quarter_buckets,
)
from trainees.id_numbers import age_on
from trainees.models import (
    Education,
    RegionLevel,
    Sex,
    SpecialGroup,
    code_prefix,
    level_for_code,
    parent_code_for,
)
from trainees.selectors import TownshipCoverage, coverage_within, division_names

VIEW_STATISTICS = "events.view_statistics"
VIEW_FULL_ID_NUMBERS = "trainees.view_full_id_number"
VIEW_SPECIAL_GROUPS = "trainees.view_special_groups"
FILE_SUBSIDY_CLAIMS = "events.add_subsidyclaim"

User = AbstractBaseUser | AnonymousUser


# Who may see what --------------------------------------------------------------------------------
# The bureau (Bureau statistics, Subsidy officers: events.view_statistics) and superusers see
# every event and the campaign overview; organisers see the events they run (EventStaff).
# Full ID numbers and special groups follow the trainees permissions of the same names.
# has_perm is False for anonymous and inactive users (ModelBackend; superusers only when active).


def sees_every_event(*, user: User) -> bool:
    return user.has_perm(VIEW_STATISTICS)


def statistics_events(*, user: User) -> QuerySet[Event]:
    """The events whose statistics and sheets this user may see."""
    if not (user.is_authenticated and user.is_active):
        return Event.objects.none()
    if sees_every_event(user=user):
        return Event.objects.all()
    return organised_events(user=user)


def may_see_full_id_numbers(*, user: User) -> bool:
    return user.has_perm(VIEW_FULL_ID_NUMBERS)


def may_see_special_groups(*, user: User) -> bool:
    return user.has_perm(VIEW_SPECIAL_GROUPS)


def may_file_subsidy_claims(*, user: User) -> bool:
    return user.has_perm(FILE_SUBSIDY_CLAIMS)


# Figures -----------------------------------------------------------------------------------------


@dataclass(frozen=True)
class EventFigures:
    registered: int = 0
    walk_ins: int = 0
    waitlisted: int = 0
    cancelled: int = 0
    entrants: int = 0
    visits: int = 0
    arrived_registered: int = 0  # registered (not walk-in) people among the entrants
    employers_booked: int = 0
    employers_present: int = 0
    posts_booked: int = 0
    openings_booked: int = 0
    posts: int = 0  # of the employers present
    openings: int = 0
    intentions: int = 0
    intention_people: int = 0
    # Training classes: confirmed trainees, and those who completed (class ended, attendance at
    # or above the threshold).
    trainees: int = 0
    completed: int = 0

    @property
    def no_shows(self) -> int:
        return self.registered - self.arrived_registered

    @property
    def no_show_rate(self) -> float | None:
        return self.no_shows / self.registered if self.registered else None

    def as_dict(self) -> dict:
        return {**asdict(self), "no_shows": self.no_shows, "no_show_rate": self.no_show_rate}

    @classmethod
    def from_dict(cls, data: dict) -> "EventFigures":
        return cls(**{name: data.get(name, 0) for name in cls.__dataclass_fields__})


def _aggregate(queryset: QuerySet, function: str, field_name: str, *, distinct: bool = False):
    """A correlated subquery: COUNT/SUM over the rows of `queryset`, 0 when there are none."""
    template = "%(function)s(DISTINCT %(expressions)s)" if distinct else Func.template
    value = Func(F(field_name), function=function, template=template, output_field=IntegerField())
    rows = queryset.order_by().annotate(_value=value).values("_value")[:1]
    return Coalesce(Subquery(rows, output_field=IntegerField()), 0)


def _live_sign_ins() -> QuerySet[CheckIn]:
    """Live sign-ins at the sessions of the outer event."""
    return CheckIn.objects.filter(LIVE_SIGN_IN, session__event_id=OuterRef("pk"))


def offers_at_fair(*, event: OuterRef | int) -> QuerySet:
    """(fair, listing) rows of the listings offered at the fair (an id, or a reference to the
    outer query's): published and valid on the fair's first day, whatever has happened to them
    since."""
    fair_day = TruncDate("event__starts_at")
    return JobListing.fairs.through.objects.filter(
        event_id=event,
        joblisting__live=True,
        joblisting__valid_from__lte=fair_day,
        joblisting__valid_until__gte=fair_day,
    )


def _figure_expressions() -> dict:
    registrations = Registration.objects.filter(event_id=OuterRef("pk"))
    confirmed = registrations.filter(status=RegistrationStatus.CONFIRMED)
    sign_ins = _live_sign_ins()
    offers = offers_at_fair(event=OuterRef("pk"))
    employer_booked = Booth.objects.filter(
        event_id=OuterRef("event_id"), employer_id=OuterRef("joblisting__employer_id")
    ).exclude(status=BoothStatus.CANCELLED)
    employer_present = EmployerCheckIn.objects.filter(
        event_id=OuterRef("event_id"), employer_id=OuterRef("joblisting__employer_id")
    )
    offered_booked = offers.filter(Exists(employer_booked))
    offered_present = offers.filter(Exists(employer_present))
    intentions = Intention.objects.filter(event_id=OuterRef("pk"))
    return {
        "registered": _aggregate(
            confirmed.exclude(channel=RegistrationChannel.WALK_IN), "COUNT", "pk"
        ),
        "walk_ins": _aggregate(
            confirmed.filter(channel=RegistrationChannel.WALK_IN), "COUNT", "pk"
        ),
        "waitlisted": _aggregate(
            registrations.filter(status=RegistrationStatus.WAITLISTED), "COUNT", "pk"
        ),
        "cancelled": _aggregate(
            registrations.filter(status=RegistrationStatus.CANCELLED), "COUNT", "pk"
        ),
        "entrants": _aggregate(sign_ins, "COUNT", "registration_id", distinct=True),
        "visits": _aggregate(sign_ins, "COUNT", "pk"),
        "arrived_registered": _aggregate(
            sign_ins.filter(registration__status=RegistrationStatus.CONFIRMED).exclude(
                registration__channel=RegistrationChannel.WALK_IN
            ),
            "COUNT",
            "registration_id",
            distinct=True,
        ),
        "employers_booked": _aggregate(
            Booth.objects.filter(event_id=OuterRef("pk")).exclude(status=BoothStatus.CANCELLED),
            "COUNT",
            "pk",
        ),
        "employers_present": _aggregate(
            EmployerCheckIn.objects.filter(event_id=OuterRef("pk")), "COUNT", "pk"
        ),
        "posts_booked": _aggregate(offered_booked, "COUNT", "joblisting_id"),
        "openings_booked": _aggregate(offered_booked, "SUM", "joblisting__headcount"),
        "posts": _aggregate(offered_present, "COUNT", "joblisting_id"),
        "openings": _aggregate(offered_present, "SUM", "joblisting__headcount"),
        "intentions": _aggregate(intentions, "COUNT", "pk"),
        "intention_people": _aggregate(intentions, "COUNT", "registration_id", distinct=True),
    }


FIGURE_PREFIX = "figure_"


def with_figures(events: QuerySet[Event]) -> QuerySet[Event]:
    """The events with every counted figure as a `figure_<name>` annotation, and `class_ends_at`:
    the end of the last session (the event's own end without sessions), when a class ends as
    ClassAttendance.ended has it. One query, each figure a subquery on an index of the event's
    rows."""
    last_session = Session.objects.filter(event_id=OuterRef("pk")).order_by("-ends_at")
    return events.annotate(
        **{FIGURE_PREFIX + name: expression for name, expression in _figure_expressions().items()},
        class_ends_at=Coalesce(Subquery(last_session.values("ends_at")[:1]), F("ends_at")),
    )


@functools.cache
def _counted() -> tuple[str, ...]:
    return tuple(_figure_expressions())


def figures_of(event: Event, *, completion: "ClassAttendance | None" = None) -> EventFigures:
    """The figures of an event annotated by with_figures. A class's trainees are its confirmed
    registrations (registered and walk-ins); who completed it comes from `completion`, which
    only an ended class has (_completions)."""
    counted = {name: getattr(event, FIGURE_PREFIX + name) for name in _counted()}
    if event.is_training:
        counted["trainees"] = counted["registered"] + counted["walk_ins"]
    if completion is not None:
        counted["completed"] = len(completion.completed)
    return EventFigures(**counted)


def _completions(*, events: list[Event], now: datetime.datetime) -> dict[int, "ClassAttendance"]:
    """The attendance of the classes among these events (annotated by with_figures) that have
    ended, in four queries: nobody completes a class before, so the others need none."""
    return class_attendance(
        events=[event for event in events if event.is_training and event.class_ends_at <= now],
        now=now,
        with_claims=False,
    )


def event_figures(
    *, events: QuerySet[Event], now: datetime.datetime | None = None
) -> dict[int, EventFigures]:
    """Figures of many events in a fixed number of queries (four more when classes that have
    ended are among them, for their completion)."""
    now = now or timezone.now()
    annotated = list(with_figures(events))
    completions = _completions(events=annotated, now=now)
    return {
        event.pk: figures_of(event, completion=completions.get(event.pk)) for event in annotated
    }


# Training attendance -----------------------------------------------------------------------------

ATTENDED = (AttendanceStatus.PRESENT, AttendanceStatus.LATE, AttendanceStatus.LEFT_EARLY)


@dataclass(frozen=True)
class Mark:
    """One trainee at one session: the status and the live sign-in and sign-out times. A session
    counts (held) once it has ended; before that its mark is shown but not counted."""

    status: AttendanceStatus
    signed_in: datetime.datetime | None
    signed_out: datetime.datetime | None
    held: bool

    @property
    def counts_as_due(self) -> bool:
        return self.held and self.status != AttendanceStatus.EXCUSED

    @property
    def counts_as_attended(self) -> bool:
        return self.held and self.status in ATTENDED


@dataclass(frozen=True)
class TraineeRow:
    registration: Registration
    marks: list[Mark]
    threshold: int  # percent
    class_ended: bool
    claimed_elsewhere: bool  # a subsidy filed this year for another class

    @property
    def due(self) -> int:
        """应到: sessions held, excused ones left out."""
        return sum(mark.counts_as_due for mark in self.marks)

    @property
    def attended(self) -> int:
        """实到: sessions held and attended (on time, late or leaving early)."""
        return sum(mark.counts_as_attended for mark in self.marks)

    @property
    def rate(self) -> float | None:
        return self.attended / self.due if self.due else None

    @property
    def below_threshold(self) -> bool:
        # In whole numbers: 29 of 100 at a 29 % threshold is not below it (29/100*100 is 28.999…).
        return self.due > 0 and self.attended * 100 < self.threshold * self.due

    @property
    def completed(self) -> bool:
        return self.class_ended and self.rate is not None and not self.below_threshold

    @property
    def assessment(self):
        return getattr(self.registration, "assessment", None)

    @property
    def passed(self) -> bool:
        return self.assessment is not None and self.assessment.outcome == AssessmentOutcome.PASSED

    @property
    def claim(self) -> SubsidyClaim | None:
        return getattr(self.registration, "subsidy_claim", None)

    @property
    def eligible(self) -> bool:
        """补贴申领: completed, assessment passed, no subsidy yet this year (domain.md 4.5.5)."""
        return self.completed and self.passed and not self.claimed_elsewhere

    @property
    def claimable(self) -> bool:
        """Eligible and not filed for this class yet."""
        return self.eligible and self.claim is None

    @property
    def eligibility_gap(self) -> str:
        """Why the trainee is not (yet) eligible for the subsidy, in a few words."""
        if not self.class_ended:
            return _("the class has not ended")
        if not self.completed:
            return _("attendance below %(threshold)s%%") % {"threshold": self.threshold}
        if not self.passed:
            return _("assessment not passed")
        if self.claimed_elsewhere:
            return _("a subsidy was already filed this year")
        return ""


@dataclass(frozen=True)
class ClassAttendance:
    sessions: list[Session]
    held: list[bool]
    rows: list[TraineeRow]
    ended: bool
    year: int  # the subsidy year: the year the class ends

    @property
    def session_totals(self) -> list[tuple[int, int]]:
        """Per session (attended, due); (0, 0) for a session not held yet."""
        return [
            (
                sum(row.marks[index].counts_as_attended for row in self.rows),
                sum(row.marks[index].counts_as_due for row in self.rows),
            )
            for index in range(len(self.sessions))
        ]

    @property
    def below_threshold(self) -> list[TraineeRow]:
        return [row for row in self.rows if row.below_threshold]

    @property
    def completed(self) -> list[TraineeRow]:
        return [row for row in self.rows if row.completed]

    @property
    def eligible(self) -> list[TraineeRow]:
        return [row for row in self.rows if row.eligible]

    @property
    def claimable(self) -> list[TraineeRow]:
        return [row for row in self.rows if row.claimable]


def class_attendance(
    *, events: list[Event], now: datetime.datetime | None = None, with_claims: bool = True
) -> dict[int, ClassAttendance]:
    """Training attendance of many classes: five queries whatever their number and size (four
    without the subsidy claims filed for other classes)."""
    if not events:
        return {}
    now = now or timezone.now()
    matrices = attendance_matrices(events=events)
    years = {event.pk: timezone.localtime(event.ends_at).year for event in events}
    claimed_elsewhere: set[tuple[int, int]] = set()
    if with_claims:
        claimed_elsewhere = set(
            SubsidyClaim.objects.filter(
                worker_id__in={
                    registration.worker_id
                    for matrix in matrices.values()
                    for registration in matrix.registrations
                },
                year__in=set(years.values()),
            )
            .exclude(registration__event_id__in=[event.pk for event in events])
            .values_list("worker_id", "year")
        )
    return {
        event.pk: _class_attendance(
            event,
            matrices[event.pk],
            now=now,
            year=years[event.pk],
            claimed_elsewhere=claimed_elsewhere,
        )
        for event in events
    }


def _class_attendance(
    event: Event,
    matrix: AttendanceMatrix,
    *,
    now: datetime.datetime,
    year: int,
    claimed_elsewhere: set[tuple[int, int]],
) -> ClassAttendance:
    held = [session.ends_at <= now for session in matrix.sessions]
    ended = all(held) if matrix.sessions else event.ends_at <= now
    rows = []
    for registration in matrix.registrations:
        marks = []
        for session, was_held in zip(matrix.sessions, held, strict=True):
            key = (registration.pk, session.pk)
            signed_in, signed_out = matrix.times[key]
            marks.append(Mark(matrix.cells[key], signed_in, signed_out, was_held))
        rows.append(
            TraineeRow(
                registration=registration,
                marks=marks,
                threshold=event.attendance_threshold,
                class_ended=ended,
                claimed_elsewhere=(registration.worker_id, year) in claimed_elsewhere,
            )
        )
    return ClassAttendance(sessions=matrix.sessions, held=held, rows=rows, ended=ended, year=year)


def export_jobs(*, user: User) -> QuerySet[ExportJob]:
    """The user's own exports, newest first (the model's ordering), the last 50."""
    return ExportJob.objects.filter(requested_by=user).select_related("event")[:50]


# One event's statistics --------------------------------------------------------------------------


@dataclass(frozen=True)
class BreakdownRow:
    key: str
    label: str
    registered: int  # confirmed registrations, walk-ins included
    arrived: int  # of whom signed in at least once


@dataclass(frozen=True)
class Breakdowns:
    county: list[BreakdownRow]
    township: list[BreakdownRow]
    sex: list[BreakdownRow]
    age_band: list[BreakdownRow]
    education: list[BreakdownRow]
    special_groups: list[BreakdownRow] | None  # None: not for this user

    def sections(self) -> list[tuple[str, str, list[BreakdownRow]]]:
        """(key, title, rows) of each breakdown in the order the statistics page, the fair
        summary and the API show them; special groups only when they are for this user."""
        sections = [
            ("county", _("By county of origin"), self.county),
            ("township", _("By township of origin"), self.township),
            ("sex", _("By sex"), self.sex),
            ("age_band", _("By age"), self.age_band),
            ("education", _("By education"), self.education),
        ]
        if self.special_groups is not None:
            sections.append(("special_groups", _("By special group"), self.special_groups))
        return sections


# (key, lowest age, highest age, label): keys are stable codes for the API, labels translated.
AGE_BANDS: list[tuple[str, int | None, int | None, str]] = [
    ("lt25", None, 24, gettext_lazy("Under 25")),
    ("25-34", 25, 34, "25–34"),
    ("35-44", 35, 44, "35–44"),
    ("45-54", 45, 54, "45–54"),
    ("55-59", 55, 59, "55–59"),
    ("60+", 60, None, gettext_lazy("60 and over")),
]
UNKNOWN = ""


def age_band(age: int | None) -> str:
    """The key of the band the age falls in, UNKNOWN without an age."""
    if age is None:
        return UNKNOWN
    for key, low, high, _label in AGE_BANDS:
        if (low is None or age >= low) and (high is None or age <= high):
            return key
    return UNKNOWN  # pragma: no cover - the bands cover every age


def _rows(
    tally: Counter, arrived: Counter, labels: dict[str, str], *, order: list[str] | None = None
) -> list[BreakdownRow]:
    """Rows in the given order (fixed categories) or by size; unknown last, in either case."""
    keys = [key for key in order if tally[key]] if order is not None else []
    keys += sorted(
        (key for key in tally if key not in keys and key != UNKNOWN),
        key=lambda key: (-tally[key], key),
    )
    if tally[UNKNOWN]:
        keys.append(UNKNOWN)
    not_known = _("Not known")
    return [
        BreakdownRow(
            key=key,
            label=labels.get(key, key) if key else not_known,
            registered=tally[key],
            arrived=arrived[key],
        )
        for key in keys
    ]


def _township_of(code: str) -> str:
    """The township of a township or village; UNKNOWN for a county or the city."""
    level = level_for_code(code)
    if level == RegionLevel.VILLAGE:
        return parent_code_for(code)
    return code if level == RegionLevel.TOWNSHIP else UNKNOWN


def breakdowns(*, event: Event, special_groups: bool) -> Breakdowns:
    """Confirmed people by origin county and township (household registration, else the county
    that issued the ID number), sex, age band at the start of the event and education; special
    groups only when asked (the caller checks the permission). Two queries (one more with
    special groups); region names come from a cache."""
    arrived = Exists(CheckIn.objects.filter(LIVE_SIGN_IN, registration_id=OuterRef("pk")))
    people = (
        Registration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED)
        .annotate(arrived=arrived)
        .order_by()
        .values_list(
            "worker__hukou_region__code",
            "worker__origin_county_code",
            "worker__sex",
            "worker__birth_date",
            "worker__education",
            "arrived",
        )
    )
    start = timezone.localdate(event.starts_at)
    tallies: dict[str, Counter] = defaultdict(Counter)
    arrivals: dict[str, Counter] = defaultdict(Counter)
    for hukou, origin, sex, birth_date, education, came in people.iterator(chunk_size=2000):
        keys = {
            "county": hukou[:6] + "000000" if hukou else origin or UNKNOWN,
            "township": _township_of(hukou) if hukou else UNKNOWN,
            "sex": sex or UNKNOWN,
            "age_band": age_band(age_on(birth_date, start) if birth_date else None),
            "education": education or UNKNOWN,
        }
        for name, key in keys.items():
            tallies[name][key] += 1
            if came:
                arrivals[name][key] += 1
    names = division_names()
    for code in tallies["county"]:
        if code and code not in names:  # a county outside the city's list
            names[code] = _("Elsewhere (%(code)s)") % {"code": code[:6]}
    bands = {key: str(label) for key, _low, _high, label in AGE_BANDS}
    special = None
    if special_groups:
        group_tally, group_arrived = Counter(), Counter()
        for group, came in (
            Registration.objects.filter(
                event=event,
                status=RegistrationStatus.CONFIRMED,
                worker__special_groups__isnull=False,
            )
            .annotate(arrived=arrived)
            .values_list("worker__special_groups__group", "arrived")
        ):
            group_tally[group] += 1
            group_arrived[group] += came
        special = _rows(
            group_tally, group_arrived, dict(SpecialGroup.choices), order=SpecialGroup.values
        )
    return Breakdowns(
        county=_rows(tallies["county"], arrivals["county"], names),
        township=_rows(tallies["township"], arrivals["township"], names),
        sex=_rows(tallies["sex"], arrivals["sex"], dict(Sex.choices), order=Sex.values),
        age_band=_rows(tallies["age_band"], arrivals["age_band"], bands, order=list(bands)),
        education=_rows(
            tallies["education"],
            arrivals["education"],
            dict(Education.choices),
            order=Education.values,
        ),
        special_groups=special,
    )


@dataclass(frozen=True)
class SessionArrivals:
    session: Session
    visits: int  # people signed in at this session
    quarters: list[tuple[datetime.datetime, int]]  # arrivals per 15 minutes (local time)


def session_arrivals(
    *, event: Event, sessions: list[Session], now: datetime.datetime
) -> list[SessionArrivals]:
    """Per session: people signed in and their arrivals per 15 minutes. One query reading one
    timestamp per sign-in."""
    times: dict[int, list[datetime.datetime]] = defaultdict(list)
    for session_id, scanned_at in CheckIn.objects.filter(
        LIVE_SIGN_IN, session__event=event
    ).values_list("session_id", "scanned_at"):
        times[session_id].append(scanned_at)
    rules = attendance_rules(event=event)
    return [
        SessionArrivals(
            session=session,
            visits=len(times[session.pk]),
            quarters=quarter_buckets(
                session=session, rules=rules, arrivals=times[session.pk], now=now
            ),
        )
        for session in sessions
    ]


@dataclass(frozen=True)
class ManualFigures:
    current: list[ManualFigure]  # the latest entry of each kind, in the kinds' order
    history: list[ManualFigure]  # every entry, newest first


def manual_figures(*, event: Event) -> ManualFigures:
    entries = list(ManualFigure.objects.filter(event=event).select_related("entered_by"))
    latest: dict[str, ManualFigure] = {}
    for entry in entries:  # newest first
        latest.setdefault(entry.kind, entry)
    return ManualFigures(
        current=[latest[kind] for kind in ManualFigureKind.values if kind in latest],
        history=entries,
    )


def booths_with_offers(*, event: Event) -> list[Booth]:
    """Booked booths with `present` (the employer came), `posts`, `openings` (published job
    listings offered at this fair) and `intentions` recorded with the employer. One query."""
    offers = offers_at_fair(event=OuterRef("event_id")).filter(
        joblisting__employer_id=OuterRef("employer_id")
    )
    return list(
        Booth.objects.filter(event=event)
        .exclude(status=BoothStatus.CANCELLED)
        .select_related("employer")
        .annotate(
            present=Exists(
                EmployerCheckIn.objects.filter(
                    event_id=OuterRef("event_id"), employer_id=OuterRef("employer_id")
                )
            ),
            posts=_aggregate(offers, "COUNT", "joblisting_id"),
            openings=_aggregate(offers, "SUM", "joblisting__headcount"),
            intentions=_aggregate(
                Intention.objects.filter(
                    event_id=OuterRef("event_id"), employer_id=OuterRef("employer_id")
                ),
                "COUNT",
                "pk",
            ),
        )
        .order_by("number", "pk")
    )


@dataclass(frozen=True)
class EventReport:
    """Everything the statistics page, the fair summary sheet and the API show of one event."""

    event: Event
    figures: EventFigures
    breakdowns: Breakdowns
    sessions: list[SessionArrivals]
    manual: ManualFigures
    booths: list[Booth]
    computed_at: datetime.datetime


def event_report(
    *,
    events: QuerySet[Event],
    event_id: int,
    special_groups: bool,
    now: datetime.datetime | None = None,
) -> EventReport | None:
    """The report of one event among `events` (statistics_events of the user), or None. Seven
    queries, eight with special groups, four more for a class that has ended (its completion)."""
    now = now or timezone.now()
    event = with_figures(events.select_related("region", "campaign")).filter(pk=event_id).first()
    if event is None:
        return None
    sessions = event_sessions(event_id=event.pk)
    is_fair = event.kind == EventKind.JOB_FAIR
    return EventReport(
        event=event,
        figures=figures_of(event, completion=_completions(events=[event], now=now).get(event.pk)),
        breakdowns=breakdowns(event=event, special_groups=special_groups),
        sessions=session_arrivals(event=event, sessions=sessions, now=now),
        manual=manual_figures(event=event),
        booths=booths_with_offers(event=event) if is_fair else [],
        computed_at=now,
    )


def recent_intentions(*, event: Event, limit: int = 20) -> list[Intention]:
    return list(
        Intention.objects.filter(event=event)
        .select_related("registration__worker", "employer", "job")
        .order_by("-recorded_at", "-pk")[:limit]
    )


def offered_jobs(*, event: Event) -> list[JobListing]:
    """Listings offered at the fair (offers_at_fair), for choosing the job of an intention."""
    return list(
        JobListing.objects.filter(pk__in=offers_at_fair(event=event.pk).values("joblisting_id"))
        .select_related("employer")
        .order_by("employer__name", "title")
    )


# Campaign overview -------------------------------------------------------------------------------


@dataclass(frozen=True)
class OverviewFilters:
    campaign: Campaign | None = None
    date_from: datetime.date | None = None
    date_to: datetime.date | None = None
    county_code: str = ""


@dataclass(frozen=True)
class Summary:
    figures: EventFigures
    computed_at: datetime.datetime


@dataclass(frozen=True)
class OverviewEvent:
    """What the overview needs of an event: a row, not a model (a season has hundreds)."""

    pk: int
    kind: str
    starts_at: datetime.datetime
    ends_at: datetime.datetime
    county_code: str


def overview_event_rows(*, filters: OverviewFilters) -> list[OverviewEvent]:
    return [
        OverviewEvent(*row)
        for row in overview_events(filters=filters).values_list(
            "pk", "kind", "starts_at", "ends_at", "region__code"
        )
    ]


def overview_events(*, filters: OverviewFilters) -> QuerySet[Event]:
    """Published, not cancelled events of the campaign / starting in the date range / held in
    the county."""
    events = live_events().exclude(status=EventStatus.CANCELLED)
    if filters.campaign is not None:
        events = events.filter(campaign=filters.campaign)
    if filters.date_from:
        events = events.filter(starts_at__date__gte=filters.date_from)
    if filters.date_to:
        events = events.filter(starts_at__date__lte=filters.date_to)
    if filters.county_code:
        events = events.filter(region__code=filters.county_code)
    return events


@dataclass
class OverviewRow:
    """The campaign figures over a set of events (all of them, one county, one week)."""

    key: str
    label: str
    fairs: int = 0  # fairs that have started
    entrants: int = 0  # summed over fairs: a person at two fairs counts twice
    visits: int = 0
    employers: int = 0  # employers present, summed over fairs (家次)
    posts: int = 0
    openings: int = 0
    intentions: int = 0
    classes: int = 0  # classes that have started
    trainees: int = 0
    trainees_ended: int = 0  # trainees of classes that have ended
    completed: int = 0

    @property
    def completion_rate(self) -> float | None:
        return self.completed / self.trainees_ended if self.trainees_ended else None

    def add(self, *, event: "OverviewEvent", figures: EventFigures, now: datetime.datetime) -> None:
        if event.starts_at > now:
            return  # not held yet: registrations are not attendance
        if event.kind == EventKind.JOB_FAIR:
            self.fairs += 1
            self.entrants += figures.entrants
            self.visits += figures.visits
            self.employers += figures.employers_present
            self.posts += figures.posts
            self.openings += figures.openings
            self.intentions += figures.intentions
        else:
            self.classes += 1
            self.trainees += figures.trainees
            if event.ends_at <= now:
                self.trainees_ended += figures.trainees
                self.completed += figures.completed

    def as_dict(self) -> dict:
        return {
            **{name: value for name, value in asdict(self).items() if name != "label"},
            "label": self.label,
            "completion_rate": self.completion_rate,
        }


@dataclass(frozen=True)
class CountyCoverage:
    code: str
    name: str
    villages: int
    covered: int  # villages with at least one worker on record
    workers: int

    @property
    def share(self) -> float | None:
        return self.covered / self.villages if self.villages else None


@dataclass(frozen=True)
class Overview:
    filters: OverviewFilters
    total: OverviewRow
    by_county: list[OverviewRow]
    by_week: list[OverviewRow]
    coverage: list[CountyCoverage]
    uncovered: list[tuple[str, str, str]]  # (township, village, code) without any worker
    counted_at: datetime.datetime  # the oldest count used (summaries, coverage)
    events: int  # events counted: those that have started


def week_start(moment: datetime.datetime) -> datetime.date:
    day = timezone.localdate(moment)
    return day - datetime.timedelta(days=day.weekday())


def campaign_overview(
    *,
    events: list[OverviewEvent],
    summaries: dict[int, Summary],
    filters: OverviewFilters,
    now: datetime.datetime | None = None,
) -> Overview:
    """Adds up the events' summaries (services.refresh_summaries keeps them) by county and by
    week, with village coverage: the workers on record per village in the county (or city).
    `counted_at` is the oldest of the counts it used."""
    now = now or timezone.now()
    names = division_names()
    total = OverviewRow(key="", label=_("All"))
    counties: dict[str, OverviewRow] = {}
    weeks: dict[datetime.date, OverviewRow] = {}
    for event in events:
        summary = summaries.get(event.pk)
        if summary is None:
            continue
        county = event.county_code
        week = week_start(event.starts_at)
        for row in (
            total,
            counties.setdefault(county, OverviewRow(key=county, label=names.get(county, county))),
            weeks.setdefault(week, OverviewRow(key=week.isoformat(), label=_week_label(week))),
        ):
            row.add(event=event, figures=summary.figures, now=now)
    coverage_counted_at, townships = village_coverage(county_code=filters.county_code)
    coverage, uncovered = _coverage(townships, names=names)
    held = [event for event in events if event.starts_at <= now and event.pk in summaries]
    used = [summaries[event.pk].computed_at for event in held] + [coverage_counted_at]
    return Overview(
        filters=filters,
        total=total,
        by_county=sorted(counties.values(), key=lambda row: row.key),
        by_week=[weeks[week] for week in sorted(weeks)],
        coverage=coverage,
        uncovered=uncovered,
        counted_at=min(used),
        events=len(held),
    )


COVERAGE_CACHE_SECONDS = 5 * 60


def coverage_cache_key(county_code: str) -> str:
    return f"statistics:coverage:{county_code or 'city'}"


def village_coverage(*, county_code: str = "") -> tuple[datetime.datetime, list[TownshipCoverage]]:
    """(when counted, workers on record per village) of the county or the whole city, kept in
    the cache for COVERAGE_CACHE_SECONDS like the events' summaries: counting 100,000 workers at
    every view of the overview would make it slower as the city's records grow. The
    coordinators' own coverage report (trainees.selectors.village_coverage) always counts."""
    key = coverage_cache_key(county_code)
    counted = cache.get(key)
    if counted is None:
        prefixes = [code_prefix(county_code)] if county_code else None
        counted = (timezone.now(), coverage_within(prefixes=prefixes))
        cache.set(key, counted, COVERAGE_CACHE_SECONDS)
    return counted


def _week_label(monday: datetime.date) -> str:
    sunday = monday + datetime.timedelta(days=6)
    return f"{monday:%Y-%m-%d} – {sunday:%m-%d}"


def _coverage(
    townships: Iterable[TownshipCoverage], *, names: dict[str, str]
) -> tuple[list[CountyCoverage], list[tuple[str, str, str]]]:
    totals: dict[str, list[int]] = defaultdict(lambda: [0, 0, 0])
    uncovered = []
    for township in townships:
        county = parent_code_for(township.code)
        for village in township.villages:
            counted = totals[county]
            counted[0] += 1
            counted[1] += village.workers > 0
            counted[2] += village.workers
            if not village.workers:
                uncovered.append((township.name, village.name, village.code))
        totals[county][2] += township.township_only
    rows = [
        CountyCoverage(
            code=code,
            name=names.get(code, code),
            villages=villages,
            covered=covered,
            workers=workers,
        )
        for code, (villages, covered, workers) in sorted(totals.items())
    ]
    return rows, uncovered


def summaries_for(*, event_ids: Iterable[int]) -> dict[int, Summary]:
    return {
        event_id: Summary(EventFigures.from_dict(figures), computed_at)
        for event_id, figures, computed_at in EventSummary.objects.filter(
            event_id__in=list(event_ids)
        ).values_list("event_id", "figures", "computed_at")
    }


def statistics_listing(
    *, user: User, kind: str = "", query: str = "", limit: int = 200
) -> list[Event]:
    """The statistics index: the user's events, newest first, of one kind and with the words in
    the title when asked."""
    events = statistics_events(user=user).select_related("region").order_by("-starts_at", "-pk")
    if kind in EventKind.values:
        events = events.filter(kind=kind)
    if query:
        events = events.filter(title__icontains=query)
    return list(events[:limit])
