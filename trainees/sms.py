"""SMS delivery backends. Pick one with CHUNFENG_SMS_BACKEND (a dotted path).

A production provider (Tencent Cloud SMS, Aliyun SMS ...) is a class with the same `send` method
that calls the provider's API with the approved signature and template; see docs/operations.md.
`send` raises SmsDeliveryError for anything worth retrying.
"""

import json
import logging
import threading
from functools import cache

from django.conf import settings
from django.utils import timezone
from django.utils.module_loading import import_string

logger = logging.getLogger(__name__)


class SmsDeliveryError(Exception):
    """The provider did not take the message; the outbox retries it later."""


class BaseBackend:
    def send(self, *, phone: str, body: str, reference: str) -> None:
        raise NotImplementedError


class ConsoleBackend(BaseBackend):
    """Development: prints each message (sign-in codes included) to the server's output."""

    def send(self, *, phone: str, body: str, reference: str) -> None:
        print(f"[SMS to {phone}] {body}")  # noqa: T201


class FileBackend(BaseBackend):
    """Tests and demos: appends one JSON line per message to CHUNFENG_SMS_FILE_PATH."""

    _lock = threading.Lock()

    def send(self, *, phone: str, body: str, reference: str) -> None:
        line = json.dumps(
            {
                "phone": phone,
                "body": body,
                "reference": reference,
                "sent_at": timezone.now().isoformat(),
            },
            ensure_ascii=False,
        )
        with self._lock, open(settings.CHUNFENG_SMS_FILE_PATH, "a", encoding="utf-8") as handle:
            handle.write(line + "\n")


@cache
def _backend_class(path: str) -> type[BaseBackend]:
    return import_string(path)


def get_backend() -> BaseBackend:
    return _backend_class(settings.CHUNFENG_SMS_BACKEND)()
