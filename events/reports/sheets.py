"""The exports as documents of tables, whatever the file format (events.reports.writers).

* 花名册 roster: the confirmed people of an event in the usual columns (domain.md 4.5.1);
* 考勤表 attendance sheet: trainees × sessions with sign-in and sign-out columns, 应到 / 实到 /
  出勤率 per trainee and per session, a legend and signature lines (domain.md 4.5.2);
* the fair summary report: the figures of the statistics page in report form;
* registrations and the scan log, row by row.

Full names are in the official sheets (people sign them); ID numbers and mobile numbers are
masked unless the requester may see them in full (ExportRequest). Rows are produced lazily,
from database iterators, so a 100,000-row roster never sits in memory.
"""

import datetime
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import pgettext

from events.models import (
    CheckIn,
    Event,
    EventKind,
    ExportFormat,
    ExportJob,
    ExportKind,
    Registration,
    RegistrationStatus,
    ScanLog,
)
from events.reports import selectors
from events.selectors import LIVE_SIGN_IN
from events.tickets import when_text
from trainees import crypto
from trainees.models import Region, RegionLevel

FORMATS: dict[str, tuple[str, ...]] = {
    ExportKind.ROSTER: (ExportFormat.XLSX, ExportFormat.CSV),
    ExportKind.ATTENDANCE: (ExportFormat.XLSX, ExportFormat.CSV, ExportFormat.PDF),
    ExportKind.FAIR_SUMMARY: (ExportFormat.XLSX, ExportFormat.CSV, ExportFormat.PDF),
    ExportKind.REGISTRATIONS: (ExportFormat.XLSX, ExportFormat.CSV),
    ExportKind.SCAN_LOG: (ExportFormat.XLSX, ExportFormat.CSV),
}
CHUNK = 2000


class Percent(float):
    """A share between 0 and 1, written as a percentage (a number format in XLSX)."""


class Code(str):
    """Digits that are a code, not a number (ID and mobile numbers): they must stay text, or
    Excel shows 4.50102E+17 and drops the last digits of an ID number."""


@dataclass(frozen=True)
class ExportRequest:
    """An export as the requester may have it: what they are allowed to see decides the columns,
    and their language the sheet's. `rows` is the estimate that decides between the request
    and a Celery worker."""

    kind: str
    file_format: str
    event: Event
    full_id_numbers: bool
    special_groups: bool
    language: str
    rows: int

    @classmethod
    def for_job(cls, job: ExportJob) -> "ExportRequest":
        return cls(
            kind=job.kind,
            file_format=job.file_format,
            event=job.event,
            full_id_numbers=job.full_id_numbers,
            special_groups=job.special_groups,
            language=job.language,
            rows=job.rows_total,
        )


@dataclass
class Table:
    title: str
    header: list[list[str]]
    rows: Iterable[Sequence[object]]
    footer: list[list[object]] = field(default_factory=list)
    # Columns repeated on every page when a wide table is split across PDF pages (No., name),
    # and the sizes of the groups of the other columns that stay together (sign-in, sign-out).
    key_columns: int = 1
    spans: list[int] | None = None


@dataclass
class Document:
    title: str
    lines: list[str]
    tables: list[Table]
    slug: str
    signatures: list[str] = field(default_factory=list)
    landscape: bool = False

    def filename(self, file_format: str) -> str:
        return f"{self.slug}.{file_format}"


def _slug(event: Event, kind: str, now: datetime.datetime) -> str:
    """'电焊工技能培训班第3期-花名册-20261201': readable, and safe as a file name."""
    title = re.sub(r'[\\/:*?"<>|\s]+', "", event.title)[:60]
    return f"{title}-{ExportKind(kind).label}-{timezone.localtime(now):%Y%m%d}"


def _local(moment: datetime.datetime | None, pattern: str = "%Y-%m-%d %H:%M") -> str:
    return timezone.localtime(moment).strftime(pattern) if moment else ""


def _event_lines(event: Event, now: datetime.datetime) -> list[str]:
    facts = [
        (_("When"), when_text(event)),
        (_("Where"), f"{event.venue}, {event.address}"),
    ]
    if event.is_training and event.institution:
        facts.append((_("Training institution"), event.institution))
    elif event.organiser:
        facts.append((_("Organiser"), event.organiser))
    facts.append((_("Counted at"), _local(now)))
    return [_("%(label)s: %(value)s") % {"label": label, "value": value} for label, value in facts]


def _title(event: Event, sheet: str) -> str:
    return f"{event.title} {sheet}"


def formats_for(*, event: Event) -> dict[str, tuple[str, ...]]:
    """The exports an event has, with their formats: the attendance sheet is for classes, the
    summary report for fairs."""
    skip = ExportKind.FAIR_SUMMARY if event.is_training else ExportKind.ATTENDANCE
    return {kind: formats for kind, formats in FORMATS.items() if kind != skip}


def estimate_rows(*, kind: str, event: Event) -> int:
    """The number of rows an export will have, to decide between the request and a worker."""
    if kind in (ExportKind.ROSTER, ExportKind.ATTENDANCE):
        return Registration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED).count()
    if kind == ExportKind.REGISTRATIONS:
        return Registration.objects.filter(event=event).count()
    if kind == ExportKind.SCAN_LOG:
        return ScanLog.objects.filter(event=event).count()
    return 0  # the fair summary: a few dozen rows of figures


def build(*, request: ExportRequest, now: datetime.datetime | None = None) -> Document:
    """The document for an export request, in the active language."""
    now = now or timezone.now()
    builders = {
        ExportKind.ROSTER: roster,
        ExportKind.ATTENDANCE: attendance_sheet,
        ExportKind.FAIR_SUMMARY: fair_summary,
        ExportKind.REGISTRATIONS: registrations,
        ExportKind.SCAN_LOG: scan_log,
    }
    return builders[request.kind](request, now)


# Personal columns --------------------------------------------------------------------------------


def _id_number(worker, *, full: bool) -> Code:
    if full and worker.id_number_encrypted:
        return Code(crypto.decrypt(worker.id_number_encrypted))
    return Code(worker.id_number_masked)


def _phone(worker, *, full: bool) -> Code:
    return Code(worker.phone if full else worker.masked_phone)


def _hukou(region: Region | None) -> str:
    """County, township and village names, as on a household register: 兴宁区三塘镇民乐村."""
    names = []
    while region is not None and region.level != RegionLevel.CITY:
        names.append(region.name)
        # Up to the county, which the roster's select_related loads; its city is not needed.
        region = region.parent if region.level != RegionLevel.COUNTY else None
    return "".join(reversed(names))


# Roster (花名册) -----------------------------------------------------------------------------------


def roster(request: ExportRequest, now: datetime.datetime) -> Document:
    event = request.event
    full = request.full_id_numbers
    people = (
        Registration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED)
        .select_related("worker__hukou_region__parent__parent")
        .order_by("created_at", "pk")
    )
    if request.special_groups:
        people = people.prefetch_related("worker__special_groups")
    header = [
        _("No."),
        _("Name"),
        _("Sex"),
        _("ID number"),
        _("Born"),
        _("Education level"),
        _("Household registration"),
        _("Mobile number"),
    ]
    if request.special_groups:
        header.append(_("Special groups"))
    header += [_("Trade and level"), _("Class"), _("Dates"), _("Registered")]
    trade = " ".join(
        part
        for part in (event.trade, event.get_skill_level_display() if event.skill_level else "")
        if part
    )
    dates = f"{timezone.localdate(event.starts_at):%Y-%m-%d} – {timezone.localdate(event.ends_at):%Y-%m-%d}"

    def rows() -> Iterator[list[object]]:
        for number, registration in enumerate(people.iterator(chunk_size=CHUNK), start=1):
            worker = registration.worker
            row = [
                number,
                worker.name,
                worker.get_sex_display(),
                _id_number(worker, full=full),
                f"{worker.birth_date:%Y-%m}" if worker.birth_date else "",
                worker.get_education_display(),
                _hukou(worker.hukou_region),
                _phone(worker, full=full),
            ]
            if request.special_groups:
                row.append(
                    "、".join(
                        str(group.get_group_display()) for group in worker.special_groups.all()
                    )
                )
            row += [trade, event.title, dates, registration.get_channel_display()]
            yield row

    return Document(
        title=_title(event, _("Roster")),
        lines=_event_lines(event, now),
        tables=[Table(title="", header=[header], rows=rows(), key_columns=2)],
        slug=_slug(event, ExportKind.ROSTER, now),
        signatures=[_("Prepared by (signature)"), _("Date")],
        landscape=True,
    )


# Attendance sheet (考勤表) -------------------------------------------------------------------------


def half_day(moment: datetime.datetime) -> str:
    hour = timezone.localtime(moment).hour
    if hour < 12:
        return _("Morning")
    if hour < 18:
        return _("Afternoon")
    return _("Evening")


def session_labels(sessions) -> list[str]:
    """'03-02 上午' per session; the session's title is added where two would read the same."""
    labels = [f"{timezone.localtime(s.starts_at):%m-%d} {half_day(s.starts_at)}" for s in sessions]
    return [
        f"{label} {session.title}" if labels.count(label) > 1 and session.title else label
        for label, session in zip(labels, sessions, strict=True)
    ]


def mark_symbols() -> dict[str, str]:
    return {
        "late": pgettext("attendance sheet mark", "late"),
        "left_early": pgettext("attendance sheet mark", "left early"),
        "absent": pgettext("attendance sheet mark", "absent"),
        "excused": pgettext("attendance sheet mark", "excused"),
    }


def attendance_cells(mark: selectors.Mark, symbols: dict[str, str]) -> tuple[str, str]:
    """(sign-in cell, sign-out cell): the times, with a mark for late or leaving early; a symbol
    for absent and excused; blank for a session not held yet."""
    status = mark.status
    if not mark.held and mark.signed_in is None:
        return "", ""
    if status == selectors.AttendanceStatus.EXCUSED:
        return symbols["excused"], symbols["excused"]
    if status == selectors.AttendanceStatus.ABSENT:
        return symbols["absent"], ""
    signed_in = _local(mark.signed_in, "%H:%M")
    if status == selectors.AttendanceStatus.LATE:
        signed_in = f"{signed_in} {symbols['late']}"
    signed_out = _local(mark.signed_out, "%H:%M")
    if status == selectors.AttendanceStatus.LEFT_EARLY:
        signed_out = f"{signed_out} {symbols['left_early']}"
    return signed_in, signed_out


def _rate(attended: int, due: int) -> Percent | str:
    return Percent(attended / due) if due else ""


def attendance_sheet(request: ExportRequest, now: datetime.datetime) -> Document:
    event = request.event
    attendance = selectors.class_attendance(events=[event], now=now, with_claims=False)[event.pk]
    symbols = mark_symbols()
    labels = session_labels(attendance.sessions)
    first = [_("No."), _("Name"), _("ID number")]
    second = ["", "", ""]
    for label in labels:
        first += [label, ""]
        second += [_("Sign-in"), _("Sign-out")]
    first += [_("Due"), _("Attended"), _("Attendance rate")]
    second += ["", "", ""]

    rows = []
    for number, row in enumerate(attendance.rows, start=1):
        cells: list[object] = [
            number,
            row.registration.worker.name,
            _id_number(row.registration.worker, full=request.full_id_numbers),
        ]
        for mark in row.marks:
            cells.extend(attendance_cells(mark, symbols))
        cells += [row.due, row.attended, _rate(row.attended, row.due)]
        rows.append(cells)
    totals: list[object] = [_("Total"), "", ""]
    for attended, due in attendance.session_totals:
        totals += [f"{attended}/{due}" if due else "", ""]
    due = sum(row.due for row in attendance.rows)
    attended = sum(row.attended for row in attendance.rows)
    totals += [due, attended, _rate(attended, due)]
    legend = (
        _(
            "Times are sign-in and sign-out times. %(late)s: late; %(left_early)s: left early; "
            "%(absent)s: absent; %(excused)s: excused absence; blank: session not held yet. Due: "
            "sessions held less excused ones; attended: on time, late or leaving early."
        )
        % symbols
    )
    below = [row.registration.worker.name for row in attendance.below_threshold]
    footer: list[list[object]] = [totals, [legend]]
    if below:
        footer.append(
            [
                _("Below %(threshold)s%% attendance: %(names)s")
                % {"threshold": event.attendance_threshold, "names": "、".join(below)}
            ]
        )
    return Document(
        title=_title(event, _("Attendance sheet")),
        lines=_event_lines(event, now),
        tables=[
            Table(
                title="",
                header=[first, second],
                rows=rows,
                footer=footer,
                key_columns=3,
                spans=[2] * len(labels),
            )
        ],
        slug=_slug(event, ExportKind.ATTENDANCE, now),
        signatures=[
            _("Class teacher (signature)"),
            _("Instructor (signature)"),
            _("Training institution (seal)"),
            _("Date"),
        ],
        landscape=True,
    )


# Fair summary ------------------------------------------------------------------------------------


def _figure_rows(report: selectors.EventReport) -> list[list[object]]:
    figures = report.figures
    rows: list[list[object]] = [
        [_("Registered beforehand"), figures.registered, ""],
        [_("Registered at the gate"), figures.walk_ins, ""],
        [_("Entrants (people)"), figures.entrants, ""],
        [_("Entrants (visits)"), figures.visits, ""],
        [
            _("Registered but did not come"),
            figures.no_shows,
            Percent(figures.no_show_rate) if figures.no_show_rate is not None else "",
        ],
    ]
    if report.event.kind == EventKind.JOB_FAIR:
        rows += [
            [_("Employers booked"), figures.employers_booked, ""],
            [_("Employers present"), figures.employers_present, ""],
            [_("Posts offered by employers present"), figures.posts, ""],
            [_("Openings offered by employers present"), figures.openings, ""],
            [_("Job intentions (records)"), figures.intentions, ""],
            [_("Job intentions (people)"), figures.intention_people, ""],
        ]
    for entry in report.manual.current:
        rows.append(
            [
                entry.get_kind_display(),
                entry.value,
                _("entered by hand: %(reason)s") % {"reason": entry.reason},
            ]
        )
    return rows


def _breakdown_table(title: str, rows: list[selectors.BreakdownRow]) -> Table:
    return Table(
        title=title,
        header=[["", _("Registered"), _("Came")]],
        rows=[[row.label, row.registered, row.arrived] for row in rows],
    )


def fair_summary(request: ExportRequest, now: datetime.datetime) -> Document:
    event = request.event
    report = selectors.event_report(
        events=Event.objects.filter(pk=event.pk),
        event_id=event.pk,
        special_groups=request.special_groups,
        now=now,
    )
    tables = [
        Table(
            title=_("Key figures"),
            header=[[_("Figure"), _("Value"), _("Note")]],
            rows=_figure_rows(report),
        ),
        Table(
            title=_("Arrivals per 15 minutes"),
            header=[[_("Session"), pgettext("arrivals per 15 minutes", "From"), _("Arrivals")]],
            rows=[
                [str(item.session), _local(start, "%H:%M"), count]
                for item in report.sessions
                for start, count in item.quarters
            ],
        ),
    ]
    tables += [_breakdown_table(title, rows) for _key, title, rows in report.breakdowns.sections()]
    if report.booths:
        tables.append(
            Table(
                title=_("Employers"),
                header=[
                    [
                        _("Booth"),
                        _("Employer"),
                        _("Present"),
                        _("Posts"),
                        _("Openings"),
                        _("Job intentions"),
                    ]
                ],
                rows=[
                    [
                        booth.number,
                        booth.employer.name,
                        _("yes") if booth.present else _("no"),
                        booth.posts,
                        booth.openings,
                        booth.intentions,
                    ]
                    for booth in report.booths
                ],
                key_columns=2,
            )
        )
    return Document(
        title=_title(event, _("Summary report")),
        lines=_event_lines(event, now),
        tables=tables,
        slug=_slug(event, ExportKind.FAIR_SUMMARY, now),
        signatures=[_("Prepared by"), _("Checked by"), _("Organiser (seal)"), _("Date")],
    )


# Registrations and scan log ----------------------------------------------------------------------


def registrations(request: ExportRequest, now: datetime.datetime) -> Document:
    event = request.event
    full = request.full_id_numbers
    waiting = Registration.objects.filter(event=event, status=RegistrationStatus.WAITLISTED)
    positions = {
        pk: position
        for position, pk in enumerate(
            waiting.order_by("waitlisted_at", "pk").values_list("pk", flat=True), start=1
        )
    }
    first_sign_in = (
        CheckIn.objects.filter(LIVE_SIGN_IN, registration=OuterRef("pk"))
        .order_by("scanned_at")
        .values("scanned_at")[:1]
    )
    people = (
        Registration.objects.filter(event=event)
        .select_related("worker")
        .annotate(first_sign_in=Subquery(first_sign_in))
        .order_by("created_at", "pk")
    )
    header = [
        _("No."),
        _("Name"),
        _("Mobile number"),
        _("ID number"),
        _("Status"),
        _("Waiting list position"),
        _("Registered"),
        _("Registered at"),
        _("Confirmed at"),
        _("Cancelled at"),
        _("Reason for cancelling"),
        _("First sign-in"),
    ]

    def rows() -> Iterator[list[object]]:
        for number, registration in enumerate(people.iterator(chunk_size=CHUNK), start=1):
            worker = registration.worker
            yield [
                number,
                worker.name,
                _phone(worker, full=full),
                _id_number(worker, full=full),
                registration.get_status_display(),
                positions.get(registration.pk, ""),
                registration.get_channel_display(),
                _local(registration.created_at),
                _local(registration.confirmed_at),
                _local(registration.cancelled_at),
                registration.cancel_reason,
                _local(registration.first_sign_in),
            ]

    return Document(
        title=_title(event, _("Registrations")),
        lines=_event_lines(event, now),
        tables=[Table(title="", header=[header], rows=rows(), key_columns=2)],
        slug=_slug(event, ExportKind.REGISTRATIONS, now),
        landscape=True,
    )


def scan_log(request: ExportRequest, now: datetime.datetime) -> Document:
    """Every scan of the event; names masked (this sheet checks the gates, not the people)."""
    event = request.event
    scans = (
        ScanLog.objects.filter(event=event)
        .select_related("session", "registration__worker", "device", "user")
        .order_by("received_at", "pk")
    )
    header = [
        _("Received at"),
        _("Scanned at"),
        _("Session"),
        _("Result"),
        _("Name"),
        _("Direction"),
        _("Gate"),
        _("Device"),
        _("Staff"),
    ]

    def rows() -> Iterator[list[object]]:
        for scan in scans.iterator(chunk_size=CHUNK):
            yield [
                _local(scan.received_at, "%Y-%m-%d %H:%M:%S"),
                _local(scan.scanned_at, "%Y-%m-%d %H:%M:%S"),
                str(scan.session) if scan.session_id else "",
                scan.get_result_display(),
                scan.registration.worker.masked_name if scan.registration_id else "",
                scan.get_direction_display(),
                scan.gate,
                str(scan.device) if scan.device_id else "",
                scan.user.get_username() if scan.user_id else "",
            ]

    return Document(
        title=_title(event, _("Scan log")),
        lines=_event_lines(event, now),
        tables=[Table(title="", header=[header], rows=rows())],
        slug=_slug(event, ExportKind.SCAN_LOG, now),
        landscape=True,
    )
