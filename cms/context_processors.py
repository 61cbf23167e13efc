from django.utils import timezone


def clock(request):
    """One reading of the clock per request, so past/expired notices agree across a page."""
    now = timezone.now()
    return {"now": now, "today": timezone.localdate(now)}
