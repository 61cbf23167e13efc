"""Re-encrypt every stored ID number with the newest key in CHUNFENG_ID_ENCRYPTION_KEYS.

Rotation: put a new key first in CHUNFENG_ID_ENCRYPTION_KEYS (keep the old ones after it), deploy,
run this command, then remove the old keys. The HMAC lookup key is not rotated by this command.
"""

from django.core.management.base import BaseCommand
from django.db import transaction

from trainees import crypto
from trainees.models import Worker

BATCH = 500


class Command(BaseCommand):
    help = "Re-encrypt stored ID numbers with the newest encryption key."

    def handle(self, *args, **options):
        rotated = 0
        workers = Worker.objects.exclude(id_number_encrypted="").only("pk", "id_number_encrypted")
        for worker in workers.iterator(chunk_size=BATCH):
            with transaction.atomic():
                Worker.objects.filter(pk=worker.pk).update(
                    id_number_encrypted=crypto.rotate(worker.id_number_encrypted)
                )
            rotated += 1
        self.stdout.write(f"re-encrypted {rotated} ID numbers")
