from django.db import connection
from django.http import JsonResponse
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache
from wagtail.models import Page

from events import selectors as event_selectors

SEARCH_LIMIT = 20


def search(request):
    """Site-wide search over fairs, classes, jobs and articles; substring matching for Chinese."""
    query = request.GET.get("q", "").strip()[:50]
    context = {"query": query, "events": [], "jobs": [], "pages": []}
    if query:
        context["events"] = list(
            event_selectors.filter_events(filters=event_selectors.EventFilters(query=query))[
                :SEARCH_LIMIT
            ]
        )
        context["jobs"] = list(
            event_selectors.filter_job_listings(filters=event_selectors.JobFilters(query=query))[
                :SEARCH_LIMIT
            ]
        )
        context["pages"] = list(Page.objects.live().public().search(query)[:SEARCH_LIMIT])
    return TemplateResponse(request, "cms/search.html", context)


@never_cache
def healthz(request):
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})
