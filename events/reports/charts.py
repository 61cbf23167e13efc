"""Charts of the statistics pages as data: the page draws each with the vendored Chart.js
(static/js/charts.js) and shows the same numbers in a table beside it, which is also what
screen readers and printouts get. No database access here."""

from dataclasses import dataclass

from django.utils import timezone
from django.utils.translation import gettext as _

from events.reports.selectors import BreakdownRow, ClassAttendance, EventReport, Overview


@dataclass(frozen=True)
class Chart:
    id: str
    title: str
    labels: list[str]
    series: list[tuple[str, list[float | None]]]
    horizontal: bool = False
    percent: bool = False  # values are shares between 0 and 1

    @property
    def data(self) -> dict:
        """What static/js/charts.js reads (json_script)."""
        return {
            "labels": self.labels,
            "series": [{"label": label, "values": values} for label, values in self.series],
            "horizontal": self.horizontal,
            "percent": self.percent,
        }

    @property
    def rows(self) -> list[tuple[str, list[float]]]:
        """The data table: one row per label, one column per series."""
        return [
            (label, [values[index] for _label, values in self.series])
            for index, label in enumerate(self.labels)
        ]

    @property
    def headings(self) -> list[str]:
        return [label for label, _values in self.series]


# Breakdown charts are chart-<key> (dashes for underscores) but for these; bars run across but
# for the few fixed categories in columns; the township chart shows the largest townships only.
BREAKDOWN_CHART_IDS = {"age_band": "chart-age"}
BREAKDOWNS_IN_COLUMNS = {"sex", "age_band"}
TOWNSHIPS_CHARTED = 15


def _breakdown(chart_id: str, title: str, rows: list[BreakdownRow], *, horizontal=False) -> Chart:
    return Chart(
        id=chart_id,
        title=title,
        labels=[row.label for row in rows],
        series=[
            (_("Registered"), [row.registered for row in rows]),
            (_("Came"), [row.arrived for row in rows]),
        ],
        horizontal=horizontal,
    )


def arrivals_chart(*, chart_id: str, session, quarters) -> Chart:
    """Sign-ins per 15 minutes of a session (selectors.quarter_buckets)."""
    return Chart(
        id=chart_id,
        title=_("Arrivals per 15 minutes: %(session)s") % {"session": session},
        labels=[f"{timezone.localtime(start):%H:%M}" for start, _count in quarters],
        series=[(_("Arrivals"), [count for _start, count in quarters])],
    )


def event_charts(report: EventReport) -> list[Chart]:
    result = []
    if report.event.is_training:
        result.append(
            Chart(
                id="chart-sessions",
                title=_("People signed in per session"),
                labels=[str(item.session) for item in report.sessions],
                series=[(_("Signed in"), [item.visits for item in report.sessions])],
            )
        )
    else:
        result += [
            arrivals_chart(
                chart_id=f"chart-arrivals-{index}", session=item.session, quarters=item.quarters
            )
            for index, item in enumerate(report.sessions)
        ]
    result += [
        _breakdown(
            BREAKDOWN_CHART_IDS.get(key, "chart-" + key.replace("_", "-")),
            title,
            rows[:TOWNSHIPS_CHARTED] if key == "township" else rows,
            horizontal=key not in BREAKDOWNS_IN_COLUMNS,
        )
        for key, title, rows in report.breakdowns.sections()
    ]
    return result


def session_attendance_chart(attendance: ClassAttendance, *, labels: list[str]) -> Chart:
    totals = attendance.session_totals
    return Chart(
        id="chart-session-rate",
        title=_("Attendance rate per session"),
        labels=[label for label, held in zip(labels, attendance.held, strict=True) if held],
        series=[
            (
                _("Attendance rate"),
                [
                    # Nobody due (everyone excused): no rate, not a rate of nought.
                    round(attended / due, 3) if due else None
                    for (attended, due), held in zip(totals, attendance.held, strict=True)
                    if held
                ],
            )
        ],
        percent=True,
    )


def overview_charts(overview: Overview) -> list[Chart]:
    weeks, counties = overview.by_week, overview.by_county
    return [
        Chart(
            id="chart-weeks",
            title=_("Week by week"),
            labels=[row.label for row in weeks],
            series=[
                (_("Fair entrants"), [row.entrants for row in weeks]),
                (_("Trainees"), [row.trainees for row in weeks]),
            ],
        ),
        Chart(
            id="chart-counties",
            title=_("By county"),
            labels=[row.label for row in counties],
            series=[
                (_("Fair entrants"), [row.entrants for row in counties]),
                (_("Openings"), [row.openings for row in counties]),
                (_("Trainees"), [row.trainees for row in counties]),
            ],
            horizontal=True,
        ),
        Chart(
            id="chart-coverage",
            title=_("Villages with workers on record"),
            labels=[row.name for row in overview.coverage],
            series=[
                (_("Share of villages"), [round(row.share or 0, 3) for row in overview.coverage])
            ],
            horizontal=True,
            percent=True,
        ),
    ]
