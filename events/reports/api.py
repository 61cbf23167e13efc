"""The statistics JSON API for the bureau's other systems (docs/statistics-api.md,
docs/statistics-openapi.json). Read-only, aggregate figures only: no names, phones or ID
numbers, ever.

Two ways to authenticate: `Authorization: Bearer <token>` of a StatisticsClient created in the
admin (every event; special groups never), or a staff session (the events the user may see;
special groups with trainees.view_special_groups). Errors are {"status": "error", "code": ...,
"message": ...} with 400, 401 or 404.
"""

import datetime

from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.dateparse import parse_date
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from events.models import Campaign, Event
from events.reports import selectors, services


class _Denied(Exception):
    pass


def _json(data: dict, status: int = 200) -> JsonResponse:
    response = JsonResponse(data, status=status, json_dumps_params={"ensure_ascii": False})
    patch_cache_control(response, private=True, no_store=True)
    patch_vary_headers(response, ["Authorization", "Cookie"])
    return response


def _error(status: int, code: str, message: str) -> JsonResponse:
    return _json({"status": "error", "code": code, "message": message}, status=status)


def _caller(request: HttpRequest) -> tuple[object, bool]:
    """(events the caller may see, whether special groups are included)."""
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        client = services.authenticate_statistics_client(token=header.removeprefix("Bearer "))
        if client is None:
            raise _Denied
        return Event.objects.all(), False
    user = request.user
    if not (user.is_authenticated and user.is_active):
        raise _Denied
    return selectors.statistics_events(user=user), selectors.may_see_special_groups(user=user)


def _iso(moment: datetime.datetime | None) -> str | None:
    return timezone.localtime(moment).isoformat() if moment else None


def _rows(rows: list[selectors.BreakdownRow]) -> list[dict]:
    return [
        {"key": row.key, "label": row.label, "registered": row.registered, "came": row.arrived}
        for row in rows
    ]


@require_GET
def event_statistics(request: HttpRequest, event_id: int) -> JsonResponse:
    try:
        events, special_groups = _caller(request)
    except _Denied:
        return _error(401, "unauthenticated", _("Sign in or send a valid statistics API token."))
    report = selectors.event_report(events=events, event_id=event_id, special_groups=special_groups)
    if report is None:
        return _error(404, "not_found", _("There is no such event, or it is not yours to see."))
    event = report.event
    figures = report.figures
    if event.is_training:
        attendance = selectors.class_attendance(events=[event], with_claims=False)[event.pk]
        figures = selectors.figures_of(event, completion=attendance)
    breakdowns = report.breakdowns
    return _json(
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
            "figures": figures.as_dict(),
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
            "breakdowns": {
                "county": _rows(breakdowns.county),
                "township": _rows(breakdowns.township),
                "sex": _rows(breakdowns.sex),
                "age_band": _rows(breakdowns.age_band),
                "education": _rows(breakdowns.education),
                **(
                    {"special_groups": _rows(breakdowns.special_groups)}
                    if breakdowns.special_groups is not None
                    else {}
                ),
            },
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
def overview_statistics(request: HttpRequest) -> JsonResponse:
    return _overview(request, campaign_id=None)


@require_GET
def campaign_statistics(request: HttpRequest, campaign_id: int) -> JsonResponse:
    """The overview of one campaign: /overview?campaign=<id> at a path of its own."""
    return _overview(request, campaign_id=campaign_id)


def _overview(request: HttpRequest, *, campaign_id: int | None) -> JsonResponse:
    try:
        _caller(request)
    except _Denied:
        return _error(401, "unauthenticated", _("Sign in or send a valid statistics API token."))
    if not _sees_all(request):
        return _error(404, "not_found", _("The campaign overview is for the bureau."))
    if campaign_id is not None and not Campaign.objects.filter(pk=campaign_id).exists():
        return _error(404, "not_found", _("There is no such campaign."))
    try:
        filters = _filters(request, campaign_id=campaign_id)
    except ValueError as error:
        return _error(400, "bad_request", str(error))
    overview = services.campaign_overview(filters=filters)
    return _json(
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


def _sees_all(request: HttpRequest) -> bool:
    if request.headers.get("Authorization", "").startswith("Bearer "):
        return True
    return selectors.sees_every_event(user=request.user)


def _filters(request: HttpRequest, *, campaign_id: int | None) -> selectors.OverviewFilters:
    params = request.GET
    campaign = None
    if campaign_id is not None:
        campaign = Campaign.objects.get(pk=campaign_id)
    elif params.get("campaign"):
        if not params["campaign"].isdigit():
            raise ValueError(_("campaign must be a campaign id."))
        campaign = Campaign.objects.filter(pk=int(params["campaign"])).first()
        if campaign is None:
            raise ValueError(_("There is no such campaign."))
    dates = {}
    for name in ("from", "to"):
        value = params.get(name, "")
        try:
            dates[name] = parse_date(value) if value else None
        except ValueError:  # well formed but impossible, such as 2026-02-30
            dates[name] = None
        if value and dates[name] is None:
            raise ValueError(_("%(name)s must be a date like 2026-03-01.") % {"name": name})
    if dates["from"] and dates["to"] and dates["to"] < dates["from"]:
        raise ValueError(_("The end date cannot be before the start date."))
    county = params.get("county", "")
    if county and not (county.isdigit() and len(county) == 12):
        raise ValueError(_("county must be a 12-digit division code."))
    return selectors.OverviewFilters(
        campaign=campaign, date_from=dates["from"], date_to=dates["to"], county_code=county
    )
