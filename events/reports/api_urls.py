"""The statistics JSON API, mounted at /api/statistics/ (config/urls.py): docs/statistics-api.md."""

from django.urls import path

from events.reports import api

app_name = "statistics_api"

urlpatterns = [
    path("events/<int:event_id>", api.event_statistics, name="event"),
    path("overview", api.overview_statistics, name="overview"),
    path("campaigns/<int:campaign_id>", api.campaign_statistics, name="campaign"),
]
