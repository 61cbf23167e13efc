from celery import shared_task

from trainees.sms import SmsDeliveryError


@shared_task(
    autoretry_for=(SmsDeliveryError,),
    retry_backoff=True,
    retry_backoff_max=600,
    retry_jitter=True,
    max_retries=7,
    acks_late=True,
)
def deliver_message_task(message_id: int) -> None:
    """Idempotent: a message already sent, or claimed by another worker, is left alone."""
    from trainees.services.messaging import deliver_message

    deliver_message(message_id=message_id)


@shared_task
def sweep_outbox_task() -> None:
    from trainees.services.messaging import sweep_outbox

    sweep_outbox()


@shared_task
def purge_sign_in_data_task() -> None:
    from trainees.services.signin import purge_sign_in_data

    purge_sign_in_data()
