"""Townships, villages, their coordinators and recorded workers, for the coordinator, roster and
coordination tests (whose fixtures, in tests/conftest.py, build on these)."""

import datetime

from django.contrib.auth.models import Group
from django.urls import reverse

from tests.factories import county, id_number_for, mobile
from trainees.models import ConsentMethod, Coordinator, Provenance, Region, RegionLevel, Worker
from trainees.services.identity import WorkerDetails, create_worker

TOWNSHIP = "450102001000"
OTHER_TOWNSHIP = "450102002000"


def id_number(serial: int) -> str:
    """A valid ID number issued in 兴宁区 to someone born on 1990-01-01, the same for the same
    serial (its sequence code; 0-999)."""
    return id_number_for(datetime.date(1990, 1, 1), county="450102", serial=serial)


def phone(serial: int) -> str:
    """A mobile number, the same for the same serial (139…, never one of make_worker's)."""
    return mobile(serial)


def make_township(code: str, name: str) -> Region:
    return Region.objects.create(code=code, name=name, level=RegionLevel.TOWNSHIP, parent=county())


def make_villages(township: Region, numbers) -> list[Region]:
    return Region.objects.bulk_create(
        Region(
            code=f"{township.code[:9]}{number:03d}",
            name=f"{township.name}{number}村",
            level=RegionLevel.VILLAGE,
            parent=township,
        )
        for number in numbers
    )


def recorded_worker(serial: int, village: Region | None, *, name: str = "王小明") -> Worker:
    return create_worker(
        details=WorkerDetails(
            name=name, phone=phone(serial), id_number=id_number(serial), hukou_region=village
        ),
        provenance=Provenance.SELF,
        created_by=None,
        consent_method=ConsentMethod.ONLINE,
    )


def make_coordinator(django_user_model, username: str, regions: list[Region]):
    user = django_user_model.objects.create_user(username=username, password="password")
    user.groups.add(Group.objects.get(name="Coordinators"))
    Coordinator.objects.create(user=user).regions.set(regions)
    return user


def login(client, user):
    client.force_login(user)
    return client


def refused(response) -> bool:
    """Wagtail's admin answers PermissionDenied with a redirect to the dashboard and a message."""
    return response.status_code == 302 and response.url == reverse("wagtailadmin_home")
