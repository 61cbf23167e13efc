"""The site's URLs plus /bench/insert/: the floor to compare the register endpoint with.

The bare view passes through the same middleware (session, CSRF, authentication) and does one
INSERT into a table the benchmark creates, so the difference to /my/events/<id>/register/ is the
registration logic itself.

/bench/checkin/ is the same kind of floor for /api/checkin/scan (bench/checkin.py): the same JSON
body in, one indexed SELECT (the registration by its ticket hash) and one INSERT out.
"""

import hashlib
import json

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from config.urls import urlpatterns as site_urlpatterns


@require_POST
def bare_insert(request):
    with connection.cursor() as cursor:
        cursor.execute("INSERT INTO bench_insert (user_id) VALUES (%s)", [request.user.pk])
    return HttpResponse(status=204)


@csrf_exempt  # like the API with a bearer token: no cookie, so no CSRF
@require_POST
def bare_checkin(request):
    data = json.loads(request.body)
    digest = hashlib.sha256(data["code"].encode()).hexdigest()
    with connection.cursor() as cursor:
        cursor.execute("SELECT id FROM events_registration WHERE ticket_hash = %s", [digest])
        row = cursor.fetchone()
        cursor.execute(
            "INSERT INTO bench_checkin (registration_id, nonce) VALUES (%s, %s)",
            [row[0] if row else None, data["nonce"]],
        )
    return JsonResponse({"status": "checked_in" if row else "unknown_code"})


urlpatterns = [
    path("bench/insert/", bare_insert),
    path("bench/checkin/", bare_checkin),
    *site_urlpatterns,
]
