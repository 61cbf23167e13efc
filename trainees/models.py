from django.core.validators import RegexValidator
from django.db import models
from django.utils.translation import gettext_lazy as _
from wagtail.search import index


class RegionLevel(models.TextChoices):
    CITY = "city", _("City")
    COUNTY = "county", _("County or district")
    TOWNSHIP = "township", _("Township or street")
    VILLAGE = "village", _("Village or community")


def level_for_code(code: str) -> RegionLevel:
    """The level a 12-digit statistical division code stands for, read from its zero tail."""
    if code[4:] == "00000000":
        return RegionLevel.CITY
    if code[6:] == "000000":
        return RegionLevel.COUNTY
    if code[9:] == "000":
        return RegionLevel.TOWNSHIP
    return RegionLevel.VILLAGE


def parent_code_for(code: str) -> str | None:
    """The code of the enclosing division, or None for a city."""
    level = level_for_code(code)
    if level == RegionLevel.VILLAGE:
        return code[:9] + "000"
    if level == RegionLevel.TOWNSHIP:
        return code[:6] + "000000"
    if level == RegionLevel.COUNTY:
        return code[:4] + "00000000"
    return None


class Region(index.Indexed, models.Model):
    """An administrative division identified by its 12-digit NBS statistical code (统计用区划代码)."""

    code = models.CharField(
        _("division code"),
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^\d{12}$", _("A division code has exactly 12 digits."))],
    )
    name = models.CharField(_("name"), max_length=100)
    level = models.CharField(_("level"), max_length=10, choices=RegionLevel.choices, db_index=True)
    parent = models.ForeignKey(
        "self",
        verbose_name=_("parent division"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="children",
    )

    search_fields = [
        index.SearchField("name"),
        index.SearchField("code"),
        index.FilterField("level"),
    ]

    class Meta:
        ordering = ["code"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self) -> str:
        return self.name

    @property
    def county_code(self) -> str:
        return self.code[:6] + "000000"
