"""The statistics JSON API for the bureau's other systems (docs/statistics-api.md,
docs/statistics-openapi.json). Read-only, aggregate figures only: no names, phones or ID
numbers, ever.

Two ways to authenticate: `Authorization: Bearer <token>` of a StatisticsClient created in the
admin (every event; special groups never), or a staff session (the events the user may see;
special groups with trainees.view_special_groups); any other Authorization header is a 401,
as in the check-in API. Errors are {"status": "error", "code": ..., "message": ...} with 400,
401 or 404 (events.api_support).
"""

import datetime
from dataclasses import dataclass

from django.db.models import QuerySet
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from events.api_support import ApiError, json_errors, json_response
from events.models import Event
from events.reports import selectors, services
from events.reports.forms import OverviewForm

# The overview's query parameters by OverviewForm field.
OVERVIEW_PARAMETERS = {
    "campaign": "campaign",
    "date_from": "from",
    "date_to": "to",
    "county": "county",
}


@dataclass(frozen=True)
class Caller:
    """Who is asking, as far as statistics go."""

    events: QuerySet[Event]  # the events the caller may see
    special_groups: bool  # whether breakdowns by special group are for them
    sees_all: bool  # every event and the campaign overview: a token or the bureau


def _caller(request: HttpRequest) -> Caller:
    """Who is asking. An Authorization header is never passed over for the session: anything
    but a live client's `Bearer <token>` is refused, as by the check-in API."""
    header = request.META.get("HTTP_AUTHORIZATION", "")  # request.headers would parse them all
    if header:
        scheme, _space, token = header.partition(" ")
        if scheme.lower() != "bearer" or not services.authenticate_statistics_client(
            token=token.strip()
        ):
            raise _unauthenticated()
        return Caller(events=Event.objects.all(), special_groups=False, sees_all=True)
    user = request.user
    if not (user.is_authenticated and user.is_active):
        raise _unauthenticated()
    return Caller(
        events=selectors.statistics_events(user=user),
        special_groups=selectors.may_see_special_groups(user=user),
        sees_all=selectors.sees_every_event(user=user),
    )


def _unauthenticated() -> ApiError:
    return ApiError(401, "unauthenticated", _("Sign in or send a valid statistics API token."))


def _iso(moment: datetime.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def _rows(rows: list[selectors.BreakdownRow]) -> list[dict]:
    return [
        {"key": row.key, "label": row.label, "registered": row.registered, "came": row.arrived}
        for row in rows
    ]


@require_GET
@json_errors
def event_statistics(request: HttpRequest, event_id: int) -> JsonResponse:
    caller = _caller(request)
    report = selectors.event_report(
        events=caller.events, event_id=event_id, special_groups=caller.special_groups
    )
    if report is None:
        raise ApiError(404, "not_found", _("There is no such event, or it is not yours to see."))
    event = report.event
    return json_response(
        {
            "event": {
                "id": event.pk,
                "title": event.title,
                "kind": event.kind,
                "status": event.status,
                "starts_at": _iso(event.starts_at),
                "ends_at": _iso(event.ends_at),
                "county": {"code": event.region.code, "name": event.region.name},
                "campaign": event.campaign_id,
            },
            "counted_at": _iso(report.computed_at),
            "figures": report.figures.as_dict(),
            "manual_figures": [
                {
                    "kind": entry.kind,
                    "label": entry.get_kind_display(),
                    "value": entry.value,
                    "reason": entry.reason,
                    "entered_at": _iso(entry.entered_at),
                }
                for entry in report.manual.current
            ],
            "sessions": [
                {
                    "id": item.session.pk,
                    "title": str(item.session),
                    "starts_at": _iso(item.session.starts_at),
                    "ends_at": _iso(item.session.ends_at),
                    "signed_in": item.visits,
                    "arrivals_per_15_minutes": [
                        {"from": _iso(start), "count": count} for start, count in item.quarters
                    ],
                }
                for item in report.sessions
            ],
            "breakdowns": {key: _rows(rows) for key, _title, rows in report.breakdowns.sections()},
            "employers": [
                {
                    "booth": booth.number,
                    "name": booth.employer.name,
                    "credit_code": booth.employer.credit_code,
                    "present": booth.present,
                    "posts": booth.posts,
                    "openings": booth.openings,
                    "intentions": booth.intentions,
                }
                for booth in report.booths
            ],
        }
    )


@require_GET
@json_errors
def overview_statistics(request: HttpRequest) -> JsonResponse:
    return _overview(request, campaign_id=None)


@require_GET
@json_errors
def campaign_statistics(request: HttpRequest, campaign_id: int) -> JsonResponse:
    """The overview of one campaign: /overview?campaign=<id> at a path of its own."""
    return _overview(request, campaign_id=campaign_id)


def _overview(request: HttpRequest, *, campaign_id: int | None) -> JsonResponse:
    if not _caller(request).sees_all:
        raise ApiError(404, "not_found", _("The campaign overview is for the bureau."))
    filters = _filters(request, campaign_id=campaign_id)
    overview = services.campaign_overview(filters=filters)
    return json_response(
        {
            "filters": {
                "campaign": filters.campaign.pk if filters.campaign else None,
                "from": filters.date_from.isoformat() if filters.date_from else None,
                "to": filters.date_to.isoformat() if filters.date_to else None,
                "county": filters.county_code or None,
            },
            "counted_at": _iso(overview.counted_at),
            "events": overview.events,
            "total": overview.total.as_dict(),
            "by_county": [row.as_dict() for row in overview.by_county],
            "by_week": [row.as_dict() for row in overview.by_week],
            "coverage": [
                {
                    "code": row.code,
                    "name": row.name,
                    "villages": row.villages,
                    "covered": row.covered,
                    "workers": row.workers,
                }
                for row in overview.coverage
            ],
        }
    )


def _filters(request: HttpRequest, *, campaign_id: int | None) -> selectors.OverviewFilters:
    """The overview's filters from the query parameters (OVERVIEW_PARAMETERS) and the campaign
    of the path, validated by the overview screen's form: 404 for an unknown campaign in the
    path, 400 naming the parameters for anything else that is wrong."""
    data = {field: request.GET.get(name, "") for field, name in OVERVIEW_PARAMETERS.items()}
    if campaign_id is not None:
        data["campaign"] = campaign_id
    form = OverviewForm(data)
    if form.is_valid():
        return form.filters()
    if campaign_id is not None and "campaign" in form.errors:
        raise ApiError(404, "not_found", _("There is no such campaign."))
    raise ApiError(
        400,
        "bad_request",
        " ".join(
            _("%(label)s: %(error)s") % {"label": OVERVIEW_PARAMETERS[field], "error": error}
            if field in OVERVIEW_PARAMETERS
            else error
            for field, errors in form.errors.items()
            for error in errors
        ),
    )
