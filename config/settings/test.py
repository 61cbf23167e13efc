"""Test settings: the database comes from DATABASE_URL (make test runs PostgreSQL and SQLite)."""

from .base import *  # noqa: F403
from .base import BASE_DIR, database_from_url, env

SECRET_KEY = "test-only-key"  # noqa: S105
ALLOWED_HOSTS = ["testserver", "127.0.0.1", "localhost"]
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
# Never the development database: without DATABASE_URL, tests use their own SQLite file (a file,
# not :memory:, so that threads in race tests and the live server share one database).
DATABASES = {
    "default": database_from_url(
        env("DATABASE_URL", default=f"sqlite:///{BASE_DIR / '.test-db.sqlite3'}")
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    DATABASES["default"]["TEST"] = {"NAME": DATABASES["default"]["NAME"]}
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="redis://127.0.0.1:6379/15")
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = True

# Fixed test-only keys so that data survives restarts; production reads its own (base.py).
CHUNFENG_ID_ENCRYPTION_KEYS = env.list(
    "CHUNFENG_ID_ENCRYPTION_KEYS", default=["hPUFaABi0Db6gnvMaNzw_zitSeEJEtDr7uq0lnx2E0c="]
)
CHUNFENG_ID_HMAC_KEY = env("CHUNFENG_ID_HMAC_KEY", default="test-only-id-hmac-key")
CHUNFENG_TICKET_KEY = env("CHUNFENG_TICKET_KEY", default="test-only-ticket-key")
CHUNFENG_SMS_BACKEND = "trainees.sms.FileBackend"
CHUNFENG_SMS_FILE_PATH = str(BASE_DIR / ".test-sms.jsonl")
