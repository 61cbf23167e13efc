"""Field-level protection of ID numbers: Fernet encryption at rest, keyed HMAC for lookups.

Keys come from the environment (settings.CHUNFENG_ID_*), never from the database. The HMAC key is
separate from the encryption key: an unkeyed hash of an 18-digit ID number could be brute-forced,
the ID space being small.
"""

import hashlib
import hmac

from cryptography.fernet import Fernet, MultiFernet
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured


def _fernet() -> MultiFernet:
    keys = settings.CHUNFENG_ID_ENCRYPTION_KEYS
    if not keys:
        raise ImproperlyConfigured("CHUNFENG_ID_ENCRYPTION_KEYS is not set")
    return MultiFernet([Fernet(key) for key in keys])


def encrypt(value: str) -> str:
    return _fernet().encrypt(value.encode()).decode()


def decrypt(token: str) -> str:
    return _fernet().decrypt(token.encode()).decode()


def rotate(token: str) -> str:
    """Re-encrypt with the newest key (MultiFernet.rotate); used by `rotate_id_keys`."""
    return _fernet().rotate(token.encode()).decode()


def lookup_hmac(value: str) -> str:
    key = settings.CHUNFENG_ID_HMAC_KEY
    if not key:
        raise ImproperlyConfigured("CHUNFENG_ID_HMAC_KEY is not set")
    return hmac.new(key.encode(), value.encode(), hashlib.sha256).hexdigest()
