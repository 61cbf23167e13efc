"""Village rosters: coordinators upload an XLSX or CSV list of workers registered on paper.

A file that cannot be read as a whole (wrong columns, empty, not a spreadsheet, too big) imports
nothing. Otherwise every row is validated first; the valid rows are imported with their consents
in one transaction, and the others are reported with row number, column and reason. Workers
already registered (same ID number or phone) are skipped, so a file imported twice adds nobody
twice. The roster itself is never stored.
"""

import csv
import io
import zipfile
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import PurePath

from django.contrib.auth.models import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.utils.exceptions import InvalidFileException
from openpyxl.worksheet.datavalidation import DataValidation

from trainees import crypto, id_numbers
from trainees.models import (
    ConsentMethod,
    Education,
    EmploymentStatus,
    Provenance,
    Region,
    Worker,
)
from trainees.phones import normalise_mobile
from trainees.selectors import WORKER_REGION_LEVELS, code_in_scope, scope_prefixes
from trainees.services.identity import (
    DuplicateWorker,
    NewWorker,
    WorkerDetails,
    create_worker,
    create_workers,
)

MAX_BYTES = 5 * 1024 * 1024
MAX_ROWS = 5000
# Guards against spreadsheets that unpack to far more than they weigh (zip bombs) and against
# files with huge numbers of blank rows or columns.
MAX_UNPACKED_BYTES = 100 * 1024 * 1024
MAX_PHYSICAL_ROWS = 100_000  # formatted but empty rows count too; 100,000 read in about a second
MAX_COLUMNS = 50
BULK_BATCH = 500  # rows per INSERT
HEADER_SEARCH_ROWS = 10  # rosters often carry a title row or two above the column names

# The column names and cell values are the file format, in Chinese whatever the admin language,
# so they are not translatable strings.
NAME = "姓名"
ID_NUMBER = "身份证号"
PHONE = "手机号"
REGION = "户籍村代码"
EDUCATION = "文化程度"
EMPLOYMENT = "就业状态"
CONSENT = "同意方式"
COLUMNS = [NAME, ID_NUMBER, PHONE, REGION, EDUCATION, EMPLOYMENT, CONSENT]
REQUIRED_COLUMNS = [NAME, ID_NUMBER, PHONE, REGION, CONSENT]
TEXT_COLUMNS = [ID_NUMBER, PHONE, REGION]  # digits Excel must not turn into numbers

# Accepted words per value; the first one is what the template offers.
EDUCATION_WORDS = {
    Education.NONE: ("未上过学", "无"),
    Education.PRIMARY: ("小学",),
    Education.JUNIOR: ("初中",),
    Education.SENIOR: ("高中", "普通高中"),
    Education.VOCATIONAL: ("中专", "中职", "技校"),
    Education.COLLEGE: ("大专", "高职"),
    Education.BACHELOR: ("本科",),
    Education.POSTGRADUATE: ("研究生", "硕士", "博士"),
}
EMPLOYMENT_WORDS = {
    EmploymentStatus.EMPLOYED: ("已就业",),
    EmploymentStatus.UNEMPLOYED: ("未就业", "失业", "求职中"),
    EmploymentStatus.FLEXIBLE: ("灵活就业", "打零工"),
    EmploymentStatus.SELF_EMPLOYED: ("自主创业", "个体经营"),
    EmploymentStatus.FARMING: ("务农",),
    EmploymentStatus.STUDENT: ("在校学生", "学生"),
}
CONSENT_WORDS = {
    ConsentMethod.VERBAL: ("口头", "口头同意"),
    ConsentMethod.SIGNED: ("签字", "书面签字", "签名"),
}
EXAMPLE_ROW = {
    NAME: "张三",
    ID_NUMBER: "11010519491231002X",  # the sample number of GB 11643 itself
    PHONE: "13800138000",
    REGION: "450102001001",
    EDUCATION: "初中",
    EMPLOYMENT: "务农",
    CONSENT: "签字",
}

ZIP_SIGNATURE = b"PK\x03\x04"
OLE2_SIGNATURE = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"  # the old binary .xls
# What openpyxl and zipfile raise on damaged or disguised files (SyntaxError: broken XML).
_BROKEN_XLSX_ERRORS = (
    zipfile.BadZipFile,
    InvalidFileException,
    KeyError,
    IndexError,
    ValueError,
    TypeError,
    OSError,
    EOFError,
    SyntaxError,
    zlib.error,
)


class RosterFileError(Exception):
    """The file as a whole is unusable; the message says why, in the admin's language."""


@dataclass(frozen=True)
class RosterRow:
    number: int  # as Excel shows it: the column names are usually row 1
    values: dict[str, str]
    numeric_id: bool = False  # Excel kept the ID number as a number, losing its last digits


@dataclass(frozen=True)
class RowProblem:
    row: int
    column: str
    reason: str


@dataclass
class RosterReport:
    rows: int
    imported: int = 0
    skipped: list[RowProblem] = field(default_factory=list)
    errors: list[RowProblem] = field(default_factory=list)

    @property
    def rows_with_errors(self) -> int:
        return len({problem.row for problem in self.errors})

    @property
    def problems(self) -> list[RowProblem]:
        return sorted(self.errors + self.skipped, key=lambda problem: problem.row)


@dataclass(frozen=True)
class _ValidRow:
    number: int
    worker: NewWorker  # phone and ID number normalised


# Reading


def read_roster(*, content: bytes, filename: str) -> list[RosterRow]:
    """The rows of an uploaded roster, told apart by content rather than by file name."""
    if not content:
        raise RosterFileError(_("The file is empty."))
    if len(content) > MAX_BYTES:
        raise RosterFileError(
            _("The file is larger than %(size)d MB: split it into smaller files.")
            % {"size": MAX_BYTES // (1024 * 1024)}
        )
    suffix = PurePath(filename).suffix.lower()
    if content.startswith(ZIP_SIGNATURE):
        return _rows_from_table(_xlsx_table(content))
    if content.startswith(OLE2_SIGNATURE):
        raise RosterFileError(
            _(
                "This is an old Excel file (.xls). Save it as an Excel workbook (.xlsx) or as CSV "
                "and upload it again."
            )
        )
    if suffix == ".xlsx":
        raise RosterFileError(
            _(
                "This file is not an Excel workbook, although its name ends in .xlsx. Open it in "
                "Excel and save it as an Excel workbook (.xlsx) or as CSV."
            )
        )
    if suffix in {".csv", ".txt"}:
        return _rows_from_table(_csv_table(content))
    raise RosterFileError(_("Upload an Excel workbook (.xlsx) or a CSV file."))


def _xlsx_table(content: bytes) -> Iterator[Sequence[object]]:
    unreadable = _(
        "This Excel file could not be read. Open it in Excel, save it again and upload it."
    )
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            if sum(info.file_size for info in archive.infolist()) > MAX_UNPACKED_BYTES:
                raise RosterFileError(unreadable)
        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
    except _BROKEN_XLSX_ERRORS as error:
        raise RosterFileError(unreadable) from error
    try:
        # The sheets' XML is parsed lazily: a damaged sheet fails here, not in load_workbook.
        yield from workbook.worksheets[0].iter_rows(max_col=MAX_COLUMNS, values_only=True)
    except _BROKEN_XLSX_ERRORS as error:
        raise RosterFileError(unreadable) from error
    finally:
        workbook.close()


def _csv_table(content: bytes) -> Iterator[Sequence[object]]:
    # Excel saves "CSV UTF-8" with a byte order mark and plain "CSV" in the Windows code page,
    # GBK on Chinese systems; GB18030 is its superset.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = content.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise RosterFileError(
            _("This CSV file could not be read: save it from Excel as “CSV UTF-8” and try again.")
        )
    try:
        yield from csv.reader(io.StringIO(text, newline=""))
    except csv.Error as error:
        raise RosterFileError(
            _("This CSV file could not be read: save it from Excel as “CSV UTF-8” and try again.")
        ) from error


def _header_name(value: object) -> str:
    return str(value or "").replace("\ufeff", "").strip().rstrip("*").strip()


def _cell_text(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # 13800138000.0 as Excel stores a number
    return str(value).strip()


def _rows_from_table(table: Iterable[Sequence[object]]) -> list[RosterRow]:
    table = iter(table)
    positions, header_number = _find_header(table)
    rows: list[RosterRow] = []
    for number, cells in enumerate(table, start=header_number + 1):
        if number > MAX_PHYSICAL_ROWS:
            raise RosterFileError(
                _(
                    "The sheet goes on for more than %(rows)d rows, empty ones included: delete "
                    "the empty rows below the workers and upload it again."
                )
                % {"rows": MAX_PHYSICAL_ROWS}
            )
        raw = {
            column: cells[position] if position < len(cells) else None
            for column, position in positions.items()
        }
        values = {column: _cell_text(raw.get(column)) for column in COLUMNS}
        if not any(values.values()):
            continue
        if len(rows) == MAX_ROWS:
            raise _too_many_rows()
        numeric_id = isinstance(raw.get(ID_NUMBER), int | float)
        rows.append(RosterRow(number=number, values=values, numeric_id=numeric_id))
    if not rows:
        raise RosterFileError(_("The file has the column names but no workers."))
    return rows


def _find_header(table: Iterator[Sequence[object]]) -> tuple[dict[str, int], int]:
    """Position of each column, and the row number of the column names: the first row with 姓名
    among the first few, so that a title row above them does no harm."""
    first_names: list[str] | None = None
    for number, cells in enumerate(table, start=1):
        names = [_header_name(cell) for cell in cells]
        if first_names is None and any(names):
            first_names = names
        if NAME in names:
            positions = {column: names.index(column) for column in COLUMNS if column in names}
            missing = [column for column in REQUIRED_COLUMNS if column not in positions]
            if not missing:
                return positions, number
            raise _missing_columns(missing)
        if number >= HEADER_SEARCH_ROWS:
            break
    if first_names is None:
        raise RosterFileError(_("The file is empty."))
    raise _missing_columns([column for column in REQUIRED_COLUMNS if column not in first_names])


def _missing_columns(missing: list[str]) -> RosterFileError:
    return RosterFileError(
        _(
            "The row of column names lacks: %(columns)s. Download the template to see the "
            "columns a roster needs."
        )
        % {"columns": "、".join(missing)}
    )


def _too_many_rows() -> RosterFileError:
    return RosterFileError(
        _("The file has more than %(rows)d workers: split it into smaller files.")
        % {"rows": MAX_ROWS}
    )


# Validating and importing


def import_roster_file(
    *, content: bytes, filename: str, uploaded_by: AbstractBaseUser
) -> RosterReport:
    """Read, validate and import a roster; RosterFileError when the file as a whole is unusable."""
    return import_roster(
        rows=read_roster(content=content, filename=filename), uploaded_by=uploaded_by
    )


def import_roster(*, rows: list[RosterRow], uploaded_by: AbstractBaseUser) -> RosterReport:
    report = RosterReport(rows=len(rows))
    valid = _validate(rows=rows, user=uploaded_by, report=report)
    registered = _registered(valid)
    new = [row for row in valid if row.number not in registered]
    report.skipped.extend(
        _already_registered(number, column) for number, column in registered.items()
    )
    try:
        with transaction.atomic():
            create_workers(
                new=[row.worker for row in new],
                provenance=Provenance.IMPORTED,
                created_by=uploaded_by,
                batch_size=BULK_BATCH,
            )
        report.imported = len(new)
    except IntegrityError:
        # Someone registered one of these people meanwhile: go row by row to tell who.
        for row in new:
            _import_one(row, uploaded_by=uploaded_by, report=report)
    return report


def _import_one(row: _ValidRow, *, uploaded_by: AbstractBaseUser, report: RosterReport) -> None:
    new = row.worker
    try:
        create_worker(
            details=new.details,
            education=new.education,
            employment_status=new.employment_status,
            consent_method=new.consent_method,
            provenance=Provenance.IMPORTED,
            created_by=uploaded_by,
        )
    except DuplicateWorker as duplicate:
        column = ID_NUMBER if "id_number" in duplicate.message_dict else PHONE
        report.skipped.append(_already_registered(row.number, column))
        return
    report.imported += 1


def _already_registered(row: int, column: str) -> RowProblem:
    if column == ID_NUMBER:
        reason = _("Already registered (same ID number): skipped.")
    else:
        reason = _("Already registered (same mobile number): skipped.")
    return RowProblem(row=row, column=column, reason=reason)


class _RowCheck:
    """The problems found in one row."""

    def __init__(self, row: RosterRow):
        self.row = row
        self.problems: list[RowProblem] = []

    def add(self, column: str, reason: str) -> None:
        self.problems.append(RowProblem(row=self.row.number, column=column, reason=reason))


def _validate(
    *, rows: list[RosterRow], user: AbstractBaseUser, report: RosterReport
) -> list[_ValidRow]:
    prefixes = scope_prefixes(user=user)
    codes = {row.values[REGION] for row in rows if len(row.values[REGION]) == 12}
    regions = {region.code: region for region in Region.objects.filter(code__in=codes)}
    first_row_with: dict[str, dict[str, int]] = {ID_NUMBER: {}, PHONE: {}}
    valid: list[_ValidRow] = []
    for row in rows:
        check = _RowCheck(row)
        name = _name(check)
        id_number = _unique(_id_number(check), ID_NUMBER, check, first_row_with[ID_NUMBER])
        phone = _unique(_phone(check), PHONE, check, first_row_with[PHONE])
        region = _region(check, regions=regions, prefixes=prefixes)
        education = _choice(check, EDUCATION, EDUCATION_WORDS)
        employment_status = _choice(check, EMPLOYMENT, EMPLOYMENT_WORDS)
        consent_method = _choice(check, CONSENT, CONSENT_WORDS, required=True)
        if check.problems:
            report.errors.extend(check.problems)
            continue
        valid.append(
            _ValidRow(
                number=row.number,
                worker=NewWorker(
                    details=WorkerDetails(
                        name=name, phone=phone, id_number=id_number, hukou_region=region
                    ),
                    consent_method=consent_method,
                    education=education,
                    employment_status=employment_status,
                ),
            )
        )
    return valid


def _required(check: _RowCheck, column: str) -> str:
    value = check.row.values[column]
    if not value:
        check.add(column, _("This field is required."))
    return value


def _name(check: _RowCheck) -> str:
    name = _required(check, NAME)
    if len(name) > Worker._meta.get_field("name").max_length:
        check.add(NAME, _("The name is too long."))
    return name


def _id_number(check: _RowCheck) -> str:
    if check.row.numeric_id:
        check.add(
            ID_NUMBER,
            _(
                "Excel stored the ID number as a number and lost its last digits: format the "
                "column as text and enter the number again."
            ),
        )
        return ""
    if not (raw := _required(check, ID_NUMBER)):
        return ""
    try:
        number = id_numbers.parse(raw).number
    except ValidationError as error:
        check.add(ID_NUMBER, error.messages[0])
        return ""
    if number == EXAMPLE_ROW[ID_NUMBER]:
        check.add(ID_NUMBER, _("This is the example row of the template: delete it."))
        return ""
    return number


def _phone(check: _RowCheck) -> str:
    if not (raw := _required(check, PHONE)):
        return ""
    try:
        return normalise_mobile(raw)
    except ValidationError as error:
        check.add(PHONE, error.messages[0])
        return ""


def _unique(value: str, column: str, check: _RowCheck, first_row: dict[str, int]) -> str:
    """The value, unless an earlier row of the file has it: that row is kept, this one is not."""
    if not value:
        return ""
    if value in first_row:
        if column == ID_NUMBER:
            reason = _("The same ID number is on row %(row)d.")
        else:
            reason = _("The same mobile number is on row %(row)d.")
        check.add(column, reason % {"row": first_row[value]})
        return ""
    first_row[value] = check.row.number
    return value


def _region(
    check: _RowCheck, *, regions: dict[str, Region], prefixes: list[str] | None
) -> Region | None:
    if not (code := _required(check, REGION)):
        return None
    region = regions.get(code)
    if len(code) != 12 or not code.isdigit():
        check.add(REGION, _("Enter the 12-digit division code of the village."))
    elif region is None:
        check.add(REGION, _("No village or township has the code %(code)s.") % {"code": code})
    elif region.level not in WORKER_REGION_LEVELS:
        check.add(REGION, _("%(code)s is not the code of a village or township.") % {"code": code})
    elif not code_in_scope(code, prefixes=prefixes):
        check.add(REGION, _("%(code)s is not one of your villages.") % {"code": code})
    else:
        return region
    return None


def _choice(
    check: _RowCheck,
    column: str,
    words: dict[str, tuple[str, ...]],
    *,
    required: bool = False,
) -> str:
    """The stored value for the word in the cell; empty for an empty optional cell."""
    word = _required(check, column) if required else check.row.values[column]
    if not word:
        return ""
    for value, accepted in words.items():
        if word in accepted:
            return value
    allowed = "、".join(accepted[0] for accepted in words.values())
    check.add(column, _("Use one of: %(words)s.") % {"words": allowed})
    return ""


def _registered(rows: list[_ValidRow]) -> dict[int, str]:
    """Row number -> column (ID number before phone) of the rows whose worker is registered."""
    registered: dict[int, str] = {}
    chunk = 400  # keeps each query well under SQLite's limit on parameters
    for start in range(0, len(rows), chunk):
        batch = rows[start : start + chunk]
        hmacs = {crypto.lookup_hmac(row.worker.details.id_number): row for row in batch}
        matches = Worker.objects.filter(
            Q(id_number_hmac__in=hmacs) | Q(phone__in=[row.worker.details.phone for row in batch])
        ).values_list("id_number_hmac", "phone")
        found_hmacs, found_phones = set(), set()
        for hmac_value, phone in matches:
            found_hmacs.add(hmac_value)
            found_phones.add(phone)
        for hmac_value, row in hmacs.items():
            if hmac_value in found_hmacs:
                registered[row.number] = ID_NUMBER
            elif row.worker.details.phone in found_phones:
                registered[row.number] = PHONE
    return registered


# Files for the coordinator


def roster_template_xlsx() -> bytes:
    """The template: column names, one example row, text-formatted digit columns and drop-down
    lists for the columns with fixed words."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = "花名册"
    sheet.append(COLUMNS)
    sheet.append([EXAMPLE_ROW[column] for column in COLUMNS])
    sheet.freeze_panes = "A2"
    widths = {NAME: 10, ID_NUMBER: 22, PHONE: 14, REGION: 16, EDUCATION: 12, EMPLOYMENT: 12}
    for index, column in enumerate(COLUMNS, start=1):
        letter = get_column_letter(index)
        sheet[f"{letter}1"].font = Font(bold=True)
        sheet.column_dimensions[letter].width = widths.get(column, 10)
        if column in TEXT_COLUMNS:
            # Excel would otherwise show 4.50102E+17 and drop the last digits of an ID number.
            sheet.column_dimensions[letter].number_format = "@"
            sheet[f"{letter}2"].number_format = "@"
    for column, words in (
        (EDUCATION, EDUCATION_WORDS),
        (EMPLOYMENT, EMPLOYMENT_WORDS),
        (CONSENT, CONSENT_WORDS),
    ):
        letter = get_column_letter(COLUMNS.index(column) + 1)
        choices = ",".join(accepted[0] for accepted in words.values())
        validation = DataValidation(type="list", formula1=f'"{choices}"', allow_blank=True)
        validation.add(f"{letter}2:{letter}{MAX_ROWS + 1}")
        sheet.add_data_validation(validation)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def roster_template_csv() -> bytes:
    """The CSV variant, with a byte order mark so that Excel opens the Chinese as UTF-8."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(COLUMNS)
    writer.writerow([EXAMPLE_ROW[column] for column in COLUMNS])
    return output.getvalue().encode("utf-8-sig")


def problems_csv(*, problems: Iterable[RowProblem]) -> bytes:
    """The error report as CSV (row, column, reason), UTF-8 with a byte order mark for Excel."""
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow([_("Row"), _("Column"), _("Problem")])
    for problem in problems:
        writer.writerow([problem.row, problem.column, problem.reason])
    return output.getvalue().encode("utf-8-sig")
