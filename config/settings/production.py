"""Production: PostgreSQL and Redis from URLs, secrets from the environment, HTTPS only."""

from .base import *  # noqa: F403
from .base import database_from_url, env

DEBUG = False
SECRET_KEY = env("DJANGO_SECRET_KEY")
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS")
DATABASES = {"default": database_from_url(env("DATABASE_URL"))}
CACHES = {"default": env.cache("REDIS_URL")}
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=env("REDIS_URL"))

SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("DJANGO_SECURE_SSL_REDIRECT", default=True)
SECURE_HSTS_SECONDS = env.int("DJANGO_SECURE_HSTS_SECONDS", default=60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = True
SECURE_HSTS_PRELOAD = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SESSION_COOKIE_SECURE = True
CSRF_COOKIE_SECURE = True
CSRF_TRUSTED_ORIGINS = env.list("DJANGO_CSRF_TRUSTED_ORIGINS", default=[])
WAGTAILADMIN_BASE_URL = env("WAGTAILADMIN_BASE_URL")
CHUNFENG_ID_ENCRYPTION_KEYS = env.list("CHUNFENG_ID_ENCRYPTION_KEYS")
CHUNFENG_ID_HMAC_KEY = env("CHUNFENG_ID_HMAC_KEY")
CHUNFENG_TICKET_KEY = env("CHUNFENG_TICKET_KEY")
CHUNFENG_SMS_BACKEND = env("CHUNFENG_SMS_BACKEND")
EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
EMAIL_HOST = env("EMAIL_HOST", default="localhost")
# X_FRAME_OPTIONS stays SAMEORIGIN (base.py): Wagtail's live preview shows the page in a
# same-origin iframe of the editor. Other sites still cannot frame ours.
SILENCED_SYSTEM_CHECKS = ["security.W019"]
