from urllib.parse import quote

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy
from modelcluster.fields import ParentalKey, ParentalManyToManyField
from modelcluster.models import ClusterableModel
from wagtail.fields import StreamField
from wagtail.models import (
    DraftStateMixin,
    LockableMixin,
    Orderable,
    PreviewableMixin,
    RevisionMixin,
    WorkflowMixin,
)
from wagtail.search import index

from events.blocks import ContentStreamBlock
from events.validators import normalise_credit_code, validate_credit_code
from trainees.models import SpecialGroup


class Campaign(models.Model):
    """A recruitment campaign such as 2026年春风行动: a theme and a date window."""

    name = models.CharField(_("name"), max_length=120)
    theme = models.CharField(_("theme"), max_length=200, blank=True)
    starts_on = models.DateField(_("starts on"))
    ends_on = models.DateField(_("ends on"))
    description = models.TextField(_("description"), blank=True)

    class Meta:
        ordering = ["-starts_on"]
        verbose_name = _("campaign")
        verbose_name_plural = _("campaigns")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.starts_on and self.ends_on and self.ends_on < self.starts_on:
            raise ValidationError({"ends_on": _("The campaign cannot end before it starts.")})


class Industry(models.TextChoices):
    """Sections of GB/T 4754-2017 (国民经济行业分类) that employers at these fairs come from."""

    AGRICULTURE = "A", _("Agriculture, forestry and fishing")
    MINING = "B", _("Mining")
    MANUFACTURING = "C", _("Manufacturing")
    UTILITIES = "D", _("Electricity, heat, gas and water")
    CONSTRUCTION = "E", _("Construction")
    TRADE = "F", _("Wholesale and retail")
    LOGISTICS = "G", _("Transport, storage and post")
    HOSPITALITY = "H", _("Hotels and catering")
    IT = "I", _("Information technology")
    FINANCE = "J", _("Finance")
    REAL_ESTATE = "K", _("Real estate")
    BUSINESS_SERVICES = "L", _("Leasing and business services")
    RESEARCH = "M", _("Research and technical services")
    ENVIRONMENT = "N", _("Water, environment and public facilities")
    RESIDENT_SERVICES = "O", _("Resident services and repairs")
    EDUCATION = "P", _("Education sector")
    HEALTH = "Q", _("Health and social work")
    CULTURE = "R", _("Culture, sports and entertainment")
    PUBLIC = "S", _("Public administration and social organisations")


class EmployerSize(models.TextChoices):
    MICRO = "micro", _("Under 20 staff")
    SMALL = "small", _("20–99 staff")
    MEDIUM = "medium", _("100–299 staff")
    LARGE = "large", _("300–999 staff")
    HUGE = "huge", _("1,000 staff or more")


class Employer(index.Indexed, models.Model):
    name = models.CharField(_("name"), max_length=200)
    credit_code = models.CharField(
        _("unified social credit code"),
        max_length=18,
        unique=True,
        validators=[validate_credit_code],
        help_text=_("统一社会信用代码: 18 characters on the business licence."),
    )
    industry = models.CharField(_("industry"), max_length=1, choices=Industry.choices)
    size = models.CharField(_("size"), max_length=10, choices=EmployerSize.choices)
    region = models.ForeignKey(
        "trainees.Region",
        verbose_name=_("county or district"),
        on_delete=models.PROTECT,
        related_name="+",
        null=True,
        blank=True,
    )
    address = models.CharField(_("address"), max_length=255)
    contact_name = models.CharField(_("contact person"), max_length=60)
    contact_phone = models.CharField(_("contact phone"), max_length=30)
    description = models.TextField(_("introduction"), blank=True)

    search_fields = [
        index.SearchField("name"),
        index.AutocompleteField("name"),
        index.SearchField("credit_code"),
        index.FilterField("industry"),
    ]

    class Meta:
        ordering = ["name"]
        verbose_name = _("employer")
        verbose_name_plural = _("employers")

    def __str__(self) -> str:
        return self.name

    def clean(self):
        if self.credit_code:
            self.credit_code = normalise_credit_code(self.credit_code)


class EventKind(models.TextChoices):
    JOB_FAIR = "job_fair", _("Job fair")
    TRAINING = "training", _("Training programme")


class EventStatus(models.TextChoices):
    SCHEDULED = "scheduled", _("Scheduled")
    POSTPONED = "postponed", _("Postponed")
    CANCELLED = "cancelled", _("Cancelled")


class FairType(models.TextChoices):
    GENERAL = "general", _("General fair")
    SPECIAL = "special", _("Special fair for one group")
    VILLAGE = "village", _("Village or community fair")
    ONLINE = "online", _("Online or livestream fair")


class SkillLevel(models.TextChoices):
    SPECIAL_ABILITY = "special", _("Special vocational ability")
    LEVEL_5 = "5", _("Level 5 (beginner)")
    LEVEL_4 = "4", _("Level 4 (intermediate)")
    LEVEL_3 = "3", _("Level 3 (advanced)")
    LEVEL_2 = "2", _("Level 2 (technician)")
    LEVEL_1 = "1", _("Level 1 (senior technician)")
    NONE = "none", _("No certificate")


class Event(
    DraftStateMixin,
    RevisionMixin,
    LockableMixin,
    PreviewableMixin,
    index.Indexed,
    ClusterableModel,
):
    """A job fair or a training programme: the operational record and its public content.

    It is a snippet rather than a page so that registrations and check-ins (events app) can
    point at it without depending on cms; cms serves it publicly (docs/architecture.md).
    """

    kind = models.CharField(_("kind"), max_length=10, choices=EventKind.choices, db_index=True)
    title = models.CharField(_("title"), max_length=200)
    campaign = models.ForeignKey(
        Campaign,
        verbose_name=_("campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="events",
    )
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    image = models.ForeignKey(
        "wagtailimages.Image",
        verbose_name=_("image"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = StreamField(ContentStreamBlock(), verbose_name=_("content"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=EventStatus.choices, default=EventStatus.SCHEDULED
    )
    organiser = models.CharField(_("organiser"), max_length=200, blank=True)

    venue = models.CharField(_("venue"), max_length=200)
    address = models.CharField(_("address"), max_length=255)
    region = models.ForeignKey(
        "trainees.Region",
        verbose_name=_("county or district"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "county"},
    )
    map_url = models.URLField(
        _("map link"),
        blank=True,
        help_text=_("Leave empty to link to a map search of the address."),
    )

    starts_at = models.DateTimeField(_("starts at"), db_index=True)
    ends_at = models.DateTimeField(_("ends at"), db_index=True)
    capacity = models.PositiveIntegerField(
        _("capacity"),
        null=True,
        blank=True,
        validators=[MinValueValidator(1)],
        help_text=_("Leave empty for no limit."),
    )
    seats_taken = models.PositiveIntegerField(
        _("confirmed registrations"), default=0, editable=False
    )
    waiting_list_enabled = models.BooleanField(
        _("waiting list"),
        default=True,
        help_text=_(
            "When the event is full, let people join a waiting list; a cancellation promotes the first."
        ),
    )
    registration_opens_at = models.DateTimeField(_("registration opens at"), null=True, blank=True)
    registration_closes_at = models.DateTimeField(
        _("registration closes at"), null=True, blank=True
    )

    fair_type = models.CharField(
        _("fair type"), max_length=10, choices=FairType.choices, blank=True
    )

    # Attendance rules (check-in): the scanner picks the session whose window contains "now";
    # a sign-in exactly at a threshold is on time (docs/checkin-api.md).
    checkin_opens_minutes = models.PositiveSmallIntegerField(
        _("check-in opens (minutes before a session)"), default=60
    )
    checkin_closes_minutes = models.PositiveSmallIntegerField(
        _("check-in closes (minutes after a session ends)"), default=30
    )
    late_after_minutes = models.PositiveSmallIntegerField(
        _("late after (minutes from the start)"), default=15
    )
    early_leave_minutes = models.PositiveSmallIntegerField(
        _("left early when signing out more than (minutes before the end)"), default=15
    )
    attendance_threshold = models.PositiveSmallIntegerField(
        _("minimum attendance (%)"),
        default=80,
        validators=[MinValueValidator(1), MaxValueValidator(100)],
        help_text=_(
            "A trainee completes the class with at least this share of the sessions held "
            "(excused absences not counted); below it the statistics warn."
        ),
    )

    trade = models.CharField(
        _("trade"), max_length=100, blank=True, help_text=_("职业(工种), e.g. 焊工")
    )
    skill_level = models.CharField(
        _("level"), max_length=10, choices=SkillLevel.choices, blank=True
    )
    hours = models.PositiveSmallIntegerField(_("class hours"), null=True, blank=True)
    institution = models.CharField(_("training institution"), max_length=200, blank=True)
    eligibility = models.TextField(_("who may apply"), blank=True)
    min_age = models.PositiveSmallIntegerField(_("minimum age"), null=True, blank=True)
    max_age = models.PositiveSmallIntegerField(_("maximum age"), null=True, blank=True)
    eligible_region = models.ForeignKey(
        "trainees.Region",
        verbose_name=_("only for household registration in"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Leave empty to accept people from anywhere."),
    )
    required_special_group = models.CharField(
        _("only for the special group"),
        max_length=30,
        choices=SpecialGroup.choices,
        blank=True,
    )

    search_fields = [
        index.SearchField("title"),
        index.AutocompleteField("title"),
        index.SearchField("summary"),
        index.SearchField("venue"),
        index.SearchField("trade"),
        index.FilterField("kind"),
        index.FilterField("live"),
        index.FilterField("starts_at"),
    ]

    class Meta:
        ordering = ["starts_at"]
        verbose_name = _("event")
        verbose_name_plural = _("events")
        permissions = [
            ("view_statistics", _("Can view the statistics of every event and campaign")),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gte=models.F("starts_at")),
                name="event_ends_after_start",
                violation_error_message=_("The event cannot end before it starts."),
            ),
            # The last line of defence against overselling: the database refuses a seat count
            # above capacity whatever the code does.
            models.CheckConstraint(
                condition=Q(capacity__isnull=True) | Q(seats_taken__lte=models.F("capacity")),
                name="event_seats_within_capacity",
                violation_error_message=_(
                    "The capacity cannot be lower than the confirmed registrations."
                ),
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        errors = {}
        if self.starts_at and self.ends_at and self.ends_at < self.starts_at:
            errors["ends_at"] = _("The event cannot end before it starts.")
        opens, closes = self.registration_opens_at, self.registration_closes_at
        if opens and closes and closes < opens:
            errors["registration_closes_at"] = _("Registration cannot close before it opens.")
        elif closes and self.ends_at and closes > self.ends_at:
            errors["registration_closes_at"] = _("Registration must close before the event ends.")
        if self.min_age and self.max_age and self.max_age < self.min_age:
            errors["max_age"] = _("The maximum age cannot be lower than the minimum age.")
        if self.capacity is not None and self.pk and self.capacity < self.seats_taken:
            errors["capacity"] = _(
                "%(count)s people are already confirmed; cancel registrations before lowering the capacity."
            ) % {"count": self.seats_taken}
        if self.kind == EventKind.TRAINING and not self.trade:
            errors["trade"] = _("A training programme needs its trade.")
        if errors:
            raise ValidationError(errors)

    @property
    def is_training(self) -> bool:
        return self.kind == EventKind.TRAINING

    def is_past(self, now=None) -> bool:
        return self.ends_at < (now or timezone.now())

    def is_registration_open(self, now=None) -> bool:
        now = now or timezone.now()
        if self.status != EventStatus.SCHEDULED or self.ends_at < now:
            return False
        if self.registration_opens_at and now < self.registration_opens_at:
            return False
        return not (self.registration_closes_at and now > self.registration_closes_at)

    @property
    def map_link(self) -> str:
        if self.map_url:
            return self.map_url
        return f"https://uri.amap.com/search?keyword={quote(self.address)}"

    def get_preview_template(self, request, mode_name):
        return "events/event_detail.html"

    def get_preview_context(self, request, mode_name):
        context = super().get_preview_context(request, mode_name)
        context["event"] = self
        context["sessions"] = self.sessions.all()
        context["booths"] = self.booths.select_related("employer")
        return context


class Session(Orderable):
    """One sitting of an event: a fair day, or a morning or afternoon of a class."""

    event = ParentalKey(Event, on_delete=models.CASCADE, related_name="sessions")
    title = models.CharField(_("title"), max_length=100, blank=True, help_text=_("e.g. 第3天 上午"))
    starts_at = models.DateTimeField(_("starts at"))
    ends_at = models.DateTimeField(_("ends at"))

    class Meta(Orderable.Meta):
        verbose_name = _("session")
        verbose_name_plural = _("sessions")
        constraints = [
            models.CheckConstraint(
                condition=Q(ends_at__gt=models.F("starts_at")),
                name="session_ends_after_start",
                violation_error_message=_("A session must end after it starts."),
            ),
        ]

    def __str__(self) -> str:
        return self.title or timezone.localtime(self.starts_at).strftime("%Y-%m-%d %H:%M")

    def clean(self):
        if self.starts_at and self.ends_at and self.ends_at <= self.starts_at:
            raise ValidationError({"ends_at": _("A session must end after it starts.")})


class BoothStatus(models.TextChoices):
    """The booking. Whether the employer came is recorded on the day (EmployerCheckIn), not here:
    booths are saved with the event's revisions, and publishing an older draft would undo it."""

    APPLIED = "applied", _("Applied")
    CONFIRMED = "confirmed", _("Confirmed")
    CANCELLED = "cancelled", _("Cancelled")


class Booth(Orderable):
    """An employer's booth at a job fair."""

    event = ParentalKey(Event, on_delete=models.CASCADE, related_name="booths")
    employer = models.ForeignKey(
        Employer, verbose_name=_("employer"), on_delete=models.PROTECT, related_name="booths"
    )
    number = models.CharField(_("booth number"), max_length=20)
    zone = models.CharField(_("zone"), max_length=60, blank=True, help_text=_("e.g. 区外企业专区"))
    status = models.CharField(
        _("status"), max_length=10, choices=BoothStatus.choices, default=BoothStatus.CONFIRMED
    )

    class Meta(Orderable.Meta):
        verbose_name = _("booth")
        verbose_name_plural = _("booths")
        constraints = [
            models.UniqueConstraint(fields=["event", "employer"], name="one_booth_per_employer"),
            models.UniqueConstraint(fields=["event", "number"], name="unique_booth_number"),
        ]

    def __str__(self) -> str:
        return f"{self.number} {self.employer}"


class JobCategory(models.TextChoices):
    OPERATIVE = "operative", _("Production operative")
    WELDING = "welding", _("Welding and metalwork")
    ELECTRICAL = "electrical", _("Electrician")
    CONSTRUCTION = "construction", _("Construction trades")
    DRIVING = "driving", _("Driver and logistics")
    CATERING = "catering", _("Cooking and catering")
    DOMESTIC = "domestic", _("Housekeeping and care")
    SALES = "sales", _("Sales and customer service")
    AGRICULTURE = "agriculture", _("Agriculture")
    TECHNICAL = "technical", _("Technician")
    OFFICE = "office", _("Office and administration")
    OTHER = "other", _("Other")


class SalaryUnit(models.TextChoices):
    MONTH = "month", _("month")
    DAY = "day", _("day")
    HOUR = "hour", _("hour")
    PIECE = "piece", _("piece")


class EmploymentType(models.TextChoices):
    FULL_TIME = "full_time", _("Full time")
    PART_TIME = "part_time", _("Part time")
    SEASONAL = "seasonal", _("Seasonal")
    DISPATCH = "dispatch", _("Agency dispatch")
    GIG = "gig", _("Day labour")


class Benefit(models.Model):
    """A benefit tag such as 包吃 or 五险一金; rows come from a data migration."""

    class Code(models.TextChoices):
        MEALS = "meals", _("Meals provided")
        HOUSING = "housing", _("Housing provided")
        INSURANCE = "insurance", _("Social insurance and housing fund")
        SHUTTLE = "shuttle", _("Shuttle bus")
        OVERTIME_PAY = "overtime", _("Overtime pay")
        BONUS = "bonus", _("Year-end bonus")
        PAID_LEAVE = "leave", _("Paid leave")
        TRAINING = "training", _("Paid training")

    code = models.CharField(max_length=20, choices=Code.choices, unique=True)

    class Meta:
        ordering = ["pk"]
        verbose_name = _("benefit")
        verbose_name_plural = _("benefits")

    def __str__(self) -> str:
        return str(self.get_code_display())


class JobListing(
    WorkflowMixin,
    DraftStateMixin,
    LockableMixin,
    RevisionMixin,
    PreviewableMixin,
    index.Indexed,
    ClusterableModel,
):
    """A recruitment notice with every field 《关于规范网络平台招聘类信息发布的通知》 requires."""

    employer = models.ForeignKey(
        Employer, verbose_name=_("employer"), on_delete=models.PROTECT, related_name="jobs"
    )
    title = models.CharField(_("job title"), max_length=120)
    category = models.CharField(
        _("category"), max_length=20, choices=JobCategory.choices, db_index=True
    )
    headcount = models.PositiveIntegerField(_("openings"), validators=[MinValueValidator(1)])
    salary_min = models.PositiveIntegerField(_("minimum pay"))
    salary_max = models.PositiveIntegerField(_("maximum pay"))
    salary_unit = models.CharField(
        _("pay unit"), max_length=10, choices=SalaryUnit.choices, default=SalaryUnit.MONTH
    )
    requirements = models.TextField(
        _("requirements"),
        help_text=_(
            "Education, experience, certificates; no discrimination by sex, ethnicity, religion or household registration."
        ),
    )
    work_content = models.TextField(_("work content"))
    region = models.ForeignKey(
        "trainees.Region",
        verbose_name=_("work county or district"),
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "county"},
    )
    work_address = models.CharField(_("work address"), max_length=255)
    employment_type = models.CharField(
        _("employment type"),
        max_length=10,
        choices=EmploymentType.choices,
        default=EmploymentType.FULL_TIME,
    )
    benefits = ParentalManyToManyField(
        Benefit, verbose_name=_("benefits"), blank=True, related_name="+"
    )
    valid_from = models.DateField(_("valid from"))
    valid_until = models.DateField(_("valid until"), db_index=True)
    contact_name = models.CharField(_("contact person"), max_length=60)
    contact_phone = models.CharField(_("contact phone"), max_length=30)
    source = models.CharField(
        _("source"),
        max_length=200,
        help_text=_("Where the notice comes from, e.g. the employer or a partner site."),
    )
    fairs = ParentalManyToManyField(
        Event,
        verbose_name=_("offered at fairs"),
        blank=True,
        related_name="job_listings",
        limit_choices_to={"kind": EventKind.JOB_FAIR},
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    search_fields = [
        index.SearchField("title"),
        index.AutocompleteField("title"),
        index.SearchField("work_content"),
        index.SearchField("requirements"),
        index.FilterField("category"),
        index.FilterField("live"),
    ]

    class Meta:
        ordering = ["-valid_from", "-pk"]
        verbose_name = _("job listing")
        verbose_name_plural = _("job listings")
        indexes = [
            models.Index(fields=["live", "valid_until"], name="job_live_valid_idx"),
            # Newest first is the order of every public job list; the partial index lets the home
            # page read its top rows instead of sorting every live listing.
            models.Index(
                fields=["-valid_from", "-id"], name="job_live_newest_idx", condition=Q(live=True)
            ),
        ]

    def __str__(self) -> str:
        return self.title

    def clean(self):
        errors = {}
        if (
            self.salary_min is not None
            and self.salary_max is not None
            and self.salary_min > self.salary_max
        ):
            errors["salary_max"] = _("The maximum pay cannot be lower than the minimum pay.")
        if self.valid_from and self.valid_until and self.valid_until < self.valid_from:
            errors["valid_until"] = _("The validity period cannot end before it starts.")
        if errors:
            raise ValidationError(errors)

    def is_expired(self, today=None) -> bool:
        return self.valid_until < (today or timezone.localdate())

    def get_preview_template(self, request, mode_name):
        return "events/job_detail.html"

    def get_preview_context(self, request, mode_name):
        context = super().get_preview_context(request, mode_name)
        context["job"] = self
        return context


class RegistrationStatus(models.TextChoices):
    CONFIRMED = "confirmed", _("Confirmed")
    WAITLISTED = "waitlisted", _("On the waiting list")
    CANCELLED = "cancelled", _("Cancelled")


class RegistrationChannel(models.TextChoices):
    SELF = "self", _("By the worker")
    COORDINATOR = "coordinator", _("By a coordinator")
    ORGANISER = "organiser", _("By an organiser")
    WALK_IN = "walk_in", _("At the gate")


class Registration(models.Model):
    """One worker's place at one event: confirmed, waiting, or cancelled.

    The ticket token is never stored: it is derived from the id and ticket_version with a keyed
    HMAC (events.tickets), and only its SHA-256 is kept for the lookup at the gate.
    """

    # No index of its own: one_registration_per_worker and registration_queue_idx start with it.
    event = models.ForeignKey(
        Event,
        verbose_name=_("event"),
        on_delete=models.PROTECT,
        related_name="registrations",
        db_index=False,
    )
    worker = models.ForeignKey(
        "trainees.Worker",
        verbose_name=_("worker"),
        on_delete=models.PROTECT,
        related_name="registrations",
    )
    status = models.CharField(_("status"), max_length=10, choices=RegistrationStatus.choices)
    channel = models.CharField(
        _("registered"),
        max_length=12,
        choices=RegistrationChannel.choices,
        default=RegistrationChannel.SELF,
    )
    # No indexes on the accounts: nothing looks registrations up by them, and every index is
    # written by each registration of a burst (bench/registration_burst.py).
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("registered by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    created_at = models.DateTimeField(_("registered at"), auto_now_add=True)
    waitlisted_at = models.DateTimeField(_("joined the waiting list at"), null=True, blank=True)
    confirmed_at = models.DateTimeField(_("confirmed at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    cancelled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("cancelled by"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    cancel_reason = models.CharField(_("reason for cancelling"), max_length=200, blank=True)
    ticket_version = models.PositiveSmallIntegerField(default=1, editable=False)
    ticket_hash = models.CharField(max_length=64, null=True, editable=False)
    reminder_sent_at = models.DateTimeField(null=True, blank=True, editable=False)

    class Meta:
        ordering = ["created_at", "pk"]
        verbose_name = _("registration")
        verbose_name_plural = _("registrations")
        constraints = [
            models.UniqueConstraint(fields=["event", "worker"], name="one_registration_per_worker"),
            # A constraint rather than unique=True, which would add a second (LIKE) index.
            models.UniqueConstraint(fields=["ticket_hash"], name="one_registration_per_ticket"),
        ]
        indexes = [
            models.Index(
                fields=["event", "status", "waitlisted_at"], name="registration_queue_idx"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.worker} · {self.event}"


class EventStaffRole(models.TextChoices):
    ORGANISER = "organiser", pgettext_lazy("event staff role", "Organiser")
    SCANNER = "scanner", _("Scanner only")


class EventStaff(models.Model):
    """A staff account's role at one event: organisers run it, scanners only scan tickets."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="staff")
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="event_roles"
    )
    role = models.CharField(_("role"), max_length=10, choices=EventStaffRole.choices)

    class Meta:
        verbose_name = _("event staff")
        verbose_name_plural = _("event staff")
        constraints = [
            models.UniqueConstraint(fields=["event", "user"], name="one_role_per_event_and_user")
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()}"


class ScannerDevice(models.Model):
    """A phone allowed to scan at one event with a bearer token; it can do nothing else."""

    event = models.ForeignKey(
        Event, verbose_name=_("event"), on_delete=models.CASCADE, related_name="scanner_devices"
    )
    label = models.CharField(_("gate or device name"), max_length=60)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("scanner device")
        verbose_name_plural = _("scanner devices")

    def __str__(self) -> str:
        return self.label


class Direction(models.TextChoices):
    IN = "in", pgettext_lazy("attendance", "Sign-in")
    OUT = "out", pgettext_lazy("attendance", "Sign-out")


class CheckIn(models.Model):
    """One sign-in or sign-out of a registration at a session. An undone check-in is kept with
    undone_at set; at most one live check-in per registration, session and direction."""

    # Every index here is written at each scan (bench/checkin.py), so only the ones queries
    # use: the session's is checkin_session_time_idx, and nothing looks check-ins up by device
    # or account (deleting one of those scans the table, which happens about never).
    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="checkins"
    )
    session = models.ForeignKey(
        Session, on_delete=models.PROTECT, related_name="checkins", db_index=False
    )
    direction = models.CharField(
        _("direction"), max_length=3, choices=Direction.choices, default=Direction.IN
    )
    gate = models.CharField(_("gate"), max_length=60, blank=True)
    device = models.ForeignKey(
        ScannerDevice,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    checked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    scanned_at = models.DateTimeField(_("scanned at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)
    undone_at = models.DateTimeField(_("undone at"), null=True, blank=True)
    undone_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )

    class Meta:
        ordering = ["scanned_at", "pk"]
        verbose_name = _("check-in")
        verbose_name_plural = _("check-ins")
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "session", "direction"],
                condition=Q(undone_at__isnull=True),
                name="one_live_checkin_per_session_and_direction",
            ),
        ]
        indexes = [
            models.Index(
                fields=["session", "direction", "scanned_at"], name="checkin_session_time_idx"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration} {self.get_direction_display()} {self.scanned_at:%H:%M}"


class ScanResult(models.TextChoices):
    """The fixed vocabulary of scan results (docs/checkin-api.md)."""

    CHECKED_IN = "checked_in", _("Checked in")
    CHECKED_OUT = "checked_out", _("Checked out")
    ALREADY_CHECKED_IN = "already_checked_in", _("Already checked in")
    ALREADY_CHECKED_OUT = "already_checked_out", _("Already checked out")
    NOT_REGISTERED = "not_registered", _("Not registered for this event")
    WAITLISTED = "waitlisted", _("On the waiting list")
    CANCELLED = "cancelled", _("Registration cancelled")
    WRONG_SESSION = "wrong_session", _("Not in this session")
    UNKNOWN_CODE = "unknown_code", _("Unknown code")
    UNDONE = "undone", _("Check-in undone")


class ScanLog(models.Model):
    """Every scan, successful or not: who, which device and gate, when scanned and received,
    and the result. The client nonce makes a retried request return the first result."""

    # The log is read by event (admin, exports) and by nonce; every other index would only be
    # written, at each scan (bench/checkin.py). Deleting a session, check-in, device or account
    # scans the table for the references to clear, which happens about never.
    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="scans")
    session = models.ForeignKey(
        Session,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scans",
        db_index=False,
    )
    registration = models.ForeignKey(
        Registration,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scans",
        db_index=False,
    )
    checkin = models.ForeignKey(
        CheckIn,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="scans",
        db_index=False,
    )
    direction = models.CharField(max_length=3, choices=Direction.choices, default=Direction.IN)
    result = models.CharField(_("result"), max_length=24, choices=ScanResult.choices)
    gate = models.CharField(_("gate"), max_length=60, blank=True)
    device = models.ForeignKey(
        ScannerDevice,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        db_index=False,
    )
    client_nonce = models.CharField(max_length=64)
    scanned_at = models.DateTimeField(_("scanned at"))
    received_at = models.DateTimeField(_("received at"), auto_now_add=True)

    class Meta:
        ordering = ["-received_at", "-pk"]
        verbose_name = _("scan")
        verbose_name_plural = _("scan log")
        constraints = [
            # A constraint rather than unique=True, which would add a second (LIKE) index.
            models.UniqueConstraint(fields=["client_nonce"], name="one_scan_per_client_nonce"),
        ]

    def __str__(self) -> str:
        return f"{self.get_result_display()} {self.received_at:%H:%M:%S}"


class Excusal(models.Model):
    """An organiser's record that a trainee was excused from a session, with the reason."""

    registration = models.ForeignKey(
        Registration, on_delete=models.CASCADE, related_name="excusals"
    )
    session = models.ForeignKey(Session, on_delete=models.CASCADE, related_name="excusals")
    reason = models.CharField(_("reason"), max_length=200)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("excused absence")
        verbose_name_plural = _("excused absences")
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "session"], name="one_excusal_per_session"
            )
        ]

    def __str__(self) -> str:
        return self.reason


# Statistics, official sheets and exports ---------------------------------------------------------
# (events/reports/: selectors, services and sheets; docs/statistics.md)


class EmployerCheckIn(models.Model):
    """An employer came to its booth at a fair (参会企业到场): one row per employer and fair."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="employer_checkins")
    employer = models.ForeignKey(Employer, on_delete=models.PROTECT, related_name="+")
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        verbose_name = _("employer present")
        verbose_name_plural = _("employers present")
        constraints = [
            models.UniqueConstraint(
                fields=["event", "employer"], name="one_employer_checkin_per_fair"
            )
        ]

    def __str__(self) -> str:
        return str(self.employer)


class ManualFigureKind(models.TextChoices):
    """Figures only people know. Entered with a reason and reported as entered, never computed."""

    LEAFLETS = "leaflets", _("Policy leaflets handed out")
    LIVESTREAM_VIEWS = "livestream_views", _("Livestream views")
    CONSULTATIONS = "consultations", _("People advised on site")
    CVS = "cvs", _("CVs handed in")
    HIRED_ON_SITE = "hired_on_site", _("Hired on the spot")


class ManualFigure(models.Model):
    """One entry of a figure. A correction is a new entry: the latest one counts, the earlier
    ones stay visible with their reasons."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="manual_figures")
    kind = models.CharField(_("figure"), max_length=20, choices=ManualFigureKind.choices)
    value = models.PositiveIntegerField(_("value"))
    reason = models.CharField(
        _("source or reason"),
        max_length=200,
        help_text=_("e.g. 按发放登记表统计 or 直播平台后台数据"),
    )
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered at"), auto_now_add=True)

    class Meta:
        ordering = ["-entered_at", "-pk"]
        verbose_name = _("figure entered by hand")
        verbose_name_plural = _("figures entered by hand")

    def __str__(self) -> str:
        return f"{self.get_kind_display()}: {self.value}"


class Intention(models.Model):
    """达成(初步)就业意向: a person at a fair and an employer there agreed to go further. The
    event is the registration's, kept on the row so that a fair's intentions are counted on an
    index of their own."""

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="intentions")
    registration = models.ForeignKey(
        Registration, on_delete=models.PROTECT, related_name="intentions"
    )
    employer = models.ForeignKey(
        Employer, verbose_name=_("employer"), on_delete=models.PROTECT, related_name="+"
    )
    job = models.ForeignKey(
        JobListing,
        verbose_name=_("job"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now_add=True)

    class Meta:
        ordering = ["-recorded_at", "-pk"]
        verbose_name = _("job intention")
        verbose_name_plural = _("job intentions")
        constraints = [
            models.UniqueConstraint(
                fields=["registration", "employer"], name="one_intention_per_person_and_employer"
            )
        ]

    def __str__(self) -> str:
        return f"{self.registration.worker} · {self.employer}"


class AssessmentOutcome(models.TextChoices):
    PASSED = "passed", _("Passed")
    FAILED = "failed", pgettext_lazy("assessment", "Failed")
    ABSENT = "absent", _("Did not sit the assessment")


class Assessment(models.Model):
    """The end-of-class assessment (结业考核) of one trainee, entered by an organiser."""

    registration = models.OneToOneField(
        Registration, on_delete=models.CASCADE, related_name="assessment"
    )
    outcome = models.CharField(_("assessment"), max_length=10, choices=AssessmentOutcome.choices)
    certificate_number = models.CharField(_("certificate number"), max_length=60, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    recorded_at = models.DateTimeField(_("recorded at"), auto_now=True)

    class Meta:
        verbose_name = _("assessment")
        verbose_name_plural = _("assessments")

    def __str__(self) -> str:
        return str(self.get_outcome_display())


class SubsidyClaim(models.Model):
    """A training subsidy filed for one trainee's class. One per worker and year: a worker who
    already had a subsidised class that year is not eligible again (docs/statistics.md)."""

    registration = models.OneToOneField(
        Registration, on_delete=models.PROTECT, related_name="subsidy_claim"
    )
    worker = models.ForeignKey("trainees.Worker", on_delete=models.PROTECT, related_name="+")
    year = models.PositiveSmallIntegerField(_("year"))
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_at = models.DateTimeField(_("filed at"), auto_now_add=True)

    class Meta:
        verbose_name = _("subsidy claim")
        verbose_name_plural = _("subsidy claims")
        constraints = [
            models.UniqueConstraint(
                fields=["worker", "year"], name="one_subsidy_per_worker_and_year"
            )
        ]

    def __str__(self) -> str:
        return f"{self.year} · {self.worker}"


class EventSummary(models.Model):
    """An event's headline figures as last computed (events.reports.selectors.event_figures),
    so that a campaign overview adds up rows instead of recounting every check-in."""

    event = models.OneToOneField(
        Event, primary_key=True, on_delete=models.CASCADE, related_name="+"
    )
    figures = models.JSONField()
    computed_at = models.DateTimeField()

    class Meta:
        verbose_name = _("event summary")
        verbose_name_plural = _("event summaries")

    def __str__(self) -> str:
        return f"{self.event} @ {self.computed_at:%Y-%m-%d %H:%M}"


def export_storage():
    """Exports hold personal data: a storage of their own, outside the public media files."""
    from django.core.files.storage import storages

    return storages["exports"]


class ExportKind(models.TextChoices):
    ROSTER = "roster", _("Roster")
    ATTENDANCE = "attendance", _("Attendance sheet")
    FAIR_SUMMARY = "fair_summary", _("Fair summary report")
    REGISTRATIONS = "registrations", _("Registrations")
    SCAN_LOG = "scan_log", _("Scan log")


class ExportFormat(models.TextChoices):
    XLSX = "xlsx", _("Excel workbook (.xlsx)")
    CSV = "csv", _("CSV (Excel opens it)")
    PDF = "pdf", _("PDF for printing")


class ExportStatus(models.TextChoices):
    QUEUED = "queued", _("Waiting")
    RUNNING = "running", _("Being written")
    DONE = "done", _("Ready")
    FAILED = "failed", pgettext_lazy("export", "Failed")


class ExportJob(models.Model):
    """A large export written by a Celery worker; only the person who asked may download it,
    and the file is deleted after EXPORT_RETENTION (events.reports.services)."""

    kind = models.CharField(_("export"), max_length=20, choices=ExportKind.choices)
    file_format = models.CharField(_("format"), max_length=4, choices=ExportFormat.choices)
    event = models.ForeignKey(Event, verbose_name=_("event"), on_delete=models.CASCADE)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+"
    )
    # What the requester could see when asking, so that the worker writes no more than that,
    # and the language the sheet is written in.
    full_id_numbers = models.BooleanField(default=False)
    special_groups = models.BooleanField(default=False)
    language = models.CharField(max_length=10, default=settings.LANGUAGE_CODE)
    status = models.CharField(
        _("status"), max_length=10, choices=ExportStatus.choices, default=ExportStatus.QUEUED
    )
    rows_total = models.PositiveIntegerField(_("rows"), default=0)
    rows_done = models.PositiveIntegerField(default=0)
    file = models.FileField(storage=export_storage, upload_to="%Y/%m/", blank=True)
    filename = models.CharField(max_length=200, blank=True)
    error = models.CharField(max_length=300, blank=True)  # for the logs; users see a sentence
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    handed_over_at = models.DateTimeField(null=True, blank=True)  # last given to the broker
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("export")
        verbose_name_plural = _("exports")

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.event}"

    @property
    def percent(self) -> int:
        if self.status == ExportStatus.DONE:
            return 100
        return min(99, self.rows_done * 100 // self.rows_total) if self.rows_total else 0

    @property
    def in_progress(self) -> bool:
        """Still to come: the exports page keeps polling while any job is."""
        return self.status in (ExportStatus.QUEUED, ExportStatus.RUNNING)


class StatisticsClient(models.Model):
    """Another system of the bureau reading the statistics API with a bearer token; it sees
    aggregate figures only. The token is shown once; only its SHA-256 is stored."""

    name = models.CharField(_("system"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("revoked at"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used at"), null=True, blank=True)

    class Meta:
        verbose_name = _("statistics API client")
        verbose_name_plural = _("statistics API clients")

    def __str__(self) -> str:
        return self.name
