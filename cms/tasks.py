from celery import shared_task
from django.core.management import call_command


@shared_task
def publish_scheduled() -> None:
    """Publish and unpublish pages and snippets whose go-live or expiry time has come.

    Idempotent: the command only acts on what is due, so a repeated run does nothing.
    """
    call_command("publish_scheduled")


@shared_task
def purge_revisions(days: int = 90) -> None:
    """Drop old unpublished revisions; live and latest revisions are always kept."""
    call_command("purge_revisions", days=days)
