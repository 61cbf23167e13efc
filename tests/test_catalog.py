"""Every translatable string in the code has a Chinese translation in the committed catalog."""

import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from django.conf import settings

pytestmark = pytest.mark.services

CATALOG = Path("locale/zh_Hans/LC_MESSAGES/django.po")
SOURCES = ["manage.py", "config", "cms", "events", "trainees", "templates", "locale"]


def msgids(po_path: Path) -> set[str]:
    with po_path.open("rb") as handle:
        return {
            message.id if isinstance(message.id, str) else message.id[0]
            for message in read_po(handle)
            if message.id
        }


def test_catalog_covers_every_string_in_the_sources(tmp_path):
    if shutil.which("xgettext") is None:
        pytest.skip("GNU gettext (xgettext) is needed to extract strings")
    base = Path(settings.BASE_DIR)
    for name in SOURCES:
        source = base / name
        if source.is_dir():
            shutil.copytree(source, tmp_path / name, ignore=shutil.ignore_patterns("__pycache__"))
        else:
            shutil.copy(source, tmp_path / name)
    subprocess.run(
        [sys.executable, "manage.py", "makemessages", "-l", "zh_Hans", "--no-obsolete"],
        cwd=tmp_path,
        check=True,
        capture_output=True,
        env={"DJANGO_SETTINGS_MODULE": "config.settings.test", "PATH": "/usr/bin:/bin"},
    )
    extracted = msgids(tmp_path / CATALOG)
    committed = msgids(base / CATALOG)
    assert extracted - committed == set(), "run makemessages, translate and `make messages`"
