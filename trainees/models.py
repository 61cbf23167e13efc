from django.conf import settings
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


_PREFIX_LENGTH = {
    RegionLevel.CITY: 4,
    RegionLevel.COUNTY: 6,
    RegionLevel.TOWNSHIP: 9,
    RegionLevel.VILLAGE: 12,
}


def code_prefix(code: str) -> str:
    """The start of the code that every division inside this one shares.

    Cut by level, not by stripping zeros: township 450102010 ends in a zero of its own, and
    village 450102001010 must not cover 450102001011.
    """
    return code[: _PREFIX_LENGTH[level_for_code(code)]]


def code_covers(*, region_code: str, code: str | None) -> bool:
    """Whether the division `code` lies inside (or is) the division `region_code`."""
    return bool(code) and code.startswith(code_prefix(region_code))


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
        index.AutocompleteField("name"),
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


class Sex(models.TextChoices):
    MALE = "M", _("Male")
    FEMALE = "F", _("Female")


class Education(models.TextChoices):
    NONE = "none", _("No schooling")
    PRIMARY = "primary", _("Primary school")
    JUNIOR = "junior", _("Junior middle school")
    SENIOR = "senior", _("Senior high school")
    VOCATIONAL = "vocational", _("Secondary vocational school")
    COLLEGE = "college", _("Junior college")
    BACHELOR = "bachelor", _("Bachelor's degree")
    POSTGRADUATE = "postgraduate", _("Postgraduate")


class EmploymentStatus(models.TextChoices):
    EMPLOYED = "employed", _("Employed")
    UNEMPLOYED = "unemployed", _("Looking for work")
    FLEXIBLE = "flexible", _("Odd jobs or gig work")
    SELF_EMPLOYED = "self_employed", _("Self-employed")
    FARMING = "farming", _("Farming")
    STUDENT = "student", _("Student")


class Provenance(models.TextChoices):
    SELF = "self", _("By the worker")
    ASSISTED = "assisted", _("By a coordinator for the worker")
    IMPORTED = "imported", _("From a roster file")
    WALK_IN = "walk_in", _("At the gate")


class SpecialGroup(models.TextChoices):
    """Sensitive 特定身份 categories: collected only with separate consent (PIPL Art. 28-29)."""

    POVERTY_ALLEVIATED = "poverty_alleviated", _("Lifted out of poverty")
    MIGRANT_WORKER = "migrant_worker", _("Rural migrant worker")
    REGISTERED_UNEMPLOYED = "registered_unemployed", _("Registered unemployed")
    DISABILITY = "disability", _("Person with a disability")
    VETERAN = "veteran", _("Veteran")


class Worker(models.Model):
    """A job seeker or trainee. The ID number is stored encrypted, with a keyed HMAC for lookup.

    Not indexed for search and without revisions, so personal data stays out of both.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL,
        verbose_name=_("sign-in account"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="worker",
    )
    name = models.CharField(_("name"), max_length=50)
    phone = models.CharField(_("mobile number"), max_length=11, unique=True)
    id_number_encrypted = models.TextField(_("ID number (encrypted)"), blank=True, editable=False)
    id_number_hmac = models.CharField(
        max_length=64, unique=True, null=True, blank=True, editable=False
    )
    id_number_masked = models.CharField(_("ID number"), max_length=18, blank=True, editable=False)
    birth_date = models.DateField(_("date of birth"), null=True, blank=True, editable=False)
    sex = models.CharField(_("sex"), max_length=1, choices=Sex.choices, blank=True, editable=False)
    origin_county_code = models.CharField(
        _("county of ID issue"), max_length=12, blank=True, editable=False
    )
    hukou_region = models.ForeignKey(
        Region,
        verbose_name=_("household registration"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
    )
    residence = models.CharField(_("current residence"), max_length=200, blank=True)
    education = models.CharField(
        _("education level"), max_length=20, choices=Education.choices, blank=True
    )
    skills = models.TextField(_("skills"), blank=True)
    certificates = models.TextField(_("certificates"), blank=True)
    intended_trade = models.CharField(_("wanted job"), max_length=100, blank=True)
    intended_place = models.CharField(_("wanted place of work"), max_length=100, blank=True)
    expected_pay = models.PositiveIntegerField(
        _("expected monthly pay (yuan)"), null=True, blank=True
    )
    employment_status = models.CharField(
        _("employment status"), max_length=20, choices=EmploymentStatus.choices, blank=True
    )
    provenance = models.CharField(
        _("recorded"), max_length=10, choices=Provenance.choices, default=Provenance.SELF
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("recorded by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("recorded at"), auto_now_add=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)
    deletion_requested_at = models.DateTimeField(_("deletion requested at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("worker")
        verbose_name_plural = _("workers")
        permissions = [
            ("view_full_id_number", _("Can view full ID numbers")),
            ("view_special_groups", _("Can view special-group flags")),
            ("view_all_workers", _("Can view workers of every region")),
        ]

    def __str__(self) -> str:
        return self.masked_name

    @property
    def masked_name(self) -> str:
        """张*三 style: first and last character kept; a two-character name keeps the first."""
        if len(self.name) <= 1:
            return self.name
        if len(self.name) == 2:
            return self.name[0] + "*"
        return self.name[0] + "*" * (len(self.name) - 2) + self.name[-1]

    @property
    def masked_phone(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}" if len(self.phone) == 11 else self.phone


class WorkerSpecialGroup(models.Model):
    """One special group a worker belongs to; rows exist only while the separate consent holds."""

    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="special_groups")
    group = models.CharField(_("group"), max_length=30, choices=SpecialGroup.choices)

    class Meta:
        verbose_name = _("special group")
        verbose_name_plural = _("special groups")
        constraints = [
            models.UniqueConstraint(fields=["worker", "group"], name="one_row_per_special_group")
        ]

    def __str__(self) -> str:
        return str(self.get_group_display())


class ConsentKind(models.TextChoices):
    PRIVACY_NOTICE = "privacy_notice", _("Privacy notice")
    SPECIAL_GROUPS = "special_groups", _("Special-group information")


class ConsentMethod(models.TextChoices):
    ONLINE = "online", _("Accepted online by the worker")
    VERBAL = "verbal", _("Given verbally to a coordinator")
    SIGNED = "signed", _("Signed on paper")


class Consent(models.Model):
    """A consent as given: which text version, when, how, and who recorded it."""

    worker = models.ForeignKey(Worker, on_delete=models.CASCADE, related_name="consents")
    kind = models.CharField(_("kind"), max_length=20, choices=ConsentKind.choices)
    text_version = models.CharField(_("text version"), max_length=20)
    method = models.CharField(_("method"), max_length=10, choices=ConsentMethod.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    given_at = models.DateTimeField(_("given at"), auto_now_add=True)
    withdrawn_at = models.DateTimeField(_("withdrawn at"), null=True, blank=True)

    class Meta:
        ordering = ["-given_at"]
        verbose_name = _("consent")
        verbose_name_plural = _("consents")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.text_version}"


class PersonalDataAccess(models.Model):
    """Audit trail: every full view or export of ID numbers, and every data download."""

    class Action(models.TextChoices):
        VIEW_FULL_ID = "view_full_id", _("Viewed a full ID number")
        EXPORT = "export", _("Exported personal data")
        OWN_DATA_DOWNLOAD = "own_download", _("Worker downloaded own data")
        DELETION_REQUEST = "deletion_request", _("Worker asked for deletion")

    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    worker = models.ForeignKey(
        Worker, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    detail = models.CharField(_("detail"), max_length=200, blank=True)
    rows = models.PositiveIntegerField(_("rows"), default=1)
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("personal data access")
        verbose_name_plural = _("personal data accesses")

    def __str__(self) -> str:
        return str(self.get_action_display())


class Coordinator(models.Model):
    """A village coordinator (村级协理员): a staff account scoped to villages or townships."""

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="coordinator"
    )
    regions = models.ManyToManyField(
        Region,
        verbose_name=_("villages or townships"),
        related_name="coordinators",
        limit_choices_to={"level__in": [RegionLevel.TOWNSHIP, RegionLevel.VILLAGE]},
    )

    class Meta:
        verbose_name = _("coordinator")
        verbose_name_plural = _("coordinators")

    def __str__(self) -> str:
        return self.user.get_full_name() or self.user.get_username()


class LoginCode(models.Model):
    """A one-time SMS sign-in code; only its hash is stored."""

    phone = models.CharField(max_length=11, db_index=True)
    code_hash = models.CharField(max_length=64)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    attempts = models.PositiveSmallIntegerField(default=0)
    used_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.phone[:3]}****{self.phone[-4:]}"


class OutboundMessage(models.Model):
    """Outbox of SMS messages: written in the same transaction as the change that causes it,
    delivered by Celery afterwards, so nothing is lost when the broker is down."""

    class Status(models.TextChoices):
        PENDING = "pending", _("Waiting to be sent")
        SENDING = "sending", _("Being sent")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")

    phone = models.CharField(max_length=11)
    kind = models.CharField(max_length=30)
    body = models.TextField()
    dedupe_key = models.CharField(max_length=120, unique=True)
    status = models.CharField(max_length=10, choices=Status.choices, default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(default=0)
    last_error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    claimed_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at"]
        indexes = [models.Index(fields=["status", "created_at"], name="outbox_pending_idx")]

    def __str__(self) -> str:
        return f"{self.kind} {self.dedupe_key}"
