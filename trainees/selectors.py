"""Reads for the trainees app."""

from django.core.cache import cache

from trainees.models import Region, RegionLevel

COUNTY_CHOICES_CACHE_KEY = "trainees:county-choices"


def county_choices() -> list[tuple[str, str]]:
    """(code, name) of every county-level division; cached because every filter form needs it."""
    choices = cache.get(COUNTY_CHOICES_CACHE_KEY)
    if choices is None:
        choices = list(Region.objects.filter(level=RegionLevel.COUNTY).values_list("code", "name"))
        cache.set(COUNTY_CHOICES_CACHE_KEY, choices, 60 * 10)
    return choices
