"""Sign-in by phone and SMS code: codes, limits, brute force, accounts; staff lockout."""

import datetime
import json
import threading

import pytest
import redis
from django.contrib.auth import get_user_model
from django.core.cache import cache
from django.urls import reverse
from django.utils import timezone

from tests.trainees.signin_helpers import (
    OTHER_PHONE,
    PHONE,
    ask_for_code,
    latest_code,
    sign_in,
)
from trainees.models import LoginCode, OutboundMessage, Provenance, Worker
from trainees.services import signin
from trainees.services.identity import WorkerDetails, create_worker
from trainees.services.messaging import deliver_message

pytestmark = pytest.mark.django_db

SIGNIN = reverse("trainees:signin")
CODE = reverse("trainees:signin_code")


@pytest.fixture
def no_cooldown(monkeypatch):
    """Lift the 60-second wait so that the hourly and daily limits can be reached."""
    monkeypatch.setattr(signin, "RESEND_AFTER_SECONDS", 0)


def signed_in_user_id(client):
    return client.session.get("_auth_user_id")


def test_a_code_goes_through_the_outbox_and_only_its_keyed_hash_is_stored(client):
    response = ask_for_code(client)

    assert response.status_code == 302
    assert response["Location"] == CODE
    message = OutboundMessage.objects.get(phone=PHONE, kind="login_code")
    login_code = LoginCode.objects.get(phone=PHONE)
    assert message.dedupe_key == f"login-code:{login_code.pk}"
    code = latest_code()
    assert len(code) == 6
    assert code not in login_code.code_hash
    assert login_code.code_hash == signin.hash_code(phone=PHONE, code=code)
    assert len(login_code.code_hash) == 64
    lifetime = login_code.expires_at - login_code.created_at
    assert datetime.timedelta(minutes=4, seconds=59) < lifetime <= datetime.timedelta(minutes=5)


def test_the_file_backend_delivers_the_code_as_a_json_line(client, settings, tmp_path):
    settings.CHUNFENG_SMS_FILE_PATH = str(tmp_path / "sms.jsonl")
    ask_for_code(client)
    deliver_message(message_id=OutboundMessage.objects.get(phone=PHONE).pk)

    line = json.loads((tmp_path / "sms.jsonl").read_text(encoding="utf-8").splitlines()[-1])
    assert line["phone"] == PHONE
    assert latest_code() in line["body"]


def test_a_bad_phone_number_is_refused_and_nothing_is_sent(client):
    response = ask_for_code(client, "12345")

    assert response.status_code == 200
    assert 'aria-invalid="true"' in response.content.decode()
    assert not LoginCode.objects.exists()
    assert not OutboundMessage.objects.exists()


def test_the_right_code_signs_in_a_new_account_without_a_password(client):
    ask_for_code(client)
    key_before = client.session.session_key

    response = client.post(CODE, {"code": latest_code()})

    assert response.status_code == 302
    assert response["Location"] == reverse("trainees:my_data")
    user = get_user_model().objects.get(username=f"w{PHONE}")
    assert str(user.pk) == signed_in_user_id(client)
    assert not user.has_usable_password()
    assert not user.is_staff
    assert client.session.session_key != key_before, "the session key must rotate at sign-in"
    assert LoginCode.objects.get(phone=PHONE).used_at is not None


def test_a_used_code_cannot_sign_in_again(client):
    sign_in(client)
    code = latest_code()
    client.logout()
    session = client.session
    session[signin.SESSION_PENDING_PHONE] = PHONE
    session.save()

    response = client.post(CODE, {"code": code})

    assert response.status_code == 400
    assert signed_in_user_id(client) is None


def test_sign_in_links_the_worker_a_coordinator_recorded_with_that_phone(
    client, superuser, no_cooldown
):
    worker = create_worker(
        details=WorkerDetails(name="黄大妹", phone=PHONE),
        provenance=Provenance.ASSISTED,
        created_by=superuser,
        consent_method="verbal",
    )

    sign_in(client)

    worker.refresh_from_db()
    assert worker.user is not None
    assert str(worker.user.pk) == signed_in_user_id(client)
    assert Worker.objects.filter(phone=PHONE).count() == 1
    # Signing in again uses the same account.
    client.logout()
    sign_in(client)
    assert str(worker.user.pk) == signed_in_user_id(client)
    assert get_user_model().objects.filter(username__startswith=f"w{PHONE}").count() == 1


def test_a_recycled_number_does_not_open_the_previous_owners_account(client):
    """The old owner's account was w<phone>, but their record now has another number."""
    old_user = get_user_model().objects.create_user(username=f"w{PHONE}", password=None)
    Worker.objects.create(name="旧机主", phone=OTHER_PHONE, user=old_user)

    sign_in(client)

    assert signed_in_user_id(client) != str(old_user.pk)


def test_the_sixth_try_is_refused_even_with_the_right_code(client):
    ask_for_code(client)
    right = latest_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"

    for attempt in range(1, 6):
        response = client.post(CODE, {"code": wrong})
        assert response.status_code == 400, attempt
        assert signed_in_user_id(client) is None

    response = client.post(CODE, {"code": right})

    assert response.status_code == 400
    assert signed_in_user_id(client) is None
    assert LoginCode.objects.get(phone=PHONE).attempts == 5


def test_the_fifth_try_may_still_be_right(client):
    """The limit is five tries, not four: the control for the test above."""
    ask_for_code(client)
    right = latest_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _attempt in range(4):
        client.post(CODE, {"code": wrong})

    response = client.post(CODE, {"code": right})

    assert response.status_code == 302
    assert signed_in_user_id(client) is not None


def test_a_new_code_retires_the_old_one(client, no_cooldown):
    ask_for_code(client)
    old = latest_code()
    ask_for_code(client)
    new = latest_code()
    if old == new:  # one in a million
        pytest.skip("the two random codes happen to be equal")

    assert client.post(CODE, {"code": old}).status_code == 400
    assert client.post(CODE, {"code": new}).status_code == 302


def test_an_expired_code_is_refused(client):
    ask_for_code(client)
    LoginCode.objects.update(expires_at=timezone.now() - datetime.timedelta(seconds=1))

    response = client.post(CODE, {"code": latest_code()})

    assert response.status_code == 400
    assert signed_in_user_id(client) is None


def test_a_new_code_only_after_60_seconds_with_the_wait_shown_as_text(client):
    ask_for_code(client)

    response = ask_for_code(client)
    page = client.get(CODE)
    resend = client.post(CODE, {"resend": "1"})

    assert response.status_code == 302
    assert resend.status_code == 302
    assert LoginCode.objects.count() == 1
    assert OutboundMessage.objects.count() == 1
    html = page.content.decode()
    assert 'id="resend-wait"' in html
    assert 'data-seconds="' in html
    seconds = int(html.split('data-seconds="')[1].split('"')[0])
    assert 55 <= seconds <= 60

    # A minute later (the clock moved for the database row; the race guard has expired).
    LoginCode.objects.update(created_at=timezone.now() - datetime.timedelta(seconds=61))
    cache.clear()
    client.post(CODE, {"resend": "1"})
    assert LoginCode.objects.count() == 2
    assert OutboundMessage.objects.count() == 2


def test_five_codes_an_hour_per_phone(client, no_cooldown):
    for number in range(5):
        assert ask_for_code(client).status_code == 302, number

    response = ask_for_code(client)

    assert response.status_code == 429
    assert LoginCode.objects.count() == 5
    assert OutboundMessage.objects.count() == 5
    # Another phone from the same network is not affected.
    assert ask_for_code(client, OTHER_PHONE).status_code == 302


def test_ten_codes_a_day_per_phone(client, no_cooldown, settings):
    settings.CHUNFENG_SIGNIN_LIMITS = {"codes_per_phone_hour": 100}
    for number in range(10):
        assert ask_for_code(client).status_code == 302, number

    assert ask_for_code(client).status_code == 429
    assert LoginCode.objects.count() == 10


def test_twenty_codes_an_hour_per_address(client, no_cooldown):
    for number in range(20):
        phone = f"1380013{number:04d}"
        assert ask_for_code(client, phone, REMOTE_ADDR="10.1.1.1").status_code == 302, phone

    refused = ask_for_code(client, "13800139999", REMOTE_ADDR="10.1.1.1")
    elsewhere = ask_for_code(client, "13800139999", REMOTE_ADDR="10.2.2.2")

    assert refused.status_code == 429
    assert elsewhere.status_code == 302
    assert LoginCode.objects.count() == 21


def test_wrong_codes_are_limited_per_address(client, settings):
    settings.CHUNFENG_SIGNIN_LIMITS = {"wrong_codes_per_ip_hour": 3}
    ask_for_code(client, REMOTE_ADDR="10.3.3.3")
    right = latest_code()
    wrong = f"{(int(right) + 1) % 1_000_000:06d}"
    for _attempt in range(3):
        client.post(CODE, {"code": wrong}, REMOTE_ADDR="10.3.3.3")

    response = client.post(CODE, {"code": right}, REMOTE_ADDR="10.3.3.3")

    assert response.status_code == 429
    assert signed_in_user_id(client) is None


def test_forwarded_for_is_trusted_only_behind_configured_proxies(rf, settings):
    request = rf.get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR="6.6.6.6, 1.2.3.4")
    assert signin.client_ip(request) == "10.0.0.1"
    settings.CHUNFENG_TRUSTED_PROXY_COUNT = 1
    assert signin.client_ip(request) == "1.2.3.4"


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/events/", "/events/"),
        ("https://evil.example/steal", reverse("trainees:my_data")),
        ("//evil.example/", reverse("trainees:my_data")),
        ("javascript:alert(1)", reverse("trainees:my_data")),
    ],
)
def test_next_is_followed_only_within_the_site(client, target, expected):
    client.post(f"{SIGNIN}?next={target}", {"phone": PHONE, "next": target})
    response = client.post(CODE, {"code": latest_code(), "next": target})

    assert response.status_code == 302
    assert response["Location"] == expected


@pytest.mark.parametrize("name", ["profile", "my_data", "my_data_download", "delete_request"])
def test_worker_pages_send_visitors_to_sign_in_and_back(client, name):
    path = reverse(f"trainees:{name}")

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"{SIGNIN}?next={path}"


def test_the_code_page_needs_a_phone_first(client):
    response = client.get(CODE)
    assert response.status_code == 302
    assert response["Location"].startswith(SIGNIN)


def test_staff_accounts_cannot_sign_in_by_sms(client, django_user_model):
    staff = django_user_model.objects.create_user(
        username="coordinator", password="a-long-password", is_staff=True
    )
    Worker.objects.create(name="协理员", phone=PHONE, user=staff)
    ask_for_code(client)

    response = client.post(CODE, {"code": latest_code()})

    assert response.status_code == 400
    assert signed_in_user_id(client) is None


def test_sign_out_needs_a_post(client):
    sign_in(client)
    assert client.get(reverse("trainees:signout")).status_code == 200
    assert signed_in_user_id(client) is not None

    response = client.post(reverse("trainees:signout"))

    assert response.status_code == 302
    assert signed_in_user_id(client) is None


class TestStaffPasswordLockout:
    """Staff sign in at the Wagtail admin with a password; django-axes locks after 5 failures."""

    ADMIN_LOGIN = "/admin/login/"

    @pytest.fixture
    def staff(self, django_user_model):
        return django_user_model.objects.create_user(
            username="organiser", password="right-password-2026", is_staff=True
        )

    def post(self, client, password):
        return client.post(
            self.ADMIN_LOGIN,
            {"username": "organiser", "password": password},
            REMOTE_ADDR="10.9.9.9",
        )

    def test_the_right_password_works_without_earlier_failures(self, client, staff):
        self.post(client, "right-password-2026")
        assert client.session.get("_auth_user_id") == str(staff.pk)

    def test_the_sixth_attempt_is_refused_even_with_the_right_password(self, client, staff):
        for attempt in range(5):
            self.post(client, f"wrong-{attempt}")
            assert client.session.get("_auth_user_id") is None

        response = self.post(client, "right-password-2026")

        assert client.session.get("_auth_user_id") is None
        assert response.status_code in {403, 429}


@pytest.mark.services
class TestLimitsOnRedis:
    """The production cache is Redis: its counters must count every hit exactly once."""

    @pytest.fixture
    def redis_cache(self, settings):
        url = "redis://127.0.0.1:6379/14"
        try:
            redis.Redis.from_url(url, socket_connect_timeout=2).ping()
        except redis.exceptions.ConnectionError as error:
            pytest.skip(f"Redis is not reachable at {url}: {error}")
        settings.CACHES = {
            "default": {
                "BACKEND": "django.core.cache.backends.redis.RedisCache",
                "LOCATION": url,
                "KEY_PREFIX": f"worker-test-{threading.get_ident()}",
            }
        }
        cache.clear()
        yield
        cache.clear()

    def test_concurrent_hits_are_each_counted_once(self, redis_cache):
        key = "signin:test:concurrent"
        counts: list[int] = []
        lock = threading.Lock()

        def hit():
            for _attempt in range(10):
                value = signin._hit(key, 60)
                with lock:
                    counts.append(value)

        threads = [threading.Thread(target=hit) for _thread in range(8)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

        assert sorted(counts) == list(range(1, 81))

    def test_a_window_expires(self, redis_cache):
        key = "signin:test:window"
        assert signin._hit(key, 1) == 1
        assert signin._hit(key, 1) == 2
        ttl = cache._cache.get_client(key).ttl(cache.make_and_validate_key(key))
        assert 0 < ttl <= 1

    def test_the_per_phone_limit_holds_on_redis(self, redis_cache, client, no_cooldown):
        for _number in range(5):
            assert ask_for_code(client).status_code == 302
        assert ask_for_code(client).status_code == 429


def test_expired_codes_leave_no_readable_text_behind(client):
    ask_for_code(client)
    message = OutboundMessage.objects.get()
    code = latest_code()
    OutboundMessage.objects.update(status=OutboundMessage.Status.SENT)

    assert signin.purge_sign_in_data() == (0, 0)  # still valid: kept for delivery

    later = timezone.now() + datetime.timedelta(minutes=6)
    assert signin.purge_sign_in_data(now=later) == (1, 0)
    message.refresh_from_db()
    assert code not in message.body
    much_later = timezone.now() + datetime.timedelta(days=31)
    assert signin.purge_sign_in_data(now=much_later) == (0, 1)
    assert not LoginCode.objects.exists()
