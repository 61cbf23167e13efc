"""Project-wide checks: migrations, deploy settings, i18n defaults, no CDN, the services guard."""

import base64
import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import environ
import pytest
from django.conf import settings
from django.core.management import call_command
from django.utils.module_loading import import_string
from wagtail.models import Locale, Page

BASE_DIR = Path(settings.BASE_DIR)
PROBE = "tests/support/services_skip_probe.py"


def run(args, *, env=None, timeout=300) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, *args],
        cwd=BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def clean_env(**extra) -> dict:
    """The parent environment without Django and database variables, plus ``extra``."""
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("DJANGO_", "DATABASE_", "REDIS_", "CELERY_", "CHUNFENG_"))
    }
    env.update(extra)
    return env


def production_env(tmp_path, **extra) -> dict:
    """Everything production settings require, with fresh random secrets."""
    return clean_env(
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=secrets.token_urlsafe(50),
        DJANGO_ALLOWED_HOSTS="example.gov.cn",
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy-check.sqlite3'}",
        REDIS_URL="redis://127.0.0.1:6379/1",
        WAGTAILADMIN_BASE_URL="https://example.gov.cn",
        # Keys of the workers' records (trainees app): a Fernet key, HMAC and ticket secrets.
        CHUNFENG_ID_ENCRYPTION_KEYS=base64.urlsafe_b64encode(secrets.token_bytes(32)).decode(),
        CHUNFENG_ID_HMAC_KEY=secrets.token_urlsafe(32),
        CHUNFENG_TICKET_KEY=secrets.token_urlsafe(32),
        CHUNFENG_SMS_BACKEND="trainees.sms.ConsoleBackend",
        **extra,
    )


@pytest.mark.django_db
def test_no_missing_migrations():
    try:
        call_command("makemigrations", "--check", "--dry-run", verbosity=0)
    except SystemExit as exit_:
        pytest.fail(f"makemigrations --check found model changes without migrations ({exit_})")


def test_deploy_check_is_clean_with_production_settings(tmp_path):
    result = run(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"], env=production_env(tmp_path)
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


def test_production_settings_refuse_to_start_without_a_secret_key(tmp_path):
    env = production_env(tmp_path)
    del env["DJANGO_SECRET_KEY"]
    result = run(["manage.py", "check"], env=env)
    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_settings_values(tmp_path):
    code = (
        "from django.conf import settings as s;"
        "print(s.DEBUG, s.SECURE_SSL_REDIRECT, s.SESSION_COOKIE_SECURE, s.CSRF_COOKIE_SECURE,"
        " s.CACHES['default']['BACKEND'], s.DATABASES['default']['ENGINE'])"
    )
    env = production_env(tmp_path)
    result = run(["-c", f"import django; django.setup(); {code}"], env=env)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [
        "False",
        "True",
        "True",
        "True",
        "django.core.cache.backends.redis.RedisCache",
        "django.db.backends.sqlite3",
    ]


def test_language_and_time_zone_settings():
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert [code for code, _name in settings.LANGUAGES] == ["zh-hans", "en"]
    assert settings.WAGTAILSEARCH_BACKENDS["default"]["BACKEND"].endswith(".fallback")


@pytest.mark.django_db
def test_default_wagtail_locale_is_simplified_chinese():
    assert Locale.get_default().language_code == "zh-hans"
    assert list(Locale.objects.values_list("language_code", flat=True)) == ["zh-hans"]
    assert set(Page.objects.exclude(depth=1).values_list("locale__language_code", flat=True)) == {
        "zh-hans"
    }


EXTERNAL_ASSET = [
    # <script src="https://...">, <link href="//...">, also with template tags before the URL.
    re.compile(
        r"<(?:script|link|img|iframe)\b[^>]*\b(?:src|href)\s*=\s*[\"']?(?:https?:)?//", re.I
    ),
    # CSS: @import "https://..." or url(https://...)
    re.compile(r"@import\s+(?:url\()?\s*[\"']?(?:https?:)?//", re.I),
    re.compile(r"url\(\s*[\"']?(?:https?:)?//", re.I),
]


def asset_files():
    for folder in ("templates", "static"):
        for path in sorted((BASE_DIR / folder).rglob("*")):
            if path.is_file() and path.suffix in {".html", ".txt", ".css", ".js", ".svg"}:
                yield path


def test_templates_and_static_files_reference_no_cdn():
    files = list(asset_files())
    assert any(p.name == "base.html" for p in files)
    offenders = [
        f"{path.relative_to(BASE_DIR)}:{text[: match.start()].count(chr(10)) + 1}"
        for path in files
        for text in [path.read_text(encoding="utf-8", errors="replace")]
        for pattern in EXTERNAL_ASSET
        for match in pattern.finditer(text)
    ]
    assert offenders == []


@pytest.mark.parametrize(
    "snippet",
    [
        '<script src="https://cdn.jsdelivr.net/npm/x.js"></script>',
        "<link rel=stylesheet href=//fonts.googleapis.com/css>",
        "@import url('https://fonts.googleapis.com/css2');",
        "body { background: url(http://example.com/a.png) }",
    ],
)
def test_cdn_patterns_catch_external_assets(snippet):
    assert any(pattern.search(snippet) for pattern in EXTERNAL_ASSET)


@pytest.mark.parametrize(
    "snippet",
    [
        '<link rel="stylesheet" href="/static/css/site.css">',
        '<a href="https://uri.amap.com/search?keyword=x">map</a>',
        "<script src=\"{% static 'js/site.js' %}\"></script>",
    ],
)
def test_cdn_patterns_allow_local_assets_and_plain_links(snippet):
    assert not any(pattern.search(snippet) for pattern in EXTERNAL_ASSET)


def _probe(**extra) -> subprocess.CompletedProcess:
    # The probe touches no database; it still gets the parent's, so settings load the same way.
    env = clean_env(DJANGO_SETTINGS_MODULE="config.settings.test", **extra)
    if "DATABASE_URL" in os.environ:
        env["DATABASE_URL"] = os.environ["DATABASE_URL"]
    return run(["-m", "pytest", PROBE, "-q"], env=env)


def test_skips_pass_without_require_services():
    result = _probe()
    assert result.returncode == 0, result.stdout + result.stderr
    assert "1 passed, 2 skipped" in result.stdout


def test_require_services_turns_every_skip_into_a_failure():
    result = _probe(CHUNFENG_REQUIRE_SERVICES="1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "2 failed, 1 passed" in result.stdout
    assert "needs a service but skipped" in result.stdout
    assert "forbids skipping" in result.stdout


@pytest.mark.services
def test_redis_cache_backend_round_trip():
    """The production cache (django RedisCache from REDIS_URL) works against a real Redis."""
    url = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/15")
    config = environ.Env.cache_url_config(url)
    cache = import_string(config["BACKEND"])(config["LOCATION"], config.get("OPTIONS", {}))
    try:
        cache.set("chunfeng:probe", "春风", 30)
    except Exception as error:  # noqa: BLE001 - any connection error means "no Redis"
        pytest.skip(f"Redis is not reachable at {url}: {error}")
    try:
        assert cache.get("chunfeng:probe") == "春风"
        cache.set("chunfeng:counter", 1, 30)
        assert cache.incr("chunfeng:counter") == 2
    finally:
        cache.delete_many(["chunfeng:probe", "chunfeng:counter"])
