import re

import pytest
from django.core.management import CommandError, call_command

from tests.factories import NANNING, XINGNING
from trainees.models import Region, RegionLevel, level_for_code, parent_code_for
from trainees.services.regions import import_regions, read_region_csv

NANNING_COUNTIES = {
    "450102000000": "兴宁区",
    "450103000000": "青秀区",
    "450105000000": "江南区",
    "450107000000": "西乡塘区",
    "450108000000": "良庆区",
    "450109000000": "邕宁区",
    "450110000000": "武鸣区",
    "450123000000": "隆安县",
    "450124000000": "马山县",
    "450125000000": "上林县",
    "450126000000": "宾阳县",
    "450181000000": "横州市",
}
TOWNSHIP = ("450102001000", "民生街道")
VILLAGE = ("450102001001", "民生社区")


@pytest.mark.parametrize(
    ("code", "level", "parent"),
    [
        ("450100000000", RegionLevel.CITY, None),
        ("450102000000", RegionLevel.COUNTY, "450100000000"),
        ("450181000000", RegionLevel.COUNTY, "450100000000"),
        ("450102001000", RegionLevel.TOWNSHIP, "450102000000"),
        ("450126105000", RegionLevel.TOWNSHIP, "450126000000"),
        ("450102001001", RegionLevel.VILLAGE, "450102001000"),
        ("450126105212", RegionLevel.VILLAGE, "450126105000"),
    ],
)
def test_level_and_parent_are_read_from_the_code(code, level, parent):
    assert level_for_code(code) == level
    assert parent_code_for(code) == parent


@pytest.mark.django_db
def test_migration_loads_nanning_and_its_twelve_counties():
    city = Region.objects.get(code=NANNING)
    assert city.name == "南宁市"
    assert city.level == RegionLevel.CITY
    assert city.parent is None
    counties = Region.objects.filter(level=RegionLevel.COUNTY, parent=city)
    assert dict(counties.values_list("code", "name")) == NANNING_COUNTIES
    assert Region.objects.get(code=XINGNING).county_code == XINGNING


@pytest.mark.django_db
def test_import_creates_township_and_village_under_existing_county():
    # The village comes first: parents may appear later in the same file.
    rows = [{"code": VILLAGE[0], "name": VILLAGE[1]}, {"code": TOWNSHIP[0], "name": TOWNSHIP[1]}]

    report = import_regions(rows=rows)

    assert report.errors == []
    assert (report.created, report.updated, report.unchanged) == (2, 0, 0)
    township = Region.objects.get(code=TOWNSHIP[0])
    village = Region.objects.get(code=VILLAGE[0])
    assert (township.level, township.parent.code, township.name) == (
        RegionLevel.TOWNSHIP,
        XINGNING,
        "民生街道",
    )
    assert (village.level, village.parent_id, village.name) == (
        RegionLevel.VILLAGE,
        township.pk,
        "民生社区",
    )


@pytest.mark.django_db
def test_reimport_is_idempotent_and_renames_update():
    rows = [{"code": TOWNSHIP[0], "name": TOWNSHIP[1]}, {"code": VILLAGE[0], "name": VILLAGE[1]}]
    import_regions(rows=rows)
    count = Region.objects.count()

    again = import_regions(rows=rows)

    assert (again.created, again.updated, again.unchanged) == (0, 0, 2)
    assert Region.objects.count() == count

    renamed = import_regions(rows=[{"code": VILLAGE[0], "name": "民生社区居委会"}])
    assert (renamed.created, renamed.updated) == (0, 1)
    assert Region.objects.get(code=VILLAGE[0]).name == "民生社区居委会"


@pytest.mark.django_db
def test_bad_rows_import_nothing_and_report_line_numbers():
    before = Region.objects.count()
    rows = [
        {"code": TOWNSHIP[0], "name": TOWNSHIP[1]},  # line 2: fine
        {"code": "45010200100", "name": "十一位"},  # line 3: 11 digits
        {"code": "450102002000", "name": "  "},  # line 4: empty name
        {"code": "45010200A000", "name": "字母"},  # line 5: not digits
    ]

    report = import_regions(rows=rows)

    assert [line for line, _reason in report.errors] == [3, 4, 5]
    assert "45010200100" in report.errors[0][1]
    assert report.created == 0
    assert Region.objects.count() == before


@pytest.mark.django_db
def test_unknown_parent_imports_nothing_and_names_the_parent():
    before = Region.objects.count()
    rows = [
        {"code": TOWNSHIP[0], "name": TOWNSHIP[1]},  # line 2: fine on its own
        {"code": "450102009001", "name": "无主社区"},  # line 3: township 450102009000 unknown
    ]

    report = import_regions(rows=rows)

    assert len(report.errors) == 1
    line, reason = report.errors[0]
    assert line == 3
    assert "450102009000" in reason
    assert Region.objects.count() == before
    assert not Region.objects.filter(code=TOWNSHIP[0]).exists()


def _write_csv(path, text, *, bom=False):
    path.write_bytes(("\ufeff" if bom else "").encode() + text.encode("utf-8"))
    return path


@pytest.mark.django_db
@pytest.mark.parametrize("bom", [False, True], ids=["utf8", "utf8-bom"])
def test_import_regions_command(tmp_path, capsys, bom):
    csv_file = _write_csv(
        tmp_path / "regions.csv",
        f"code,name\n{TOWNSHIP[0]},{TOWNSHIP[1]}\n{VILLAGE[0]},{VILLAGE[1]}\n",
        bom=bom,
    )
    # With a BOM left in, the first column would be named "\ufeffcode" and every row would fail.
    assert read_region_csv(path=str(csv_file))[0]["code"] == TOWNSHIP[0]

    call_command("import_regions", str(csv_file))
    first = capsys.readouterr().out
    call_command("import_regions", str(csv_file))
    second = capsys.readouterr().out

    assert Region.objects.get(code=VILLAGE[0]).parent.code == TOWNSHIP[0]
    # "Created 2, updated 0, unchanged 0." then "Created 0, updated 0, unchanged 2."
    assert re.findall(r"\d+", first) == ["2", "0", "0"]
    assert re.findall(r"\d+", second) == ["0", "0", "2"]
    assert Region.objects.filter(code__in=[TOWNSHIP[0], VILLAGE[0]]).count() == 2


@pytest.mark.django_db
def test_import_regions_command_fails_on_bad_file(tmp_path):
    csv_file = _write_csv(
        tmp_path / "bad.csv",
        f"code,name\n{TOWNSHIP[0]},{TOWNSHIP[1]}\n4501020010,短码\n",
        bom=True,
    )
    before = Region.objects.count()

    with pytest.raises(CommandError) as error:
        call_command("import_regions", str(csv_file))

    assert "3" in str(error.value)
    assert "4501020010" in str(error.value)
    assert Region.objects.count() == before
