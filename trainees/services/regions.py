"""Writes for the trainees app."""

import csv
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.db import transaction
from django.utils.translation import gettext as _

from trainees.models import Region, level_for_code, parent_code_for


@dataclass
class RegionImportReport:
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[tuple[int, str]] = field(default_factory=list)


def import_regions(*, rows: Iterable[dict[str, str]]) -> RegionImportReport:
    """Create or update regions from rows with `code` and `name`.

    Rows are validated first; if any row is bad nothing is written, so a broken file never
    leaves half a village list behind. Parents may come earlier in the file or already exist.
    """
    report = RegionImportReport()
    parsed: list[tuple[int, str, str]] = []
    for line_number, row in enumerate(rows, start=2):
        code = (row.get("code") or "").strip()
        name = (row.get("name") or "").strip()
        if len(code) != 12 or not code.isdigit():
            report.errors.append(
                (line_number, _("“%(code)s” is not a 12-digit division code.") % {"code": code})
            )
            continue
        if not name:
            report.errors.append((line_number, _("The name is empty.")))
            continue
        parsed.append((line_number, code, name))
    if report.errors:
        return report

    known = set(Region.objects.values_list("code", flat=True)) | {
        code for _line, code, _name in parsed
    }
    for line_number, code, _name in parsed:
        parent_code = parent_code_for(code)
        if parent_code and parent_code not in known:
            report.errors.append(
                (
                    line_number,
                    _("Parent division %(parent)s of %(code)s is unknown.")
                    % {"parent": parent_code, "code": code},
                )
            )
    if report.errors:
        return report

    with transaction.atomic():
        existing = {region.code: region for region in Region.objects.all()}
        # Parents before children.
        level_order = {"city": 0, "county": 1, "township": 2, "village": 3}
        for _line, code, name in sorted(
            parsed, key=lambda item: (level_order[level_for_code(item[1])], item[1])
        ):
            parent_code = parent_code_for(code)
            parent = existing.get(parent_code) if parent_code else None
            region = existing.get(code)
            if region is None:
                existing[code] = Region.objects.create(
                    code=code, name=name, level=level_for_code(code), parent=parent
                )
                report.created += 1
            elif region.name != name or region.parent_id != (parent.pk if parent else None):
                region.name = name
                region.parent = parent
                region.save(update_fields=["name", "parent"])
                report.updated += 1
            else:
                report.unchanged += 1
    return report


def read_region_csv(*, path: str) -> list[dict[str, str]]:
    with open(path, encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))
