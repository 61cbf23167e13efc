"""Local development: SQLite file, no Redis, no broker."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
SECRET_KEY = env("DJANGO_SECRET_KEY", default="dev-only-insecure-key-not-for-production")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

# Without CELERY_BROKER_URL set, tasks run inline in the web process, so `make run` needs no
# broker. Set CELERY_BROKER_URL=redis://... and start `make worker` to use a real worker.
CELERY_TASK_ALWAYS_EAGER = not env("CELERY_BROKER_URL", default="")
CELERY_TASK_EAGER_PROPAGATES = True

STORAGES = {
    **STORAGES,  # noqa: F405
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"

# Fixed dev-only keys so that data survives restarts; production reads its own (base.py).
CHUNFENG_ID_ENCRYPTION_KEYS = env.list(
    "CHUNFENG_ID_ENCRYPTION_KEYS", default=["hPUFaABi0Db6gnvMaNzw_zitSeEJEtDr7uq0lnx2E0c="]
)
CHUNFENG_ID_HMAC_KEY = env("CHUNFENG_ID_HMAC_KEY", default="dev-only-id-hmac-key")
CHUNFENG_TICKET_KEY = env("CHUNFENG_TICKET_KEY", default="dev-only-ticket-key")
