"""The site's URLs plus /bench/insert/: the floor to compare the register endpoint with.

The bare view passes through the same middleware (session, CSRF, authentication) and does one
INSERT into a table the benchmark creates, so the difference to /my/events/<id>/register/ is the
registration logic itself.
"""

from django.db import connection
from django.http import HttpResponse
from django.urls import path
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as site_urlpatterns


@require_POST
def bare_insert(request):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_insert (user_id) VALUES (%s)", [request.user.pk])
    return HttpResponse(status=204)


urlpatterns = [path("bench/insert/", bare_insert), *site_urlpatterns]
