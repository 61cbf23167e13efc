"""Settings shared by every environment; environment-specific modules override them.

Values that differ per deployment come from the environment through django-environ.
"""

from pathlib import Path

import environ
from celery.schedules import crontab

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DJANGO_DEBUG", default=False)
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=[])

INSTALLED_APPS = [
    "cms",
    "events",
    "trainees",
    "wagtail.contrib.forms",
    "wagtail.contrib.redirects",
    "wagtail.contrib.routable_page",
    "wagtail.contrib.settings",
    "wagtail.embeds",
    "wagtail.sites",
    "wagtail.users",
    "wagtail.snippets",
    "wagtail.documents",
    "wagtail.images",
    "wagtail.search",
    "wagtail.admin",
    "wagtail",
    "modelcluster",
    "taggit",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "wagtail.contrib.redirects.middleware.RedirectMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into a clear response.
    "axes.middleware.AxesMiddleware",
]

# Staff passwords: django-axes locks a username from one address out after repeated failures.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = 5
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "wagtail.contrib.settings.context_processors.settings",
                "cms.context_processors.clock",
            ],
        },
    },
]


def database_from_url(url: str) -> dict:
    """A DATABASES entry for a URL, with the options each engine needs here."""
    database = env.db_url_config(url)
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # WAL lets readers proceed during a write; IMMEDIATE takes the write lock at BEGIN so two
        # writers queue on the busy timeout instead of failing with "database is locked".
        database["OPTIONS"] = {
            "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            "transaction_mode": "IMMEDIATE",
            "timeout": 20,
        }
    else:
        database["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
        database["CONN_HEALTH_CHECKS"] = True
        # Django's cursors never prepare statements; the few that bind on the server (a scan, a
        # registration: events.services._prepared_cursor) are prepared from their fifth run on
        # a connection. A pooler in front of PostgreSQL must then keep prepared statements
        # (docs/operations.md).
        database.setdefault("OPTIONS", {})["prepare_threshold"] = 5
    return database


# The embedded default is a SQLite file; production passes DATABASE_URL for PostgreSQL.
DATABASES = {
    "default": database_from_url(
        env("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    )
}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# Chinese first. LANGUAGE_CODE must be zh-hans before the first migrate: Wagtail creates its
# default Locale from it (wagtailcore.0054_initial_locale).
LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
# Exports hold personal data: they go to a directory that no web server serves (web and Celery
# workers must share it), are downloaded through a permission-checked view and deleted after a day.
CHUNFENG_PRIVATE_ROOT = Path(env("CHUNFENG_PRIVATE_ROOT", default=str(BASE_DIR / "private")))
# Exports up to this many rows are written in the request; larger ones by a Celery worker.
CHUNFENG_SYNC_EXPORT_ROWS = env.int("CHUNFENG_SYNC_EXPORT_ROWS", default=2000)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    "exports": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": CHUNFENG_PRIVATE_ROOT / "exports"},
    },
}

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://chunfeng")}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
}

# Wagtail
WAGTAIL_SITE_NAME = "春风行动"
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL", default="http://127.0.0.1:8000")
WAGTAIL_I18N_ENABLED = False
WAGTAIL_ALLOW_UNICODE_SLUGS = True
WAGTAIL_WORKFLOW_ENABLED = True
WAGTAILDOCS_EXTENSIONS = ["csv", "docx", "pdf", "pptx", "txt", "xlsx", "zip"]
WAGTAILDOCS_MAX_UPLOAD_SIZE = 20 * 1024 * 1024
WAGTAILIMAGES_MAX_UPLOAD_SIZE = 10 * 1024 * 1024
WAGTAILIMAGES_MAX_IMAGE_PIXELS = 64_000_000
DATA_UPLOAD_MAX_NUMBER_FIELDS = 10_000
# Substring matching instead of full-text: PostgreSQL and SQLite FTS keep a run of Chinese
# characters as one token, so 焊工 would never find 电焊工 (docs/decisions.md, "Search").
WAGTAILSEARCH_BACKENDS = {
    "default": {"BACKEND": "wagtail.search.backends.database.fallback"},
}
WAGTAILADMIN_PERMITTED_LANGUAGES = LANGUAGES
WAGTAIL_CONTENT_LANGUAGES = [("zh-hans", "简体中文")]

# Celery: Redis broker in production; see config/settings/dev.py for the broker-less default.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/0")
CELERY_TIMEZONE = TIME_ZONE
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_SOFT_TIME_LIMIT = 60
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BEAT_SCHEDULE = {
    # Scheduled publishing (go_live_at / expire_at) only happens when this runs.
    "publish-scheduled": {"task": "cms.tasks.publish_scheduled", "schedule": 5 * 60},
    "purge-revisions": {"task": "cms.tasks.purge_revisions", "schedule": 24 * 60 * 60},
    # The outbox sweeper hands over SMS the broker missed (trainees/services/messaging.py).
    "sweep-outbox": {"task": "trainees.tasks.sweep_outbox_task", "schedule": 60},
    # Blank delivered sign-in codes in the outbox and drop old code rows.
    "purge-sign-in-data": {"task": "trainees.tasks.purge_sign_in_data_task", "schedule": 60 * 60},
    # The campaign overview adds up per-event summaries; events in play are recounted.
    "refresh-event-summaries": {
        "task": "events.tasks.refresh_event_summaries_task",
        "schedule": 5 * 60,
    },
    # Large exports: hand over what the broker missed, delete files older than a day.
    "sweep-exports": {"task": "events.tasks.sweep_exports_task", "schedule": 60},
    # Registration reminders for events starting 24-48 h later; daily, at an hour fit for an SMS.
    "event-reminders": {
        "task": "events.tasks.send_event_reminders_task",
        "schedule": crontab(hour=10, minute=0),
    },
}
# Fail fast when the broker is down during a request: the outbox row waits for the sweeper.
CELERY_TASK_PUBLISH_RETRY_POLICY = {
    "max_retries": 1,
    "interval_start": 0,
    "interval_step": 0.2,
    "interval_max": 0.2,
}
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_TRANSPORT_OPTIONS = {"socket_connect_timeout": 2, "socket_timeout": 5}

# Personal data keys (docs/operations.md, "Keys"). ID numbers are encrypted with the first of
# CHUNFENG_ID_ENCRYPTION_KEYS (Fernet keys, newest first; older ones still decrypt during a
# rotation); lookups use an HMAC with a separate key; ticket tokens are derived with a third.
CHUNFENG_ID_ENCRYPTION_KEYS = env.list("CHUNFENG_ID_ENCRYPTION_KEYS", default=[])
CHUNFENG_ID_HMAC_KEY = env("CHUNFENG_ID_HMAC_KEY", default="")
CHUNFENG_TICKET_KEY = env("CHUNFENG_TICKET_KEY", default="")
# SMS: a dotted path to a backend class (trainees/sms.py); the console one prints messages.
CHUNFENG_SMS_BACKEND = env("CHUNFENG_SMS_BACKEND", default="trainees.sms.ConsoleBackend")
CHUNFENG_SMS_FILE_PATH = env("CHUNFENG_SMS_FILE_PATH", default=str(BASE_DIR / "sms-outbox.jsonl"))

# Workers sign in with an SMS code (trainees.views); staff use the Wagtail admin's login.
LOGIN_URL = "trainees:signin"
# Behind a reverse proxy, the number of proxies that append to X-Forwarded-For; the client
# address for sign-in rate limits is read that many places from the right.
CHUNFENG_TRUSTED_PROXY_COUNT = env.int("CHUNFENG_TRUSTED_PROXY_COUNT", default=0)

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = 60 * 60 * 24 * 14
X_FRAME_OPTIONS = "SAMEORIGIN"
AXES_VERBOSE = False
