"""The check-in scanner pages, mounted at /scan/ (config/urls.py)."""

from django.urls import path

from events import scanner_views

app_name = "scanner"

urlpatterns = [
    path("device/", scanner_views.device, name="device"),
    path("<int:event_id>/", scanner_views.scanner, name="event"),
]
