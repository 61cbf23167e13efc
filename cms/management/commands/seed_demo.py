"""`manage.py seed_demo [--scale] [--force]`: a believable demo site; safe to run repeatedly."""

import logging
import time

from django.conf import settings
from django.core.management.base import BaseCommand, CommandError, CommandParser

from cms import demo


class Command(BaseCommand):
    help = (
        "Create demo fairs, training programmes, employers, job listings, articles and "
        "dev users. Idempotent. --scale adds ~1,000 events and 10,000 listings for benchmarks."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument(
            "--scale",
            action="store_true",
            help=f"Also bulk-create {demo.SCALE_EVENTS} events and {demo.SCALE_LISTINGS} "
            f"listings, including “{demo.SCALE_FAIR_TITLE}” with 100 employers.",
        )
        parser.add_argument(
            "--force",
            action="store_true",
            help="Run even with DEBUG off (the demo users have well-known passwords).",
        )

    def handle(self, *args, scale: bool, force: bool, **options) -> None:
        # The users get passwords printed below; never create them on a real site by accident.
        if not settings.DEBUG and not force:
            raise CommandError(
                "seed_demo creates users with well-known passwords; it refuses to run with "
                "DEBUG off. Pass --force for a throwaway database (e.g. benchmarks)."
            )
        verbose = options["verbosity"] > 1
        log = self.stdout.write if verbose else (lambda message: None)
        if not verbose:
            # Every save logs a search-index and a reference-index task, and every publish a
            # "Published" line: hundreds of INFO lines that hide the summary below.
            for name in ("django_tasks", "wagtail"):
                logging.getLogger(name).setLevel(logging.WARNING)
        started = time.monotonic()
        seeded = demo.seed_demo(log=log)
        self.stdout.write(f"Demo data: {seeded}")
        if scale:
            if demo.seed_scale(log=self.stdout.write):
                self.stdout.write("Scale data created.")
            else:
                self.stdout.write("Scale data already present; skipped.")
        self.stdout.write(f"Done in {time.monotonic() - started:.1f}s.")
        self.stdout.write(
            "Rows: " + ", ".join(f"{name}={count}" for name, count in demo.counts().items())
        )
        self.stdout.write(self.style.WARNING("Dev-only logins (Wagtail admin at /admin/):"))
        for username, password, group in demo.CREDENTIALS:
            self.stdout.write(f"  {username} / {password}  ({group or 'superuser'})")
