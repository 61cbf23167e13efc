import json

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe

from cms.models import EventIndexPage, JobIndexPage
from cms.structured_data import event_json_ld, job_json_ld

register = template.Library()


def _index_url(context, page_class) -> str:
    """URL of the site's single index page of this type, looked up once per request."""
    request = context.get("request")
    cache = getattr(request, "_chunfeng_index_urls", None) if request else None
    if cache is None:
        cache = {}
        if request is not None:
            request._chunfeng_index_urls = cache
    if page_class not in cache:
        page = page_class.objects.live().first()
        cache[page_class] = page.get_url(request) if page else None
    return cache[page_class]


@register.simple_tag(takes_context=True)
def event_url(context, event) -> str:
    base = _index_url(context, EventIndexPage)
    return f"{base}{event.pk}/" if base else ""


@register.simple_tag(takes_context=True)
def event_calendar_url(context, event) -> str:
    base = _index_url(context, EventIndexPage)
    return f"{base}{event.pk}/calendar/" if base else ""


@register.simple_tag(takes_context=True)
def job_url(context, job) -> str:
    base = _index_url(context, JobIndexPage)
    return f"{base}{job.pk}/" if base else ""


def _json_ld(data) -> str:
    # Escape characters that could close the script element early.
    payload = (
        json.dumps(data, ensure_ascii=False)
        .replace("<", "\\u003c")
        .replace(">", "\\u003e")
        .replace("&", "\\u0026")
    )
    return format_html('<script type="application/ld+json">{}</script>', mark_safe(payload))  # noqa: S308


@register.simple_tag(takes_context=True)
def event_structured_data(context, event) -> str:
    request = context["request"]
    return _json_ld(
        event_json_ld(event=event, url=request.build_absolute_uri(event_url(context, event)))
    )


@register.simple_tag(takes_context=True)
def job_structured_data(context, job) -> str:
    request = context["request"]
    return _json_ld(job_json_ld(job=job, url=request.build_absolute_uri(job_url(context, job))))


@register.simple_tag
def time_range(start, end) -> str:
    """'2026-03-02 09:00–12:00' on one day, '2026-03-02 09:00 – 2026-03-04 17:00' across days."""
    start, end = timezone.localtime(start), timezone.localtime(end)
    if start.date() == end.date():
        return f"{start:%Y-%m-%d %H:%M}–{end:%H:%M}"
    return f"{start:%Y-%m-%d %H:%M} – {end:%Y-%m-%d %H:%M}"
