"""Nanning and its 12 county-level divisions (GB/T 2260 codes padded to 12-digit NBS codes).

Townships and villages are loaded with `manage.py import_regions FILE.csv`.
"""

from django.db import migrations

CITY = ("450100000000", "南宁市")
COUNTIES = [
    ("450102000000", "兴宁区"),
    ("450103000000", "青秀区"),
    ("450105000000", "江南区"),
    ("450107000000", "西乡塘区"),
    ("450108000000", "良庆区"),
    ("450109000000", "邕宁区"),
    ("450110000000", "武鸣区"),
    ("450123000000", "隆安县"),
    ("450124000000", "马山县"),
    ("450125000000", "上林县"),
    ("450126000000", "宾阳县"),
    ("450181000000", "横州市"),
]


def load(apps, schema_editor):
    Region = apps.get_model("trainees", "Region")
    city, _ = Region.objects.get_or_create(code=CITY[0], defaults={"name": CITY[1], "level": "city"})
    for code, name in COUNTIES:
        Region.objects.get_or_create(code=code, defaults={"name": name, "level": "county", "parent": city})


def unload(apps, schema_editor):
    Region = apps.get_model("trainees", "Region")
    Region.objects.filter(code__in=[code for code, _ in COUNTIES]).delete()
    Region.objects.filter(code=CITY[0]).delete()


class Migration(migrations.Migration):
    dependencies = [("trainees", "0001_initial")]
    operations = [migrations.RunPython(load, unload)]
