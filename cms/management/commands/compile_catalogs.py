"""Compile the project's .po catalogs to .mo with Babel, so no system gettext is needed.

With --check it changes nothing and fails when an entry is untranslated or fuzzy, or when a
committed .mo file does not match its .po.
"""

import io
from pathlib import Path

from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from django.conf import settings
from django.core.management.base import BaseCommand, CommandError


def compiled(po_path: Path) -> tuple[bytes, list[str]]:
    with po_path.open("rb") as handle:
        catalog = read_po(handle)
    problems = []
    for message in catalog:
        if not message.id:
            continue
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        if message.fuzzy or not all(strings):
            problems.append(
                f"{po_path}: {'fuzzy' if message.fuzzy else 'untranslated'}: {message.id!r}"
            )
    buffer = io.BytesIO()
    write_mo(buffer, catalog, use_fuzzy=False)
    return buffer.getvalue(), problems


class Command(BaseCommand):
    help = "Compile locale/*/LC_MESSAGES/*.po to .mo (Babel); --check verifies instead."

    def add_arguments(self, parser):
        parser.add_argument(
            "--check", action="store_true", help="Fail if a catalog is incomplete or stale."
        )

    def handle(self, *args, check, **options):
        failures = []
        for locale_path in settings.LOCALE_PATHS:
            for po_path in sorted(Path(locale_path).glob("*/LC_MESSAGES/*.po")):
                data, problems = compiled(po_path)
                failures += problems
                mo_path = po_path.with_suffix(".mo")
                if check:
                    if not mo_path.exists() or mo_path.read_bytes() != data:
                        failures.append(f"{mo_path} is missing or stale: run `make messages`")
                else:
                    mo_path.write_bytes(data)
                    self.stdout.write(f"compiled {mo_path}")
        if failures:
            raise CommandError("\n".join(failures))
