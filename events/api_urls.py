"""The JSON API, mounted at /api/ (config/urls.py): the check-in endpoints of docs/checkin-api.md."""

from django.urls import path

from events import api

app_name = "api"

urlpatterns = [
    path("checkin/scan", api.scan, name="checkin_scan"),
    path("checkin/undo", api.undo, name="checkin_undo"),
    path("checkin/counters", api.counters, name="checkin_counters"),
    path("checkin/search", api.search, name="checkin_search"),
    path("checkin/walk-in", api.walk_in, name="checkin_walk_in"),
]
