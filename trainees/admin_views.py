"""Wagtail admin screens for workers: the coordinator's listing and forms, the audited full-ID
view, roster import and village coverage. Each view stays within the user's villages
(trainees.selectors.coordinator_scope_q): a worker outside them is a 404, as if absent."""

from dataclasses import dataclass

from django import forms
from django.contrib.auth import get_user_model
from django.core import signing
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import add_never_cache_headers
from django.utils.functional import cached_property
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, View
from wagtail.admin.forms.models import WagtailAdminModelForm
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.views.generic import (
    CreateView,
    DeleteView,
    EditView,
    HistoryView,
    IndexView,
    PermissionCheckedMixin,
    WagtailAdminTemplateMixin,
)
from wagtail.admin.views.generic.usage import UsageView
from wagtail.admin.views.reports import ReportView
from wagtail.admin.widgets.button import Button
from wagtail.log_actions import log
from wagtail.permission_policies import ModelPermissionPolicy

from trainees import id_numbers
from trainees.models import (
    ConsentMethod,
    Coordinator,
    Education,
    EmploymentStatus,
    Region,
    RegionLevel,
    Worker,
)
from trainees.phones import normalise_mobile
from trainees.selectors import (
    WORKER_REGION_LEVELS,
    regions_in_scope,
    village_coverage,
    workers_in_scope,
)
from trainees.services import roster
from trainees.services.coordinators import register_worker, update_worker
from trainees.services.identity import (
    DuplicateWorker,
    WorkerDetails,
    check_not_duplicate,
    reveal_id_number,
)
from trainees.services.roster import (
    MAX_BYTES,
    RosterFileError,
    RowProblem,
    import_roster_file,
    problems_csv,
    roster_template_csv,
    roster_template_xlsx,
)

VIEW_FULL_ID_NUMBER = "trainees.view_full_id_number"
worker_permission_policy = ModelPermissionPolicy(Worker)


# Forms


class RegionChoiceField(forms.ModelChoiceField):
    """Township, then village, then code: the same village name recurs across townships."""

    def label_from_instance(self, obj: Region) -> str:
        if obj.level == RegionLevel.VILLAGE and obj.parent:
            return f"{obj.parent.name} · {obj.name} ({obj.code})"
        return f"{obj.name} ({obj.code})"


class RegionMultipleChoiceField(forms.ModelMultipleChoiceField):
    label_from_instance = RegionChoiceField.label_from_instance


class WorkerForm(forms.Form):
    """What a coordinator enters for a worker. A plain form: the services do the writing, so the
    worker is never half-updated by a model form's cleaning."""

    name = forms.CharField(label=gettext_lazy("Name"), max_length=50)
    phone = forms.CharField(label=gettext_lazy("Mobile number"), max_length=20)
    id_number = forms.CharField(label=gettext_lazy("ID number"), max_length=30)
    hukou_region = RegionChoiceField(
        label=gettext_lazy("Village of household registration"), queryset=Region.objects.none()
    )
    education = forms.ChoiceField(
        label=gettext_lazy("Education level"),
        choices=[("", "---------"), *Education.choices],
        required=False,
    )
    employment_status = forms.ChoiceField(
        label=gettext_lazy("Employment status"),
        choices=[("", "---------"), *EmploymentStatus.choices],
        required=False,
    )

    def __init__(self, *args, instance: Worker | None = None, for_user=None, **kwargs):
        self.instance = instance
        self.for_user = for_user
        self.duplicate: Worker | None = None
        if instance is not None:
            kwargs["initial"] = {
                "name": instance.name,
                "phone": instance.phone,
                "hukou_region": instance.hukou_region_id,
                "education": instance.education,
                "employment_status": instance.employment_status,
                **kwargs.get("initial", {}),
            }
        super().__init__(*args, **kwargs)
        self.fields["hukou_region"].queryset = (
            regions_in_scope(user=for_user).select_related("parent").order_by("code")
        )

    def clean_phone(self) -> str:
        return normalise_mobile(self.cleaned_data["phone"])

    def clean_id_number(self) -> str:
        value = self.cleaned_data["id_number"]
        return id_numbers.parse(value).number if value else ""

    def clean(self) -> dict:
        cleaned = super().clean()
        # Whichever of the two is valid: an already registered phone is worth saying at once.
        phone, id_number = cleaned.get("phone", ""), cleaned.get("id_number", "")
        if phone or id_number:
            try:
                check_not_duplicate(
                    phone=phone,
                    id_number=id_number,
                    exclude_pk=self.instance.pk if self.instance else None,
                )
            except DuplicateWorker as duplicate:
                self.add_duplicate_error(duplicate)
        return cleaned

    def add_duplicate_error(self, duplicate: DuplicateWorker) -> None:
        self.duplicate = duplicate.existing
        for field, messages in duplicate.message_dict.items():
            self.add_error(field, messages)

    def details(self) -> WorkerDetails:
        data = self.cleaned_data
        return WorkerDetails(
            name=data["name"],
            phone=data["phone"],
            id_number=data["id_number"],
            hukou_region=data["hukou_region"],
        )


class WorkerCreateForm(WorkerForm):
    consent_method = forms.ChoiceField(
        label=gettext_lazy("How the worker agreed"),
        choices=[
            (ConsentMethod.VERBAL, ConsentMethod.VERBAL.label),
            (ConsentMethod.SIGNED, ConsentMethod.SIGNED.label),
        ],
        widget=forms.RadioSelect,
    )
    privacy_agreed = forms.BooleanField(
        label=gettext_lazy("The worker agreed to the privacy notice"),
        help_text=gettext_lazy(
            "Read the privacy notice to the worker, or let them read it, before ticking this."
        ),
    )


class WorkerEditForm(WorkerForm):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        id_field = self.fields["id_number"]
        id_field.required = False
        if self.instance is not None and self.instance.id_number_masked:
            id_field.help_text = _(
                "Stored: %(masked)s. Leave empty to keep it; a number entered here replaces it."
            ) % {"masked": self.instance.id_number_masked}


class RevealForm(forms.Form):
    reason = forms.CharField(
        label=gettext_lazy("Why do you need the full number?"),
        max_length=200,
        help_text=gettext_lazy(
            "For example the subsidy claim it is for. Your name, the time and this reason are "
            "recorded."
        ),
    )


class RosterUploadForm(forms.Form):
    file = forms.FileField(
        label=gettext_lazy("Roster file"),
        help_text=gettext_lazy(
            "An Excel workbook (.xlsx) or a CSV file laid out like the template: at most 5 MB "
            "and 5,000 workers."
        ),
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_BYTES:
            raise ValidationError(
                _("The file is larger than %(size)d MB: split it into smaller files.")
                % {"size": MAX_BYTES // (1024 * 1024)}
            )
        return upload


class CoordinatorForm(WagtailAdminModelForm):
    class Meta:
        model = Coordinator
        fields = ["user", "regions"]

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        user_field = self.fields["user"]
        # Workers' own sign-in accounts are never coordinators.
        user_field.queryset = (
            get_user_model()
            .objects.filter(is_active=True, worker__isnull=True)
            .order_by("username")
        )
        user_field.help_text = _(
            "The account also needs the “Coordinators” group to sign in to the admin."
        )
        self.fields["regions"] = RegionMultipleChoiceField(
            label=_("Villages or townships"),
            queryset=Region.objects.filter(level__in=WORKER_REGION_LEVELS)
            .select_related("parent")
            .order_by("code"),
            widget=forms.SelectMultiple(attrs={"size": 15}),
            help_text=_("A township covers all its villages. Hold Ctrl to choose several."),
        )


# Worker screens


class WorkerScopeMixin:
    """Edit and delete (Django's SingleObjectMixin) only find workers in the user's villages."""

    def get_queryset(self) -> QuerySet[Worker]:
        return workers_in_scope(user=self.request.user).select_related("hukou_region")


class WorkerObjectScopeMixin:
    """The same for history and usage (Wagtail's BaseObjectMixin), whose get_queryset lists
    log entries or references instead."""

    def get_base_object_queryset(self) -> QuerySet[Worker]:
        return workers_in_scope(user=self.request.user)


class WorkerFormViewMixin:
    """The plain worker forms get the user (for the villages offered) and, when editing, the
    worker; a duplicate found at save time is shown like one found while cleaning."""

    reveal_url_name = None

    def get_form_kwargs(self) -> dict:
        kwargs = super().get_form_kwargs()
        kwargs["for_user"] = self.request.user
        return kwargs

    def form_valid(self, form):
        try:
            return super().form_valid(form)
        except DuplicateWorker as duplicate:
            form.add_duplicate_error(duplicate)
            self.produced_error_message = self.get_error_message()
            return self.form_invalid(form)

    def get_context_data(self, **kwargs) -> dict:
        context = super().get_context_data(**kwargs)
        duplicate = getattr(self.form, "duplicate", None)
        if (
            duplicate is not None
            and self.request.user.has_perm("trainees.change_worker")
            and workers_in_scope(user=self.request.user).filter(pk=duplicate.pk).exists()
        ):
            context["duplicate_url"] = reverse(self.edit_url_name, args=[duplicate.pk])
        return context


class WorkerIndexView(IndexView):
    reveal_url_name = None

    def get_base_queryset(self) -> QuerySet[Worker]:
        return (
            workers_in_scope(user=self.request.user)
            .select_related("hukou_region")
            .order_by("-created_at", "-pk")
        )

    def search_queryset(self, queryset: QuerySet[Worker]) -> QuerySet[Worker]:
        """Digits look up the end of the phone number (the last four, usually); anything else
        the name."""
        if not self.is_searching:
            return queryset
        query = self.search_query.strip()
        if query.isdigit():
            return queryset.filter(phone__endswith=query)
        return queryset.filter(name__icontains=query)

    def get_list_more_buttons(self, instance: Worker) -> list:
        buttons = super().get_list_more_buttons(instance)
        if instance.id_number_masked and self.request.user.has_perm(VIEW_FULL_ID_NUMBER):
            buttons.append(
                MenuItem(
                    _("Show full ID number"),
                    url=reverse(self.reveal_url_name, args=[instance.pk]),
                    icon_name="view",
                    priority=25,
                )
            )
        return buttons


class WorkerCreateView(WorkerFormViewMixin, CreateView):
    def save_instance(self) -> Worker:
        data = self.form.cleaned_data
        worker = register_worker(
            details=self.form.details(),
            education=data["education"],
            employment_status=data["employment_status"],
            consent_method=data["consent_method"],
            registered_by=self.request.user,
        )
        log(instance=worker, action="wagtail.create", content_changed=True)
        return worker


class WorkerEditView(WorkerFormViewMixin, WorkerScopeMixin, EditView):
    def save_instance(self) -> Worker:
        data = self.form.cleaned_data
        worker = update_worker(
            worker=self.object,
            details=self.form.details(),
            education=data["education"],
            employment_status=data["employment_status"],
            changed_by=self.request.user,
        )
        log(instance=worker, action="wagtail.edit", content_changed=self.form.has_changed())
        return worker

    @cached_property
    def header_more_buttons(self) -> list:
        buttons = super().header_more_buttons
        if self.object.id_number_masked and self.request.user.has_perm(VIEW_FULL_ID_NUMBER):
            buttons.append(
                Button(
                    _("Show full ID number"),
                    url=reverse(self.reveal_url_name, args=[self.object.pk]),
                    icon_name="view",
                    priority=5,
                )
            )
        return buttons


class WorkerDeleteView(WorkerScopeMixin, DeleteView):
    pass


class WorkerHistoryView(WorkerObjectScopeMixin, HistoryView):
    pass


class WorkerUsageView(WorkerObjectScopeMixin, UsageView):
    pass


class RevealIdNumberView(WagtailAdminTemplateMixin, FormView):
    """The full ID number of one worker, shown once per request with a reason, and audited."""

    template_name = "trainees/admin/reveal_id_number.html"
    form_class = RevealForm
    page_title = gettext_lazy("Full ID number")
    header_icon = "view"
    index_url_name = None

    def dispatch(self, request: HttpRequest, *args, **kwargs) -> HttpResponse:
        # The permission first, so that a user without it cannot probe which workers exist.
        if not request.user.has_perm(VIEW_FULL_ID_NUMBER):
            raise PermissionDenied
        self.worker = get_object_or_404(
            workers_in_scope(user=request.user).select_related("hukou_region"), pk=kwargs["pk"]
        )
        return super().dispatch(request, *args, **kwargs)

    def get_page_subtitle(self) -> str:
        return str(self.worker)

    def get_breadcrumbs_items(self) -> list[dict]:
        return [
            *self.breadcrumbs_items,
            {"url": reverse(self.index_url_name), "label": _("Workers")},
            {"url": "", "label": self.get_page_title(), "sublabel": self.get_page_subtitle()},
        ]

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(worker=self.worker, **kwargs)

    def form_valid(self, form: RevealForm) -> HttpResponse:
        number = reveal_id_number(
            worker=self.worker, actor=self.request.user, reason=form.cleaned_data["reason"]
        )
        response = self.render_to_response(self.get_context_data(form=form, id_number=number))
        add_never_cache_headers(response)  # the browser must not keep the page with the number
        return response


# Roster import


REPORT_SALT = "trainees.roster-report"
REPORT_MAX_AGE = 24 * 60 * 60
SHOWN_PROBLEMS = 500  # more than this only in the downloadable report


class RosterPermissionMixin(PermissionCheckedMixin):
    permission_policy = worker_permission_policy
    permission_required = "add"


class RosterImportView(RosterPermissionMixin, WagtailAdminTemplateMixin, FormView):
    template_name = "trainees/admin/roster_import.html"
    form_class = RosterUploadForm
    page_title = gettext_lazy("Import roster")
    header_icon = "upload"
    template_xlsx_url_name = None
    template_csv_url_name = None
    problems_url_name = None
    index_url_name = None

    def get_breadcrumbs_items(self) -> list[dict]:
        return [*self.breadcrumbs_items, {"url": "", "label": self.get_page_title()}]

    def get_context_data(self, **kwargs) -> dict:
        return super().get_context_data(
            template_xlsx_url=reverse(self.template_xlsx_url_name),
            template_csv_url=reverse(self.template_csv_url_name),
            columns="、".join(roster.COLUMNS),
            education_column=roster.EDUCATION,
            employment_column=roster.EMPLOYMENT,
            consent_column=roster.CONSENT,
            region_column=roster.REGION,
            verbal_word=roster.CONSENT_WORDS[ConsentMethod.VERBAL][0],
            signed_word=roster.CONSENT_WORDS[ConsentMethod.SIGNED][0],
            **kwargs,
        )

    def form_valid(self, form: RosterUploadForm) -> HttpResponse:
        upload = form.cleaned_data["file"]
        try:
            report = import_roster_file(
                content=upload.read(), filename=upload.name, uploaded_by=self.request.user
            )
        except RosterFileError as error:
            form.add_error("file", str(error))
            return self.form_invalid(form)
        problems = report.problems
        # The downloadable report travels signed through the page rather than being stored: it
        # holds row numbers, column names and reasons, no personal data.
        token = signing.dumps(
            [[p.row, p.column, p.reason] for p in problems], salt=REPORT_SALT, compress=True
        )
        return TemplateResponse(
            self.request,
            "trainees/admin/roster_result.html",
            self.get_context_data(
                form=self.get_form_class()(),
                report=report,
                problems=problems[:SHOWN_PROBLEMS],
                more_problems=max(len(problems) - SHOWN_PROBLEMS, 0),
                report_token=token,
                problems_url=reverse(self.problems_url_name),
                workers_url=reverse(self.index_url_name),
            ),
        )


class RosterTemplateView(RosterPermissionMixin, View):
    file_format = "xlsx"

    def get(self, request: HttpRequest) -> HttpResponse:
        if self.file_format == "csv":
            content, content_type = roster_template_csv(), "text/csv; charset=utf-8"
        else:
            content = roster_template_xlsx()
            content_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = (
            f'attachment; filename="roster-template.{self.file_format}"'
        )
        return response


class RosterProblemsView(RosterPermissionMixin, View):
    """The error report of an import as CSV, rebuilt from the signed token on the result page."""

    def post(self, request: HttpRequest) -> HttpResponse:
        try:
            rows = signing.loads(
                request.POST.get("report", ""), salt=REPORT_SALT, max_age=REPORT_MAX_AGE
            )
        except signing.BadSignature as error:
            raise PermissionDenied from error
        problems = [
            RowProblem(row=row, column=column, reason=reason) for row, column, reason in rows
        ]
        response = HttpResponse(
            problems_csv(problems=problems), content_type="text/csv; charset=utf-8"
        )
        response["Content-Disposition"] = 'attachment; filename="roster-problems.csv"'
        return response


# Coverage


@dataclass(frozen=True)
class CoverageRow:
    township: str
    village: str
    code: str
    workers: int
    is_total: bool = False


class CoverageView(ReportView):
    """Registered workers per village of the user's scope, with a total per township."""

    results_template_name = "trainees/admin/coverage_results.html"
    page_title = gettext_lazy("Registration coverage")
    header_icon = "table"
    paginate_by = None
    permission_policy = worker_permission_policy
    any_permission_required = ["add", "change", "view"]
    list_export = ["township", "village", "code", "workers"]
    export_headings = {
        "township": gettext_lazy("Township"),
        "village": gettext_lazy("Village"),
        "code": gettext_lazy("Division code"),
        "workers": gettext_lazy("Registered workers"),
    }

    def get_filename(self) -> str:
        return f"coverage-{timezone.localdate():%Y-%m-%d}"

    def get_queryset(self) -> list[CoverageRow]:
        rows: list[CoverageRow] = []
        for township in village_coverage(user=self.request.user):
            rows.extend(
                CoverageRow(township.name, village.name, village.code, village.workers)
                for village in township.villages
            )
            if township.township_only:
                rows.append(
                    CoverageRow(
                        township.name,
                        _("(village not known)"),
                        township.code,
                        township.township_only,
                    )
                )
            rows.append(
                CoverageRow(township.name, _("Township total"), township.code, township.total, True)
            )
        return rows

    def get_context_data(self, *args, **kwargs) -> dict:
        context = super().get_context_data(*args, **kwargs)
        rows = context["object_list"]
        villages = [row for row in rows if not row.is_total and row.code[9:] != "000"]
        context["village_count"] = len(villages)
        context["empty_villages"] = sum(1 for row in villages if row.workers == 0)
        context["total_workers"] = sum(row.workers for row in rows if row.is_total)
        return context
