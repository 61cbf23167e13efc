"""Roster import: reading, validating and importing village rosters, in the service and the admin."""

import csv
import io
import zipfile

import openpyxl
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.urls import reverse
from django.utils import translation
from wagtail.users.models import UserProfile

from tests.support.coordinators import (
    id_number,
    login,
    phone,
    recorded_worker,
    refused,
)
from trainees.models import (
    Consent,
    ConsentKind,
    ConsentMethod,
    Education,
    EmploymentStatus,
    Provenance,
    Worker,
)
from trainees.services import roster
from trainees.services.roster import (
    COLUMNS,
    MAX_ROWS,
    RosterFileError,
    import_roster_file,
    read_roster,
)

VILLAGE_ONE = "450102001001"
VILLAGE_TWO = "450102001002"
OTHER_VILLAGE = "450102002001"


def row(serial: int, village: str = VILLAGE_ONE, **changes: str) -> dict[str, str]:
    values = {
        "姓名": f"村民{serial}",
        "身份证号": id_number(serial),
        "手机号": phone(serial),
        "户籍村代码": village,
        "文化程度": "初中",
        "就业状态": "务农",
        "同意方式": "签字",
    }
    values.update(changes)
    return values


def xlsx(rows: list[dict], columns: list[str] = COLUMNS) -> bytes:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(columns)
    for values in rows:
        sheet.append([values.get(column, "") for column in columns])
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def csv_file(rows: list[dict], *, encoding: str = "utf-8-sig", columns=COLUMNS) -> bytes:
    output = io.StringIO()
    writer = csv.writer(output)
    writer.writerow(columns)
    for values in rows:
        writer.writerow([values.get(column, "") for column in columns])
    return output.getvalue().encode(encoding)


def problems(report) -> list[tuple[int, str]]:
    return [(problem.row, problem.column) for problem in report.problems]


def upload(client, content: bytes, name: str):
    return client.post(
        reverse("roster:import"), {"file": SimpleUploadedFile(name, content)}, follow=False
    )


# A good file


@pytest.mark.django_db
def test_a_good_file_imports_every_row_with_consent_and_provenance(client, coordinator):
    rows = [
        row(1),
        row(2, VILLAGE_TWO, 同意方式="口头", 文化程度="", 就业状态=""),
        row(3, 文化程度="大专", 就业状态="灵活就业"),
    ]

    response = upload(login(client, coordinator), xlsx(rows), "花名册.xlsx")

    assert response.status_code == 200
    report = response.context["report"]
    assert (report.imported, report.skipped, report.errors) == (3, [], [])
    workers = {w.phone: w for w in Worker.objects.select_related("hukou_region")}
    assert set(workers) == {phone(1), phone(2), phone(3)}
    for worker in workers.values():
        assert (worker.provenance, worker.created_by) == (Provenance.IMPORTED, coordinator)
    first, second, third = workers[phone(1)], workers[phone(2)], workers[phone(3)]
    assert (first.name, first.hukou_region.code) == ("村民1", VILLAGE_ONE)
    assert (first.education, first.employment_status) == (Education.JUNIOR, "farming")
    assert (second.hukou_region.code, second.education) == (VILLAGE_TWO, "")
    assert (third.education, third.employment_status) == (
        Education.COLLEGE,
        EmploymentStatus.FLEXIBLE,
    )
    assert first.id_number_masked == id_number(1)[:6] + "********" + id_number(1)[-4:]
    consents = {c.worker_id: c for c in Consent.objects.all()}
    assert len(consents) == 3
    assert consents[first.pk].method == ConsentMethod.SIGNED
    assert consents[second.pk].method == ConsentMethod.VERBAL
    assert {(c.kind, c.recorded_by) for c in consents.values()} == {
        (ConsentKind.PRIVACY_NOTICE, coordinator)
    }
    assert id_number(1) not in response.content.decode()


@pytest.mark.django_db
def test_importing_the_same_file_twice_adds_nobody(coordinator):
    content = xlsx([row(1), row(2)])
    import_roster_file(content=content, filename="a.xlsx", uploaded_by=coordinator)

    again = import_roster_file(content=content, filename="a.xlsx", uploaded_by=coordinator)

    assert again.imported == 0
    assert problems(again) == [(2, "身份证号"), (3, "身份证号")]
    assert "skipped" in again.skipped[0].reason or "跳过" in again.skipped[0].reason
    assert (Worker.objects.count(), Consent.objects.count()) == (2, 2)


@pytest.mark.django_db
def test_a_worker_registered_with_the_same_phone_is_skipped(coordinator, area):
    recorded_worker(1, area["villages"][0])

    report = import_roster_file(
        content=xlsx([row(90, 手机号=phone(1)), row(2)]), filename="a.xlsx", uploaded_by=coordinator
    )

    assert report.imported == 1
    assert problems(report) == [(2, "手机号")]
    assert Worker.objects.count() == 2


@pytest.mark.django_db
def test_someone_registered_meanwhile_is_skipped_not_duplicated(coordinator, area, monkeypatch):
    recorded_worker(1, area["villages"][0])
    # As if the worker had registered between the check for existing workers and the insert.
    monkeypatch.setattr(roster, "_registered", lambda rows: {})

    report = import_roster_file(
        content=xlsx([row(1), row(2)]), filename="a.xlsx", uploaded_by=coordinator
    )

    assert (report.imported, problems(report)) == (1, [(2, "身份证号")])
    assert Worker.objects.count() == 2
    newcomer = Worker.objects.get(phone=phone(2))
    assert (newcomer.education, newcomer.employment_status) == (Education.JUNIOR, "farming")
    assert newcomer.consents.get().recorded_by == coordinator


@pytest.mark.django_db
@pytest.mark.parametrize("encoding", ["utf-8-sig", "utf-8", "gb18030"])
def test_csv_files_are_read_in_utf_8_and_in_the_encoding_of_chinese_excel(coordinator, encoding):
    content = csv_file([row(1), row(2, VILLAGE_TWO)], encoding=encoding)

    report = import_roster_file(content=content, filename="花名册.csv", uploaded_by=coordinator)

    assert (report.imported, report.errors) == (2, [])
    assert set(Worker.objects.values_list("name", flat=True)) == {"村民1", "村民2"}


@pytest.mark.django_db
def test_a_title_row_above_the_column_names_is_tolerated(coordinator):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(["民生街道2026年春风行动劳动力花名册"])
    sheet.append(COLUMNS)
    sheet.append([row(1)[column] for column in COLUMNS])
    output = io.BytesIO()
    workbook.save(output)

    report = import_roster_file(
        content=output.getvalue(), filename="a.xlsx", uploaded_by=coordinator
    )

    assert report.imported == 1


# Bad rows


@pytest.mark.django_db
def test_every_bad_row_is_reported_and_only_good_rows_are_imported(coordinator, area):
    bad_id = id_number(3)[:-1] + ("0" if id_number(3)[-1] != "0" else "1")
    rows = [
        row(1),  # row 2: good
        row(3, 身份证号=bad_id),  # 3: check digit
        row(4, 身份证号=id_number(1)),  # 4: same ID as row 2
        row(5, 手机号=phone(1)),  # 5: same phone as row 2
        row(6, 户籍村代码="450102001099"),  # 6: no such village
        row(7, 户籍村代码=OTHER_VILLAGE),  # 7: not this coordinator's
        row(8, 户籍村代码="450102000000"),  # 8: a county
        row(9, 同意方式="微信"),  # 9: unknown consent word
        row(10, 姓名="", 手机号="12345"),  # 10: two problems
        row(11, 文化程度="幼儿园", 户籍村代码="4501"),  # 11: two problems
        row(12, 同意方式=""),  # 12: consent required
        row(13, VILLAGE_TWO),  # 13: good
    ]

    report = import_roster_file(content=xlsx(rows), filename="a.xlsx", uploaded_by=coordinator)

    assert problems(report) == [
        (3, "身份证号"),
        (4, "身份证号"),
        (5, "手机号"),
        (6, "户籍村代码"),
        (7, "户籍村代码"),
        (8, "户籍村代码"),
        (9, "同意方式"),
        (10, "姓名"),
        (10, "手机号"),
        (11, "户籍村代码"),
        (11, "文化程度"),
        (12, "同意方式"),
    ]
    assert report.imported == 2
    assert report.rows_with_errors == 10
    assert set(Worker.objects.values_list("phone", flat=True)) == {phone(1), phone(13)}
    assert Consent.objects.count() == 2


@pytest.mark.django_db
def test_an_id_number_excel_turned_into_a_number_is_explained(coordinator):
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.append(COLUMNS)
    values = row(1)
    values["身份证号"] = int(id_number(1)[:17] + "0")  # as Excel keeps a typed-in number
    sheet.append([values[column] for column in COLUMNS])
    output = io.BytesIO()
    workbook.save(output)

    report = import_roster_file(
        content=output.getvalue(), filename="a.xlsx", uploaded_by=coordinator
    )

    assert problems(report) == [(2, "身份证号")]
    assert "Excel" in report.errors[0].reason
    assert not Worker.objects.exists()


@pytest.mark.django_db
def test_the_template_example_row_is_refused(coordinator):
    report = import_roster_file(
        content=roster.roster_template_xlsx(), filename="模板.xlsx", uploaded_by=coordinator
    )

    assert problems(report) == [(2, "身份证号")]
    assert not Worker.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_row_errors_are_in_the_admin_users_language(client, coordinator, language):
    with translation.override(language):
        expected = translation.gettext("This field is required.")
    assert (expected == "This field is required.") == (language == "en")
    profile = UserProfile.get_for_user(coordinator)
    profile.preferred_language = language
    profile.save()

    response = upload(login(client, coordinator), xlsx([row(1, 姓名="")]), "a.xlsx")

    (problem,) = response.context["report"].errors
    assert problem.reason == expected
    assert expected in response.content.decode()


# Broken files


def bare_xlsx(rows: list[list]) -> bytes:
    workbook = openpyxl.Workbook()
    for values in rows:
        workbook.active.append(values)
    output = io.BytesIO()
    workbook.save(output)
    return output.getvalue()


def other_zip() -> bytes:
    output = io.BytesIO()
    with zipfile.ZipFile(output, "w") as archive:
        archive.writestr("hello.txt", "not a workbook")
    return output.getvalue()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("content", "filename", "says"),
    [
        (b"", "a.csv", "empty"),
        (bare_xlsx([]), "a.xlsx", "empty"),
        (csv_file([]), "a.csv", "no workers"),
        (
            csv_file([row(1)], columns=["姓名", "手机号", "村"]),
            "a.csv",
            "身份证号、户籍村代码、同意方式",
        ),
        (b"name,phone\nZhang,138", "a.xlsx", "not an Excel workbook"),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\0" * 100, "a.xls", ".xls"),
        (other_zip(), "a.xlsx", "could not be read"),
        (b"%PDF-1.4", "a.pdf", ".xlsx"),
        (b"\x00\x01\x02" * 10, "a.csv", "column names"),
    ],
)
def test_a_broken_file_imports_nothing_and_says_why(coordinator, content, filename, says):
    with translation.override("en"), pytest.raises(RosterFileError) as raised:
        import_roster_file(content=content, filename=filename, uploaded_by=coordinator)

    assert says in str(raised.value)
    assert not Worker.objects.exists()


@pytest.mark.django_db
def test_more_than_5000_workers_are_refused_whole(coordinator):
    rows = [row(1)] * (MAX_ROWS + 1)

    with pytest.raises(RosterFileError, match=str(MAX_ROWS)):
        import_roster_file(content=csv_file(rows), filename="a.csv", uploaded_by=coordinator)

    assert len(read_roster(content=csv_file(rows[:MAX_ROWS]), filename="a.csv")) == MAX_ROWS
    assert not Worker.objects.exists()


@pytest.mark.django_db
def test_the_admin_shows_a_broken_file_error_on_the_form(client, coordinator):
    content = csv_file([row(1)], columns=["姓名", "手机号"])

    response = upload(login(client, coordinator), content, "a.csv")

    assert response.status_code == 200
    assert "report" not in response.context
    assert "身份证号" in " ".join(response.context["form"].errors["file"])
    assert not Worker.objects.exists()


@pytest.mark.django_db
def test_a_file_over_5_mb_is_refused_before_it_is_read(client, coordinator, monkeypatch):
    def must_not_read(**kwargs):
        raise AssertionError("the file was read")

    monkeypatch.setattr("trainees.admin_views.import_roster_file", must_not_read)
    content = csv_file([row(1)]) + b" " * (5 * 1024 * 1024)

    response = upload(login(client, coordinator), content, "a.csv")

    assert "file" in response.context["form"].errors
    assert not Worker.objects.exists()


@pytest.mark.django_db
def test_workers_and_their_consents_are_inserted_together(coordinator, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(Consent.objects, "bulk_create", fail)

    with pytest.raises(RuntimeError):
        import_roster_file(
            content=xlsx([row(1), row(2)]), filename="a.xlsx", uploaded_by=coordinator
        )

    assert (Worker.objects.count(), Consent.objects.count()) == (0, 0)


@pytest.mark.django_db
def test_row_by_row_a_worker_is_never_half_imported(coordinator, monkeypatch):
    def clash(**kwargs):
        raise IntegrityError("someone registered one of them meanwhile")

    def failing_save(self, *args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(roster, "create_workers", clash)
    monkeypatch.setattr(Consent, "save", failing_save)

    with pytest.raises(RuntimeError):
        import_roster_file(content=xlsx([row(1)]), filename="a.xlsx", uploaded_by=coordinator)

    assert (Worker.objects.count(), Consent.objects.count()) == (0, 0)


# Templates and the error report


@pytest.mark.django_db
def test_the_templates_have_the_chinese_columns_and_an_example_row(client, coordinator):
    login(client, coordinator)

    xlsx_response = client.get(reverse("roster:template_xlsx"))
    csv_response = client.get(reverse("roster:template_csv"))

    sheet = openpyxl.load_workbook(io.BytesIO(xlsx_response.content)).active
    assert [cell.value for cell in sheet[1]] == COLUMNS
    assert sheet["B2"].value == roster.EXAMPLE_ROW["身份证号"]
    assert sheet["B2"].number_format == "@"  # text, so Excel keeps all 18 characters
    assert csv_response.content.startswith(b"\xef\xbb\xbf")
    lines = list(csv.reader(io.StringIO(csv_response.content.decode("utf-8-sig"))))
    assert lines[0] == COLUMNS
    assert len(lines) == 2


@pytest.mark.django_db
def test_the_error_report_downloads_as_csv(client, coordinator):
    login(client, coordinator)
    result = upload(client, xlsx([row(1), row(2, 手机号="123")]), "a.xlsx")

    response = client.post(reverse("roster:problems"), {"report": result.context["report_token"]})
    tampered = client.post(
        reverse("roster:problems"), {"report": result.context["report_token"][:-2] + "xx"}
    )

    assert response.status_code == 200
    assert response["Content-Type"].startswith("text/csv")
    lines = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(lines) == 2
    assert lines[1][:2] == ["3", "手机号"]
    assert refused(tampered)


@pytest.mark.django_db
def test_importing_needs_the_right_to_add_workers(client, django_user_model):
    from django.contrib.auth.models import Group

    officer = django_user_model.objects.create_user(username="officer")
    officer.groups.add(Group.objects.get(name="Subsidy officers"))

    response = upload(login(client, officer), xlsx([row(1)]), "a.xlsx")

    assert refused(response)
    assert not Worker.objects.exists()
