"""The SMS outbox: messages survive a broker outage and are sent exactly once."""

import datetime
import json
import socket
import subprocess
import time

import pytest
from celery.contrib.testing.worker import start_worker
from django.db import transaction
from django.utils import timezone

from config.celery import app
from trainees.models import OutboundMessage
from trainees.services.messaging import deliver_message, queue_sms, sweep_outbox
from trainees.sms import SmsDeliveryError


@pytest.fixture
def sms_file(settings, tmp_path):
    path = tmp_path / "sms.jsonl"
    settings.CHUNFENG_SMS_BACKEND = "trainees.sms.FileBackend"
    settings.CHUNFENG_SMS_FILE_PATH = str(path)
    return path


def sent_lines(path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


class FailingBackend:
    def send(self, *, phone, body, reference):
        raise SmsDeliveryError("provider said no")


@pytest.mark.django_db
def test_delivery_is_idempotent(sms_file):
    message = queue_sms(phone="13800138000", kind="test", body="你好", dedupe_key="t:1")
    assert deliver_message(message_id=message.pk) is True
    assert deliver_message(message_id=message.pk) is False
    assert [line["body"] for line in sent_lines(sms_file)] == ["你好"]
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.SENT and message.attempts == 1


@pytest.mark.django_db
def test_the_same_dedupe_key_queues_one_message(sms_file):
    first = queue_sms(phone="13800138000", kind="test", body="a", dedupe_key="t:2")
    second = queue_sms(phone="13800138000", kind="test", body="a", dedupe_key="t:2")
    assert first.pk == second.pk
    assert OutboundMessage.objects.count() == 1


@pytest.mark.django_db
def test_a_provider_failure_leaves_the_message_pending_for_a_retry(settings):
    settings.CHUNFENG_SMS_BACKEND = "tests.trainees.test_outbox.FailingBackend"
    message = queue_sms(phone="13800138000", kind="test", body="a", dedupe_key="t:3")
    with pytest.raises(SmsDeliveryError):
        deliver_message(message_id=message.pk)
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.PENDING
    assert message.last_error == "provider said no"


@pytest.mark.django_db
def test_a_claim_abandoned_by_a_dead_worker_is_taken_over(sms_file):
    message = queue_sms(phone="13800138000", kind="test", body="a", dedupe_key="t:4")
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundMessage.Status.SENDING,
        claimed_at=timezone.now() - datetime.timedelta(minutes=30),
    )
    assert deliver_message(message_id=message.pk) is True
    OutboundMessage.objects.filter(pk=message.pk).update(
        status=OutboundMessage.Status.SENDING, claimed_at=timezone.now()
    )
    assert deliver_message(message_id=message.pk) is False


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class PrivateRedis:
    """A redis-server of the test's own, so that the test can stop and restart the broker."""

    def __init__(self):
        self.port = free_port()
        self.process = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self):
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
            ],
            stdout=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=0.2).close()
                return
            except OSError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        self.process.terminate()
        self.process.wait(timeout=10)


def use_broker(url: str) -> None:
    app.conf.broker_url = url
    # Drop pooled connections to the old broker, as Celery does after a fork.
    app._after_fork()


@pytest.fixture
def private_broker():
    import shutil

    if shutil.which("redis-server") is None:
        pytest.skip("redis-server is not installed")
    broker = PrivateRedis()
    broker.start()
    original = app.conf.broker_url
    use_broker(broker.url)
    yield broker
    if broker.process.poll() is None:
        broker.stop()
    use_broker(original)


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_message_written_while_the_broker_is_down_goes_out_once_it_is_back(
    private_broker, sms_file
):
    private_broker.stop()
    with transaction.atomic():
        message = queue_sms(
            phone="13800138000", kind="test", body="报名成功", dedupe_key="t:outage"
        )
    message.refresh_from_db()
    assert message.status == OutboundMessage.Status.PENDING, "the request must not fail or lose it"
    assert sent_lines(sms_file) == []

    private_broker.start()
    with start_worker(app, perform_ping_check=False, shutdown_timeout=10):
        assert sweep_outbox(now=timezone.now() + datetime.timedelta(minutes=2)) == 1
        deadline = time.monotonic() + 30
        while (
            time.monotonic() < deadline
            and OutboundMessage.objects.get(pk=message.pk).status != "sent"
        ):
            time.sleep(0.2)
        # A second sweep finds nothing: the message is not sent twice.
        assert sweep_outbox(now=timezone.now() + datetime.timedelta(minutes=2)) == 0

    assert OutboundMessage.objects.get(pk=message.pk).status == OutboundMessage.Status.SENT
    assert [line["reference"] for line in sent_lines(sms_file)] == ["t:outage"]
