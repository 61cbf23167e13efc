from django.core.management.base import BaseCommand, CommandError
from django.utils.translation import gettext as _

from trainees.services.regions import import_regions, read_region_csv


class Command(BaseCommand):
    help = "Import township and village divisions from a UTF-8 CSV with columns code,name."

    def add_arguments(self, parser):
        parser.add_argument("csv_path")

    def handle(self, *args, csv_path, **options):
        report = import_regions(rows=read_region_csv(path=csv_path))
        if report.errors:
            lines = [
                _("Line %(line)s: %(reason)s") % {"line": line, "reason": reason}
                for line, reason in report.errors
            ]
            raise CommandError("\n".join([_("Nothing was imported."), *lines]))
        self.stdout.write(
            _("Created %(created)s, updated %(updated)s, unchanged %(unchanged)s.")
            % {"created": report.created, "updated": report.updated, "unchanged": report.unchanged}
        )
