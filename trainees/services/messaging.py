"""The SMS outbox: messages are rows first, deliveries second.

A message is written in the caller's transaction (so it exists exactly when the change that
caused it does) and handed to Celery after commit. If the broker is down then, the row waits and
`sweep_outbox` (beat, every minute) hands it over once the broker is back. Delivery claims the
row before sending, so two workers never send one message twice.
"""

import datetime
import logging

from django.db import transaction
from django.db.models import F, Q
from django.utils import timezone

from trainees.models import OutboundMessage
from trainees.sms import SmsDeliveryError, get_backend

logger = logging.getLogger(__name__)

# A claim older than this is taken to belong to a worker that died mid-send.
STALE_CLAIM = datetime.timedelta(minutes=10)
# Pending rows younger than this are still on their way through the broker.
SWEEP_GRACE = datetime.timedelta(minutes=1)
MAX_ATTEMPTS = 8


def queue_sms(*, phone: str, kind: str, body: str, dedupe_key: str) -> OutboundMessage:
    """Add a message to the outbox once per dedupe_key; delivery is enqueued after commit.

    One INSERT ... ON CONFLICT statement (it returns the id of the row either way): this runs
    inside every registration's transaction, so round trips count. Enqueuing a message that
    already existed is harmless, since delivery claims the row first.
    """
    message = OutboundMessage(phone=phone, kind=kind, body=body, dedupe_key=dedupe_key)
    OutboundMessage.objects.bulk_create(
        [message], update_conflicts=True, unique_fields=["dedupe_key"], update_fields=["dedupe_key"]
    )
    deliver_on_commit(message_id=message.pk)
    return message


def deliver_on_commit(*, message_id: int) -> None:
    """Enqueue the delivery of an outbox row once the transaction that wrote it commits (at once
    in autocommit). For callers that write the row in a statement of their own."""
    transaction.on_commit(lambda: enqueue_delivery(message_id=message_id))


def enqueue_delivery(*, message_id: int) -> bool:
    """Hand a message to Celery; a broker failure is logged, not raised: the sweeper retries."""
    from trainees.tasks import deliver_message_task

    try:
        deliver_message_task.delay(message_id)
    except Exception as error:  # noqa: BLE001 - any broker failure; the row stays pending
        logger.warning(
            "Broker unavailable, outbox message %s left for the sweeper: %s",
            message_id,
            type(error).__name__,
        )
        return False
    return True


def deliver_message(*, message_id: int) -> bool:
    """Send one pending message. Returns False when there is nothing to do (already sent, or
    claimed by another worker). Raises SmsDeliveryError when the provider failed; the row is
    then pending again for the retry."""
    now = timezone.now()
    claimable = Q(status=OutboundMessage.Status.PENDING) | Q(
        status=OutboundMessage.Status.SENDING, claimed_at__lt=now - STALE_CLAIM
    )
    claimed = OutboundMessage.objects.filter(claimable, pk=message_id).update(
        status=OutboundMessage.Status.SENDING, claimed_at=now, attempts=F("attempts") + 1
    )
    if not claimed:
        return False
    message = OutboundMessage.objects.get(pk=message_id)
    try:
        get_backend().send(phone=message.phone, body=message.body, reference=message.dedupe_key)
    except SmsDeliveryError as error:
        exhausted = message.attempts >= MAX_ATTEMPTS
        OutboundMessage.objects.filter(pk=message_id).update(
            status=OutboundMessage.Status.FAILED if exhausted else OutboundMessage.Status.PENDING,
            last_error=str(error)[:300],
        )
        if exhausted:
            return False
        raise
    OutboundMessage.objects.filter(pk=message_id).update(
        status=OutboundMessage.Status.SENT, sent_at=timezone.now(), last_error=""
    )
    return True


def sweep_outbox(*, now: datetime.datetime | None = None) -> int:
    """Re-enqueue messages the broker never got, and claims abandoned by a dead worker."""
    now = now or timezone.now()
    waiting = OutboundMessage.objects.filter(
        Q(status=OutboundMessage.Status.PENDING, created_at__lt=now - SWEEP_GRACE)
        | Q(status=OutboundMessage.Status.SENDING, claimed_at__lt=now - STALE_CLAIM)
    ).values_list("pk", flat=True)
    count = 0
    for message_id in waiting[:1000]:
        count += enqueue_delivery(message_id=message_id)
    return count
