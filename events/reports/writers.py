"""Documents (events.reports.sheets) as files:

* XLSX with openpyxl in write-only mode: rows go to disk as they come, so memory stays flat
  whatever the number of rows;
* CSV in UTF-8 with a byte-order mark, which Excel needs to show Chinese;
* PDF with fpdf2 and Noto Sans CJK from a Python package (cvttf-NotoSansCJK-Regular), embedded
  as a subset: the file prints the same anywhere, with no font taken from the system. Wide tables
  (a 30-session attendance sheet) are split across pages, the first columns repeated.

Each writer returns the number of data rows written and reports progress every PROGRESS_EVERY.
"""

import csv
import io
from collections.abc import Callable, Sequence
from typing import BinaryIO

from django.utils.translation import gettext as _
from fpdf import FPDF
from fpdf.enums import WrapMode
from fpdf.fonts import FontFace
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from events.models import ExportFormat
from events.reports.sheets import Code, Document, Percent, Table
from events.tickets import FONT_PATH

PROGRESS_EVERY = 1000
Progress = Callable[[int], None] | None


def write(document: Document, *, file_format: str, out: BinaryIO, progress: Progress = None) -> int:
    writer = {
        ExportFormat.XLSX: write_xlsx,
        ExportFormat.CSV: write_csv,
        ExportFormat.PDF: write_pdf,
    }[file_format]
    return writer(document, out=out, progress=progress)


class _Counter:
    def __init__(self, progress: Progress):
        self.rows = 0
        self.progress = progress

    def tick(self, rows: int = 1) -> None:
        before, self.rows = self.rows, self.rows + rows
        if self.progress and before // PROGRESS_EVERY != self.rows // PROGRESS_EVERY:
            self.progress(self.rows)


def _signature(label: str) -> str:
    """'班主任（签字）：' with the colon of the language, for a signature to follow."""
    return _("%(label)s: ") % {"label": label}


def _text(value: object) -> str:
    if isinstance(value, Percent):
        return f"{value * 100:.1f}%"
    return "" if value is None else str(value)


# XLSX --------------------------------------------------------------------------------------------

XLSX_WIDTH_RANGE = (6, 40)


# A cell starting with one of these is a formula to Excel (and to openpyxl): a worker's name
# typed as =HYPERLINK("http://…"&D5) would send a neighbouring ID number away when clicked.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _is_formula_like(value: object) -> bool:
    return isinstance(value, str) and value.startswith(FORMULA_START)


def write_xlsx(document: Document, *, out: BinaryIO, progress: Progress = None) -> int:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=_sheet_title(document.title))
    widths = _column_widths(document)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    counter = _Counter(progress)
    bold, title_font = Font(bold=True), Font(bold=True, size=14)

    def cell(value: object, font: Font | None = None) -> object:
        """A plain value where it can be one (fast), a styled cell where it must."""
        if font is None and not isinstance(value, Percent) and not _is_formula_like(value):
            return value
        styled = WriteOnlyCell(sheet, value=float(value) if isinstance(value, Percent) else value)
        if font is not None:
            styled.font = font
        if isinstance(value, Percent):
            styled.number_format = "0.0%"
        elif _is_formula_like(value):
            styled.data_type, styled.quotePrefix = "s", True  # text, shown as typed
        return styled

    def row(values: Sequence[object], font: Font | None = None) -> list[object]:
        return [cell(value, font) for value in values]

    sheet.append(row([document.title], title_font))
    for line in document.lines:
        sheet.append(row([line]))
    for table in document.tables:
        sheet.append([])
        if table.title:
            sheet.append(row([table.title], bold))
        for header in table.header:
            sheet.append(row(header, bold))
        for values in table.rows:
            sheet.append(row(values))
            counter.tick()
        for footer in table.footer:
            sheet.append(row(footer, bold))
    if document.signatures:
        sheet.append([])
        for signature in document.signatures:
            sheet.append([_signature(signature) + "____________________"])
    workbook.save(out)
    return counter.rows


def _sheet_title(title: str) -> str:
    cleaned = "".join(" " if char in "[]:*?/\\" else char for char in title)
    return cleaned[:31] or "Sheet"


def _column_widths(document: Document) -> list[float]:
    """From the header cells: data rows are not read twice (they may be an iterator)."""
    widths: list[float] = []
    for table in document.tables:
        for header in table.header:
            for index, value in enumerate(header):
                width = _display_width(_text(value)) + 2
                if index < len(widths):
                    widths[index] = max(widths[index], width)
                else:
                    widths.append(width)
    low, high = XLSX_WIDTH_RANGE
    return [min(high, max(low, width)) for width in widths]


def _display_width(text: str) -> int:
    """Chinese characters take two columns of a fixed-width grid, Latin ones one."""
    return sum(2 if ord(char) > 0x2E7F else 1 for char in text)


# CSV ---------------------------------------------------------------------------------------------


def write_csv(document: Document, *, out: BinaryIO, progress: Progress = None) -> int:
    text = io.TextIOWrapper(out, encoding="utf-8-sig", newline="", write_through=True)
    try:
        writer = csv.writer(text)
        counter = _Counter(progress)
        writer.writerow([document.title])
        for line in document.lines:
            writer.writerow([line])
        for table in document.tables:
            writer.writerow([])
            if table.title:
                writer.writerow([table.title])
            for header in table.header:
                writer.writerow(header)
            for row in table.rows:
                writer.writerow([_csv_text(value) for value in row])
                counter.tick()
            for footer in table.footer:
                writer.writerow([_csv_text(value) for value in footer])
        if document.signatures:
            writer.writerow([])
            for signature in document.signatures:
                writer.writerow([_signature(signature)])
        text.flush()
    finally:
        text.detach()  # leave `out` open for the caller
    return counter.rows


def _csv_text(value: object) -> str:
    """Text as Excel should show it: a code stays its digits ("450102…1234", not 4.50102E+17)
    and nothing becomes a formula."""
    if isinstance(value, Code):
        return f'="{value}"' if value else ""
    text = _text(value)
    return "'" + text if _is_formula_like(text) else text


# PDF ---------------------------------------------------------------------------------------------

FONT = "NotoSansCJK"
BODY_PT = 8
TITLE_PT = 15
LINE_PT = 9
CELL_PADDING_MM = 1.2
MIN_COLUMN_MM = 9
MAX_COLUMN_MM = 60
MARGIN_MM = 10


class _Pdf(FPDF):
    def footer(self) -> None:
        self.set_y(-MARGIN_MM)
        self.set_font(FONT, size=BODY_PT)
        self.cell(
            0,
            5,
            _("Page %(page)s of %(pages)s") % {"page": self.page_no(), "pages": "{nb}"},
            align="C",
        )


def write_pdf(document: Document, *, out: BinaryIO, progress: Progress = None) -> int:
    pdf = _Pdf(orientation="L" if document.landscape else "P", unit="mm", format="A4")
    pdf.set_margins(MARGIN_MM, MARGIN_MM, MARGIN_MM)
    pdf.set_auto_page_break(auto=True, margin=MARGIN_MM + 4)
    pdf.add_font(FONT, fname=str(FONT_PATH))
    pdf.set_title(document.title)
    pdf.add_page()
    pdf.set_font(FONT, size=TITLE_PT)
    pdf.multi_cell(0, 8, document.title, align="C", new_x="LMARGIN", new_y="NEXT")
    pdf.set_font(FONT, size=LINE_PT)
    for line in document.lines:
        pdf.multi_cell(0, 5, line, new_x="LMARGIN", new_y="NEXT")
    counter = _Counter(progress)
    for table in document.tables:
        _pdf_table(pdf, table, counter)
    if document.signatures:
        pdf.ln(6)
        pdf.set_font(FONT, size=LINE_PT + 1)
        width = pdf.epw / len(document.signatures)
        for signature in document.signatures:
            pdf.cell(width, 8, _signature(signature))
        pdf.ln(8)
    out.write(bytes(pdf.output()))
    return counter.rows


def _pdf_table(pdf: _Pdf, table: Table, counter: _Counter) -> None:
    pdf.set_font(FONT, size=BODY_PT)
    rows = [[_text(value) for value in row] for row in table.rows]
    counter.tick(len(rows))
    header = [[_text(value) for value in row] for row in table.header]
    widths = [
        min(MAX_COLUMN_MM, max(MIN_COLUMN_MM, width + 2 * CELL_PADDING_MM))
        for width in _pdf_widths(pdf, [*header, *rows])
    ]
    # Footer rows of one cell (a legend, a list of names) are written as text under the table.
    footer = [[_text(value) for value in row] for row in table.footer if len(row) > 1]
    notes = [_text(row[0]) for row in table.footer if len(row) == 1]
    keys = list(range(min(table.key_columns, len(widths))))
    for part, spans in enumerate(_column_groups(table, widths, keys, pdf.epw)):
        pdf.ln(3)
        if table.title or part:
            continued = _("(continued)") if part else ""
            pdf.set_font(FONT, size=LINE_PT + 1)
            pdf.multi_cell(
                0, 6, f"{table.title} {continued}".strip(), new_x="LMARGIN", new_y="NEXT"
            )
            pdf.set_font(FONT, size=BODY_PT)
        pick = keys + [index for span in spans for index in span]
        with pdf.table(
            col_widths=[widths[index] for index in pick],
            width=sum(widths[index] for index in pick),
            align="LEFT",
            text_align="LEFT",
            wrapmode=WrapMode.CHAR,
            num_heading_rows=len(header),
            headings_style=FontFace(fill_color=(230, 230, 230)),
            padding=CELL_PADDING_MM,
            line_height=BODY_PT * 0.5,
        ) as grid:
            for number, line in enumerate([*header, *rows, *footer]):
                cells = grid.row()
                for index in keys:
                    cells.cell(_at(line, index))
                for span in spans:
                    # The first heading row names a span once, over all its columns.
                    if number == 0 and len(span) > 1:
                        cells.cell(_at(line, span[0]), colspan=len(span))
                    else:
                        for index in span:
                            cells.cell(_at(line, index))
    for note in notes:
        pdf.multi_cell(0, 5, note, new_x="LMARGIN", new_y="NEXT")


def _at(line: list[str], index: int) -> str:
    return line[index] if index < len(line) else ""


def _pdf_widths(pdf: _Pdf, lines: list[list[str]]) -> list[float]:
    count = max((len(line) for line in lines), default=0)
    widths = [0.0] * count
    for line in lines:
        for index, text in enumerate(line):
            widths[index] = max(widths[index], pdf.get_string_width(text))
    return widths


def _column_groups(
    table: Table, widths: list[float], keys: list[int], page: float
) -> list[list[list[int]]]:
    """The other columns in spans (Table.spans: a session's sign-in and sign-out; one column
    otherwise), grouped page-wide, each group printed after the key columns."""
    rest = [index for index in range(len(widths)) if index not in keys]
    spans, start = [], 0
    for size in table.spans or []:
        spans.append(rest[start : start + size])
        start += size
    spans += [[index] for index in rest[start:]]
    room = page - sum(widths[index] for index in keys)
    groups: list[list[list[int]]] = [[]]
    used = 0.0
    for span in spans:
        width = sum(widths[index] for index in span)
        if groups[-1] and used + width > room:
            groups.append([])
            used = 0.0
        groups[-1].append(span)
        used += width
    return groups
