"""Shared fixtures and the CHUNFENG_REQUIRE_SERVICES guard.

The suite runs against whatever DATABASE_URL names (make test runs it on PostgreSQL and on a
SQLite file). Tests that need a running service (Redis, PostgreSQL) carry
``@pytest.mark.services`` and skip when the service is missing, except when
CHUNFENG_REQUIRE_SERVICES=1 (CI): then every skip, of a services test or any other, is
reported as a failure, so that CI cannot go green by silently skipping the tests it exists to
run.
"""

import os

import pytest
from django.contrib.auth.models import Group
from django.utils import translation

from tests.support.coordinators import (
    OTHER_TOWNSHIP,
    TOWNSHIP,
    make_coordinator,
    make_township,
    make_villages,
    recorded_worker,
)

REQUIRE_SERVICES_ENV = "CHUNFENG_REQUIRE_SERVICES"


def services_required() -> bool:
    return os.environ.get(REQUIRE_SERVICES_ENV, "") == "1"


def pytest_configure(config):
    config.addinivalue_line(
        "markers",
        "services: needs a running service (Redis, PostgreSQL); a skip fails the run when "
        f"{REQUIRE_SERVICES_ENV}=1",
    )


_forbidden_skips: list[str] = []


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    if not (report.skipped and services_required()) or hasattr(report, "wasxfail"):
        return
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    kind = "needs a service but" if item.get_closest_marker("services") else "was"
    report.outcome = "failed"
    report.longrepr = (
        f"{item.nodeid} {kind} skipped ({reason}); {REQUIRE_SERVICES_ENV}=1 forbids skipping."
    )
    _forbidden_skips.append(item.nodeid)


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    if _forbidden_skips:
        terminalreporter.section(f"skips turned into failures by {REQUIRE_SERVICES_ENV}=1")
        for nodeid in _forbidden_skips:
            terminalreporter.write_line(nodeid)


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    """Uploads from any test land in a temporary directory, never in the project's media/."""
    settings.MEDIA_ROOT = str(tmp_path / "media")


@pytest.fixture(autouse=True)
def _exports_root(settings, tmp_path, monkeypatch):
    """Export files too: a temporary directory, never the project's private/. The file field
    took its storage when the model was defined, so it is pointed at the new one as well."""
    from django.core.files.storage import storages

    from events.models import ExportJob

    settings.STORAGES = {
        **settings.STORAGES,
        "exports": {
            "BACKEND": "django.core.files.storage.FileSystemStorage",
            "OPTIONS": {"location": str(tmp_path / "exports")},
        },
    }
    monkeypatch.setattr(ExportJob._meta.get_field("file"), "storage", storages["exports"])


@pytest.fixture(autouse=True)
def _default_language():
    """Each test starts in the site's default language, whatever the previous one activated."""
    translation.activate("zh-hans")
    yield
    translation.deactivate()


@pytest.fixture(autouse=True)
def _clear_cache():
    """County choices and Wagtail site lookups are cached; start every test with a cold cache."""
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def superuser(django_user_model):
    return django_user_model.objects.create_superuser(
        username="admin", email="admin@example.gov.cn", password="password"
    )


def _group_user(django_user_model, *, username: str, group: str):
    user = django_user_model.objects.create_user(
        username=username, email=f"{username}@example.gov.cn", password="password"
    )
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def editor(django_user_model):
    return _group_user(django_user_model, username="editor", group="Editors")


@pytest.fixture
def moderator(django_user_model):
    return _group_user(django_user_model, username="moderator", group="Moderators")


@pytest.fixture
def admin_client(client, superuser):
    client.force_login(superuser)
    return client


@pytest.fixture
def editor_client(client, editor):
    client.force_login(editor)
    return client


@pytest.fixture
def redis_broker():
    """The Celery broker (Redis) of the test settings, emptied before and after the test."""
    import redis
    from django.conf import settings

    client = redis.Redis.from_url(settings.CELERY_BROKER_URL, socket_connect_timeout=2)
    try:
        client.ping()
    except redis.exceptions.ConnectionError as error:
        pytest.skip(f"Redis is not reachable at {settings.CELERY_BROKER_URL}: {error}")
    client.flushdb()
    yield
    client.flushdb()


@pytest.fixture
def area(db):
    """Two townships of 兴宁区 with three and one villages."""
    township = make_township(TOWNSHIP, "民生街道")
    other = make_township(OTHER_TOWNSHIP, "朝阳街道")
    return {
        "township": township,
        "villages": make_villages(township, [1, 2, 3]),
        "other_township": other,
        "other_village": make_villages(other, [1])[0],
    }


@pytest.fixture
def coordinator(django_user_model, area):
    """Coordinator of the first township as a whole."""
    return make_coordinator(django_user_model, "coordinator", [area["township"]])


@pytest.fixture
def subsidy_officer(django_user_model, db):
    return _group_user(django_user_model, username="officer", group="Subsidy officers")


@pytest.fixture
def workers(area):
    """One worker in village 1 of the first township, one in the other township."""
    return {
        "inside": recorded_worker(1, area["villages"][0], name="王小明"),
        "outside": recorded_worker(2, area["other_village"], name="李大壮"),
    }
