"""Sign-in by mobile number and a one-time SMS code.

A code is 6 digits from `secrets`, valid for 5 minutes, stored only as a keyed hash, and dies
after 5 tries. Codes are rate-limited per phone and per client address with atomic counters in
the cache (Redis in production), so SMS bombing and guessing are both bounded; the limits can be
tuned with settings.CHUNFENG_SIGNIN_LIMITS.
"""

import datetime
import secrets
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.auth.models import AbstractBaseUser
from django.core.cache import cache
from django.db import IntegrityError, transaction
from django.db.models import F
from django.http import HttpRequest
from django.utils import timezone
from django.utils.crypto import constant_time_compare, salted_hmac
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from trainees.models import LoginCode, OutboundMessage, Worker
from trainees.services.messaging import queue_sms

CODE_LENGTH = 6
CODE_LIFETIME = datetime.timedelta(minutes=5)
MAX_ATTEMPTS = 5
RESEND_AFTER_SECONDS = 60
HOUR = 60 * 60
DAY = 24 * HOUR

DEFAULT_LIMITS = {
    # Tencent Cloud's own default is 10 codes per number per day; stay at or below it.
    "codes_per_phone_hour": 5,
    "codes_per_phone_day": 10,
    # Carrier-grade NAT and venue Wi-Fi put many honest phones behind one address, so the
    # per-address limits are looser than the per-phone ones.
    "codes_per_ip_hour": 20,
    "wrong_codes_per_ip_hour": 60,
}

# Session key holding the phone proven by the last SMS sign-in (or waiting for its code).
SESSION_PHONE = "chunfeng_signin_phone"
SESSION_PENDING_PHONE = "chunfeng_signin_pending_phone"


class SignInRefused(Exception):
    """A refusal the user can act on: `message` is translated, `retry_after` in seconds."""

    def __init__(self, message: str, *, code: str, retry_after: int = 0):
        super().__init__(message)
        self.message = message
        self.code = code
        self.retry_after = retry_after


@dataclass(frozen=True)
class CodeRequest:
    """The outcome of asking for a code: `sent` is False when the last one is still fresh."""

    sent: bool
    resend_in: int


def limits() -> dict[str, int]:
    return {**DEFAULT_LIMITS, **getattr(settings, "CHUNFENG_SIGNIN_LIMITS", {})}


def client_ip(request: HttpRequest) -> str:
    """The client's address. Behind N trusted proxies (CHUNFENG_TRUSTED_PROXY_COUNT) the
    N-th address from the right of X-Forwarded-For; the raw header is never trusted alone."""
    proxies = getattr(settings, "CHUNFENG_TRUSTED_PROXY_COUNT", 0)
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or "unknown"


def _key(kind: str, value: str) -> str:
    # Phones and addresses are personal data: the cache sees only a keyed digest of them.
    digest = salted_hmac("chunfeng.signin.limit", value, algorithm="sha256").hexdigest()[:32]
    return f"signin:{kind}:{digest}"


def _hit(key: str, window: int) -> int:
    """Count one event in a fixed window; atomic on Redis (ADD then INCR) and on LocMem."""
    for _attempt in range(3):
        if cache.add(key, 1, window):
            return 1
        try:
            count = cache.incr(key)
        except ValueError:
            continue  # expired between add and incr: start a new window
        if count == 1:
            # INCR re-created a key that expired just before it, without a timeout.
            cache.touch(key, window)
        return count
    return 1


def _wait_text(seconds: int) -> str:
    minutes = max(1, -(-seconds // 60))
    return ngettext(
        "Try again in %(minutes)d minute.", "Try again in %(minutes)d minutes.", minutes
    ) % {"minutes": minutes}


def hash_code(*, phone: str, code: str) -> str:
    """A keyed hash of the code, bound to the phone: a table dump reveals no code."""
    return salted_hmac("chunfeng.signin.code", f"{phone}:{code}", algorithm="sha256").hexdigest()


def resend_in(*, phone: str, now: datetime.datetime | None = None) -> int:
    """Seconds until another code may be sent to this phone (0: now)."""
    now = now or timezone.now()
    latest = LoginCode.objects.filter(phone=phone).order_by("-created_at").first()
    if latest is None:
        return 0
    elapsed = (now - latest.created_at).total_seconds()
    return max(0, int(RESEND_AFTER_SECONDS - elapsed + 0.999))


def _check_send_limits(*, phone: str, ip: str) -> None:
    rules = limits()
    if _hit(_key("ip-hour", ip), HOUR) > rules["codes_per_ip_hour"]:
        raise SignInRefused(
            _("Too many codes were asked for from this network.") + " " + _wait_text(HOUR),
            code="too_many_from_ip",
            retry_after=HOUR,
        )
    if _hit(_key("phone-hour", phone), HOUR) > rules["codes_per_phone_hour"]:
        raise SignInRefused(
            _("Too many codes were sent to this number.") + " " + _wait_text(HOUR),
            code="too_many_for_phone",
            retry_after=HOUR,
        )
    if _hit(_key("phone-day", phone), DAY) > rules["codes_per_phone_day"]:
        raise SignInRefused(
            _("Too many codes were sent to this number today. Try again tomorrow."),
            code="too_many_for_phone_today",
            retry_after=DAY,
        )


def request_code(*, phone: str, ip: str) -> CodeRequest:
    """Create a code for an already normalised phone and put the SMS in the outbox.

    Within 60 s of the previous code nothing is sent (CodeRequest.sent is False). Raises
    SignInRefused when a per-phone or per-address limit is reached.
    """
    waiting = resend_in(phone=phone)
    # The cache gate makes two simultaneous requests send one code, not two.
    if waiting or not cache.add(_key("cooldown", phone), 1, RESEND_AFTER_SECONDS):
        return CodeRequest(sent=False, resend_in=waiting or RESEND_AFTER_SECONDS)
    try:
        _check_send_limits(phone=phone, ip=ip)
    except SignInRefused:
        # Nothing was sent, so there is nothing to wait for: the next try reports the limit.
        cache.delete(_key("cooldown", phone))
        raise
    code = f"{secrets.randbelow(10**CODE_LENGTH):0{CODE_LENGTH}d}"
    with transaction.atomic():
        login_code = LoginCode.objects.create(
            phone=phone,
            code_hash=hash_code(phone=phone, code=code),
            expires_at=timezone.now() + CODE_LIFETIME,
        )
        queue_sms(
            phone=phone,
            kind="login_code",
            body=_(
                "Your Spring Breeze sign-in code is %(code)s. It is valid for 5 minutes. "
                "Do not tell it to anyone, not even staff."
            )
            % {"code": code},
            dedupe_key=f"login-code:{login_code.pk}",
        )
    return CodeRequest(sent=True, resend_in=RESEND_AFTER_SECONDS)


def check_code(*, phone: str, code: str, ip: str) -> None:
    """Accept the newest code for this phone once, or raise SignInRefused.

    Every try, right or wrong, uses up one of MAX_ATTEMPTS on the code (counted atomically in
    the database), so a guesser gets 5 tries per code and the code is dead afterwards even for
    the right value. Only the newest code counts: asking for a new one retires the old.
    """
    now = timezone.now()
    if cache.get(_key("ip-wrong", ip), 0) >= limits()["wrong_codes_per_ip_hour"]:
        raise SignInRefused(
            _("Too many wrong codes from this network.") + " " + _wait_text(HOUR),
            code="too_many_wrong_from_ip",
            retry_after=HOUR,
        )
    latest = LoginCode.objects.filter(phone=phone).order_by("-created_at").first()
    if latest is None or latest.used_at is not None:
        raise SignInRefused(_("Ask for a code first."), code="no_code")
    if latest.expires_at <= now:
        raise SignInRefused(_("This code has expired. Ask for a new code."), code="expired")
    counted = LoginCode.objects.filter(
        pk=latest.pk, used_at__isnull=True, attempts__lt=MAX_ATTEMPTS, expires_at__gt=now
    ).update(attempts=F("attempts") + 1)
    if not counted:
        raise SignInRefused(
            _("This code was tried too many times. Ask for a new code."), code="dead"
        )
    digits = "".join(character for character in code if character.isdigit())
    if not constant_time_compare(latest.code_hash, hash_code(phone=phone, code=digits)):
        _hit(_key("ip-wrong", ip), HOUR)
        left = MAX_ATTEMPTS - (latest.attempts + 1)
        if left <= 0:
            raise SignInRefused(
                _("The code is not right, and it cannot be tried again. Ask for a new code."),
                code="dead",
            )
        raise SignInRefused(
            ngettext(
                "The code is not right. You can try %(left)d more time.",
                "The code is not right. You can try %(left)d more times.",
                left,
            )
            % {"left": left},
            code="wrong_code",
        )
    used = LoginCode.objects.filter(pk=latest.pk, used_at__isnull=True).update(used_at=now)
    if not used:  # the same code won a race in another request
        raise SignInRefused(_("Ask for a code first."), code="no_code")


def username_for_phone(phone: str) -> str:
    return f"w{phone}"


def user_for_phone(*, phone: str) -> AbstractBaseUser:
    """The sign-in account for a proven phone, created on first use and linked to the worker
    with that phone, so that a record made by a coordinator or at the gate becomes the
    worker's own. Staff accounts never sign in by SMS: they use a password (and axes)."""
    user_model = get_user_model()
    with transaction.atomic():
        worker = Worker.objects.select_for_update().filter(phone=phone).first()
        user = worker.user if worker and worker.user_id else None
        if user is None:
            user, _created = user_model.objects.get_or_create(
                username=username_for_phone(phone),
                defaults={"password": _unusable_password()},
            )
            linked = Worker.objects.filter(user=user).exclude(phone=phone).first()
            if linked is not None:
                # The number moved to another person (numbers are recycled): that account stays
                # with its worker and this phone gets an account of its own.
                user = _fresh_user_for_phone(phone)
            if worker is not None:
                worker.user = user
                worker.save(update_fields=["user", "updated_at"])
        if user.is_staff or user.is_superuser:
            raise SignInRefused(
                _("Staff accounts sign in with their password."), code="staff_account"
            )
        if not user.is_active:
            raise SignInRefused(
                _("This account is closed. Call the service hotline for help."),
                code="inactive",
            )
        return user


def _unusable_password() -> str:
    return make_password(None)


def _fresh_user_for_phone(phone: str) -> AbstractBaseUser:
    user_model = get_user_model()
    base = username_for_phone(phone)
    for suffix in range(2, 100):
        try:
            with transaction.atomic():
                return user_model.objects.create(
                    username=f"{base}-{suffix}", password=_unusable_password()
                )
        except IntegrityError:
            continue
    raise SignInRefused(_("Please call the service hotline for help."), code="no_account")


def signed_in_phone(*, request: HttpRequest) -> str:
    """The phone the current user proved: the worker's own, else the one of this session's
    SMS sign-in. Empty for accounts that never signed in by SMS (staff)."""
    user = request.user
    if not user.is_authenticated:
        return ""
    worker = Worker.objects.filter(user=user).only("phone").first()
    if worker is not None:
        return worker.phone
    return request.session.get(SESSION_PHONE, "")


def link_existing_worker(*, user: AbstractBaseUser, phone: str) -> Worker | None:
    """Attach the worker with this proven phone to the account, when that worker has no
    account yet (recorded by a coordinator or at the gate after this sign-in began)."""
    if not phone or Worker.objects.filter(user=user).exists():
        return None
    linked = Worker.objects.filter(phone=phone, user__isnull=True).update(
        user=user, updated_at=timezone.now()
    )
    return Worker.objects.filter(user=user).first() if linked else None


LOGIN_CODE_RETENTION = datetime.timedelta(days=30)


def purge_sign_in_data(*, now: datetime.datetime | None = None) -> tuple[int, int]:
    """Blank the text of sign-in SMS once their code has expired (the outbox keeps the body in
    clear until then, for delivery) and delete code rows older than LOGIN_CODE_RETENTION.
    Returns (messages blanked, codes deleted). Meant for a periodic task."""
    now = now or timezone.now()
    blanked = (
        OutboundMessage.objects.filter(kind="login_code", created_at__lt=now - CODE_LIFETIME)
        .exclude(body="")
        .exclude(status__in=[OutboundMessage.Status.PENDING, OutboundMessage.Status.SENDING])
        .update(body="")
    )
    deleted, _by_model = LoginCode.objects.filter(
        created_at__lt=now - LOGIN_CODE_RETENTION
    ).delete()
    return blanked, deleted
