"""Statistics screens in the Wagtail admin (docs/statistics.md). Thin: reads come from
events.reports.selectors, writes go through events.reports.services.

Who sees what: an event's statistics, training attendance and sheets are for the bureau
(events.view_statistics), superusers and the event's organisers; an event outside those is a
404, as if absent. Organisers record what happens on the day (employers present, figures
entered by hand, job intentions, assessments); subsidy officers file subsidy claims. The
campaign overview is for the bureau.
"""

import io
from collections.abc import Callable

from django import forms
from django.contrib.auth.mixins import UserPassesTestMixin
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.http import content_disposition_header
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View
from wagtail.admin import messages
from wagtail.admin.menu import AdminOnlyMenuItem, Menu, SubmenuMenuItem
from wagtail.admin.menu import MenuItem as AdminMenuItem
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.viewsets.base import ViewSet

from events import selectors as event_selectors
from events.admin_views import ActionOnlyViewSet, RevocableIndexView, RevokeView, _Breadcrumbs
from events.models import (
    AssessmentOutcome,
    Event,
    ExportFormat,
    ExportJob,
    ExportKind,
    ExportStatus,
    ManualFigure,
    StatisticsClient,
)
from events.reports import charts, selectors, services, sheets
from events.reports.forms import OverviewForm

CONTENT_TYPES = {
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.PDF: "application/pdf",
}


def organises_any_event(request) -> bool:
    """Memoised per request: several menu items ask while the admin menu is drawn."""
    if not hasattr(request, "_organises_any_event"):
        request._organises_any_event = event_selectors.organised_events(user=request.user).exists()
    return request._organises_any_event


def may_use_statistics(request) -> bool:
    return selectors.sees_every_event(user=request.user) or organises_any_event(request)


class _StatisticsUsersOnly(UserPassesTestMixin):
    """Organisers of some event and the bureau; anyone else is refused (Wagtail's admin turns
    PermissionDenied into a message on the dashboard)."""

    raise_exception = True

    def test_func(self) -> bool:
        return may_use_statistics(self.request)


class _BureauOnly(_StatisticsUsersOnly):
    def test_func(self) -> bool:
        return selectors.sees_every_event(user=self.request.user)


class _SuperusersOnly(_StatisticsUsersOnly):
    def test_func(self) -> bool:
        return self.request.user.is_superuser


class _EventMixin(_Breadcrumbs):
    """The event from the URL, among those whose statistics the user may see (else 404)."""

    index_label = gettext_lazy("Statistics")
    index_url_name = "statistics:index"

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.event = get_object_or_404(
            selectors.statistics_events(user=request.user).select_related("region"),
            pk=kwargs["event_id"],
        )
        self.organiser = event_selectors.can_organise(user=request.user, event_id=self.event.pk)

    def back(self, name: str = "statistics:event", anchor: str = ""):
        return redirect(reverse(name, args=[self.event.pk]) + (f"#{anchor}" if anchor else ""))

    def require_organiser(self) -> None:
        if not self.organiser:
            raise PermissionDenied


class StatisticsIndexView(
    _StatisticsUsersOnly, _Breadcrumbs, WagtailAdminTemplateMixin, TemplateView
):
    page_title = gettext_lazy("Statistics")
    header_icon = "table"
    template_name = "events/reports/index.html"

    def get_context_data(self, **kwargs):
        kind = self.request.GET.get("kind", "")
        query = self.request.GET.get("q", "").strip()[:100]
        return super().get_context_data(
            events=selectors.statistics_listing(user=self.request.user, kind=kind, query=query),
            kind=kind,
            query=query,
            overview=selectors.sees_every_event(user=self.request.user),
            **kwargs,
        )


# One event ---------------------------------------------------------------------------------------


class ManualFigureForm(forms.ModelForm):
    class Meta:
        model = ManualFigure
        fields = ["kind", "value", "reason"]


class IntentionForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Ticket code or mobile number"),
        max_length=40,
        help_text=gettext_lazy(
            "The 10 characters under the QR code, or the 11-digit mobile number."
        ),
    )
    employer = forms.TypedChoiceField(label=gettext_lazy("Employer"), coerce=int)
    job = forms.TypedChoiceField(
        label=gettext_lazy("Job (if known)"), coerce=int, required=False, empty_value=None
    )

    def __init__(self, *args, booths, jobs, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["employer"].choices = [
            (booth.employer_id, f"{booth.number} {booth.employer.name}") for booth in booths
        ]
        self.fields["job"].choices = [("", "—")] + [
            (job.pk, f"{job.employer.name} · {job.title}") for job in jobs
        ]


class EventStatisticsView(_EventMixin, WagtailAdminTemplateMixin, TemplateView):
    header_icon = "table"
    template_name = "events/reports/event.html"

    def get_page_title(self):
        return self.event.title

    def get_page_subtitle(self):
        return _("Statistics")

    def get_context_data(self, **kwargs):
        user = self.request.user
        report = selectors.event_report(
            events=Event.objects.filter(pk=self.event.pk),
            event_id=self.event.pk,
            special_groups=selectors.may_see_special_groups(user=user),
        )
        is_fair = not self.event.is_training
        context = {
            "event": report.event,
            "report": report,
            "charts": charts.event_charts(report),
            "organiser": self.organiser,
            "exports": _export_choices(self.event),
            "full_id_numbers": selectors.may_see_full_id_numbers(user=user),
        }
        if self.organiser:
            context["figure_form"] = ManualFigureForm()
            if is_fair:
                context["intentions"] = selectors.recent_intentions(event=self.event)
                context["intention_form"] = IntentionForm(
                    booths=report.booths, jobs=selectors.offered_jobs(event=self.event)
                )
        return super().get_context_data(**context, **kwargs)


def _export_choices(event: Event) -> list[tuple[str, str, list[tuple[str, str]]]]:
    """(kind, label, formats) of the exports this event has."""
    return [
        (kind, ExportKind(kind).label, [(f, ExportFormat(f).label) for f in formats])
        for kind, formats in sheets.formats_for(event=event).items()
    ]


class _EventAction(_EventMixin, View):
    """A POST from the event's statistics page; back to it with a message."""

    http_method_names = ["post"]

    def dispatch(self, request, *args, **kwargs):
        self.require_organiser()
        return super().dispatch(request, *args, **kwargs)


class MarkEmployersPresentView(_EventAction):
    def post(self, request, *args, **kwargs):
        ids = [int(value) for value in request.POST.getlist("employer") if value.isdigit()]
        added = services.mark_employers_present(
            event_id=self.event.pk, employer_ids=ids, by=request.user
        )
        messages.success(request, _("Employers recorded as present: %(count)s.") % {"count": added})
        return self.back(anchor="employers")


class UnmarkEmployerPresentView(_EventAction):
    def post(self, request, *args, **kwargs):
        if services.unmark_employer_present(
            event_id=self.event.pk, employer_id=kwargs["employer_id"]
        ):
            messages.success(request, _("The employer is no longer recorded as present."))
        return self.back(anchor="employers")


class EnterFigureView(_EventAction):
    def post(self, request, *args, **kwargs):
        form = ManualFigureForm(request.POST)
        if form.is_valid():
            try:
                entry = services.enter_figure(
                    event_id=self.event.pk, by=request.user, **form.cleaned_data
                )
            except ValidationError as error:
                _error_messages(request, error)
            else:
                messages.success(request, _("Figure entered: %s") % entry)
        else:
            _form_messages(request, form)
        return self.back(anchor="manual-figures")


class RecordIntentionView(_EventAction):
    def post(self, request, *args, **kwargs):
        report_booths = selectors.booths_with_offers(event=self.event)
        form = IntentionForm(
            request.POST, booths=report_booths, jobs=selectors.offered_jobs(event=self.event)
        )
        if not form.is_valid():
            _form_messages(request, form)
            return self.back(anchor="intentions")
        try:
            result = services.record_intention(
                event_id=self.event.pk,
                code=form.cleaned_data["code"],
                employer_id=form.cleaned_data["employer"],
                job_id=form.cleaned_data["job"],
                by=request.user,
            )
        except ValidationError as error:
            _error_messages(request, error)
        else:
            name = result.intention.registration.worker.masked_name
            if result.created:
                messages.success(request, _("Job intention recorded: %s") % name)
            else:
                messages.warning(request, _("This intention was already recorded: %s") % name)
        return self.back(anchor="intentions")


class WithdrawIntentionView(_EventAction):
    def post(self, request, *args, **kwargs):
        if services.withdraw_intention(event_id=self.event.pk, intention_id=kwargs["intention_id"]):
            messages.success(request, _("Job intention deleted."))
        return self.back(anchor="intentions")


def _form_messages(request, form: forms.Form) -> None:
    for field, errors in form.errors.items():
        label = form.fields[field].label if field in form.fields else ""
        for error in errors:
            messages.error(
                request,
                _("%(label)s: %(error)s") % {"label": label, "error": error} if label else error,
            )


def _error_messages(request, error: ValidationError) -> None:
    for message in error.messages:
        messages.error(request, message)


# Training attendance -----------------------------------------------------------------------------


class _TrainingMixin(_EventMixin):
    """A class's training page and its forms: 404 for anything but a training class."""

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        if not self.event.is_training:
            raise Http404


class TrainingAttendanceView(_TrainingMixin, WagtailAdminTemplateMixin, TemplateView):
    """Trainees × sessions with times and status symbols, rates per trainee and session,
    warnings under the threshold, the completion list and the subsidy-eligible list; the
    assessment form for organisers (POST here: a wrong entry comes back with what was typed)
    and the claim form for subsidy officers."""

    header_icon = "table"
    template_name = "events/reports/training.html"

    def get_page_title(self):
        return self.event.title

    def get_page_subtitle(self):
        return _("Training attendance")

    def get_context_data(self, posted=None, errors=None, **kwargs):
        attendance = selectors.class_attendance(events=[self.event])[self.event.pk]
        symbols = sheets.mark_symbols()
        labels = sheets.session_labels(attendance.sessions)
        rows = []
        for row in attendance.rows:
            pk = row.registration.pk
            stored = row.assessment
            shown = {
                "outcome": stored.outcome if stored else "",
                "certificate": stored.certificate_number if stored else "",
                "seen": stored.recorded_at.isoformat() if stored else "",
            }
            if posted is not None:  # the form as it was sent, so nothing typed is lost
                shown = {key: posted.get(f"shown-{key}-{pk}", "") for key in shown}
            rows.append(
                {
                    "row": row,
                    "cells": [sheets.attendance_cells(mark, symbols) for mark in row.marks],
                    "gap": row.eligibility_gap,
                    "shown": shown,
                    "outcome": posted.get(f"outcome-{pk}", "") if posted else shown["outcome"],
                    "certificate": posted.get(f"certificate-{pk}", "")
                    if posted
                    else shown["certificate"],
                    "error": (errors or {}).get(f"outcome-{pk}", ""),
                }
            )
        return super().get_context_data(
            event=self.event,
            attendance=attendance,
            rows=rows,
            labels=labels,
            totals=attendance.session_totals,
            symbols=symbols,
            organiser=self.organiser,
            full_id_numbers=selectors.may_see_full_id_numbers(user=self.request.user),
            may_file=selectors.may_file_subsidy_claims(user=self.request.user),
            outcomes=AssessmentOutcome.choices,
            exports=_export_choices(self.event),
            chart=charts.session_attendance_chart(attendance, labels=labels),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        self.require_organiser()
        entries = [
            services.AssessmentEntry(
                registration_id=int(pk),
                outcome=request.POST.get(f"outcome-{pk}", ""),
                certificate_number=request.POST.get(f"certificate-{pk}", ""),
                shown_outcome=request.POST.get(f"shown-outcome-{pk}", ""),
                shown_certificate=request.POST.get(f"shown-certificate-{pk}", ""),
                seen=request.POST.get(f"shown-seen-{pk}", ""),
            )
            for pk in request.POST.getlist("registration")
            if pk.isdigit()
        ]
        try:
            result = services.record_assessments(
                event_id=self.event.pk, entries=entries, by=request.user
            )
        except ValidationError as error:
            errors = {field: " ".join(problems) for field, problems in error.message_dict.items()}
            messages.error(request, _("Nothing was saved: correct the marked rows."))
            context = self.get_context_data(posted=request.POST, errors=errors)
            return self.render_to_response(context, status=400)
        if result.saved:
            messages.success(request, _("Assessments saved: %(count)s.") % {"count": result.saved})
        for registration, reason in result.refused:
            messages.error(request, _named(registration, reason))
        return self.back("statistics:training", anchor="assessments")


def _named(registration, message: str) -> str:
    return _("%(name)s: %(message)s") % {
        "name": registration.worker.masked_name,
        "message": message,
    }


class FileSubsidyClaimsView(_TrainingMixin, View):
    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        if not selectors.may_file_subsidy_claims(user=request.user):
            raise PermissionDenied
        ids = [int(value) for value in request.POST.getlist("registration") if value.isdigit()]
        result = services.file_subsidy_claims(
            event_id=self.event.pk, registration_ids=ids, by=request.user
        )
        if result.filed:
            messages.success(
                request, _("Subsidy claims filed: %(count)s.") % {"count": len(result.filed)}
            )
        for registration, reason in result.refused:
            messages.error(request, _named(registration, reason))
        return self.back("statistics:training", anchor="eligible")


# Exports -----------------------------------------------------------------------------------------


class ExportView(_EventMixin, View):
    """POST kind and format: a small export comes back at once, a large one becomes a job for a
    Celery worker and the user goes to their exports page to watch it."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        try:
            export = services.export_request(
                kind=request.POST.get("kind", ""),
                file_format=request.POST.get("format", ""),
                event=self.event,
                user=request.user,
            )
        except ValidationError as error:
            _error_messages(request, error)
            return self.back()
        if services.is_large(request=export):
            services.queue_export(request=export, user=request.user)
            messages.success(
                request,
                _("The export is being written; it appears here when ready."),
            )
            return redirect("statistics:exports")
        buffer = io.BytesIO()
        filename = services.export_now(request=export, user=request.user, out=buffer)
        response = HttpResponse(buffer.getvalue(), content_type=CONTENT_TYPES[export.file_format])
        response["Content-Disposition"] = content_disposition_header(
            as_attachment=True, filename=filename
        )
        return response


class ExportsView(_StatisticsUsersOnly, _Breadcrumbs, WagtailAdminTemplateMixin, TemplateView):
    """The user's own export jobs, newest first; the page polls their progress."""

    page_title = gettext_lazy("My exports")
    header_icon = "download"
    template_name = "events/reports/exports.html"

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            jobs=selectors.export_jobs(user=self.request.user), **kwargs
        )


def export_status(request):
    """JSON for the exports page: status and percent of the user's jobs."""
    if not may_use_statistics(request):
        raise PermissionDenied
    data = {
        "jobs": [
            {
                "id": job.pk,
                "status_label": job.get_status_display(),
                "in_progress": job.in_progress,
                "percent": job.percent,
                "download": reverse("statistics:export_download", args=[job.pk])
                if job.status == ExportStatus.DONE
                else "",
            }
            for job in selectors.export_jobs(user=request.user)
        ]
    }
    return JsonResponse(data)


def export_download(request, job_id: int):
    """Only the person who asked for the export gets the file."""
    job = get_object_or_404(
        ExportJob, pk=job_id, requested_by=request.user, status=ExportStatus.DONE
    )
    if not job.file:
        raise Http404
    return FileResponse(
        job.file.open("rb"),
        as_attachment=True,
        filename=job.filename,
        content_type=CONTENT_TYPES[job.file_format],
    )


# Campaign overview -------------------------------------------------------------------------------


class OverviewView(_BureauOnly, _Breadcrumbs, WagtailAdminTemplateMixin, TemplateView):
    """The filters are the query string, which the recount form keeps (RecountView)."""

    page_title = gettext_lazy("Campaign overview")
    header_icon = "table"
    template_name = "events/reports/overview.html"

    def get_context_data(self, **kwargs):
        form = OverviewForm(self.request.GET or None)
        if form.is_bound and not form.is_valid():
            _form_messages(self.request, form)
        overview = services.campaign_overview(filters=form.filters())
        return super().get_context_data(
            form=form, overview=overview, charts=charts.overview_charts(overview), **kwargs
        )


class RecountView(_BureauOnly, View):
    """Recount the overview's events and coverage now instead of waiting for beat: a Celery
    task, since a season of events can take longer than a request may. The overview's filters
    come as this URL's query string, and the overview comes back with them."""

    http_method_names = ["post"]

    def post(self, request, *args, **kwargs):
        services.queue_recount(filters=OverviewForm(request.GET).filters())
        messages.success(
            request, _("Recounting has started; reload the page in a minute to see the result.")
        )
        query = request.GET.urlencode()
        return redirect(reverse("statistics:overview") + (f"?{query}" if query else ""))


# Statistics API clients --------------------------------------------------------------------------


class StatisticsClientForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("System"),
        max_length=100,
        help_text=gettext_lazy("Which system of the bureau reads the statistics with this token."),
    )


class StatisticsClientCreateView(
    _SuperusersOnly, _Breadcrumbs, WagtailAdminTemplateMixin, FormView
):
    page_title = gettext_lazy("New statistics API client")
    header_icon = "key"
    template_name = "events/reports/client_form.html"
    form_class = StatisticsClientForm
    index_label = gettext_lazy("Statistics API clients")
    index_url_name = "statistics_clients:index"

    def form_valid(self, form):
        client, token = services.create_statistics_client(
            name=form.cleaned_data["name"], by=self.request.user
        )
        return TemplateResponse(
            self.request,
            "events/reports/client_created.html",
            self.get_context_data(form=form, client=client, token=token),
        )


class StatisticsClientIndexView(RevocableIndexView):
    """Clients are created with a token shown once and revoked; never edited."""

    create_url_name = ""

    def get_add_url(self):
        return reverse(self.create_url_name)


class RevokeStatisticsClientConfirmView(_SuperusersOnly, RevokeView):
    page_title = gettext_lazy("Revoke statistics API client")
    header_icon = "key"
    index_label = gettext_lazy("Statistics API clients")
    index_url_name = "statistics_clients:index"
    revoked_message = gettext_lazy("Statistics API client revoked: %s")

    def get_object(self, pk: int) -> StatisticsClient:
        return get_object_or_404(StatisticsClient, pk=pk)

    def details(self):
        return [(_("System"), self.object.name), (_("Last used at"), self.object.last_used_at)]

    def consequence(self) -> str:
        return _("After this, %(name)s can no longer read the statistics API with its token.") % {
            "name": self.object.name
        }

    def revoke(self) -> bool:
        return services.revoke_statistics_client(client_id=self.object.pk)


class StatisticsClientViewSet(ActionOnlyViewSet):
    model = StatisticsClient
    icon = "key"
    menu_label = gettext_lazy("Statistics API clients")
    menu_order = 400
    menu_item_class = AdminOnlyMenuItem
    index_view_class = StatisticsClientIndexView
    list_display = ["name", "created_at", "last_used_at", "revoked_at"]
    ordering = ["-created_at"]

    def get_action_urlpatterns(self):
        return [
            path("new/", StatisticsClientCreateView.as_view(), name="add"),
            path("revoke/<int:pk>/", RevokeStatisticsClientConfirmView.as_view(), name="revoke"),
        ]

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(
            revoke_url_name=self.get_url_name("revoke"),
            create_url_name=self.get_url_name("add"),
            **kwargs,
        )


class StatisticsViewSet(ViewSet):
    """Every statistics URL under /admin/statistics/; the menu is statistics_menu()."""

    def get_urlpatterns(self):
        event = "events/<int:event_id>/"
        return [
            path("", StatisticsIndexView.as_view(), name="index"),
            path(event, EventStatisticsView.as_view(), name="event"),
            path(f"{event}training/", TrainingAttendanceView.as_view(), name="training"),
            path(
                f"{event}employers/present/",
                MarkEmployersPresentView.as_view(),
                name="employers_present",
            ),
            path(
                f"{event}employers/<int:employer_id>/absent/",
                UnmarkEmployerPresentView.as_view(),
                name="employer_absent",
            ),
            path(f"{event}figures/", EnterFigureView.as_view(), name="enter_figure"),
            path(f"{event}intentions/", RecordIntentionView.as_view(), name="record_intention"),
            path(
                f"{event}intentions/<int:intention_id>/withdraw/",
                WithdrawIntentionView.as_view(),
                name="withdraw_intention",
            ),
            path(f"{event}claims/", FileSubsidyClaimsView.as_view(), name="claims"),
            path(f"{event}export/", ExportView.as_view(), name="export"),
            path("exports/", ExportsView.as_view(), name="exports"),
            path("exports/status/", export_status, name="export_status"),
            path("exports/<int:job_id>/download/", export_download, name="export_download"),
            path("overview/", OverviewView.as_view(), name="overview"),
            path("overview/recount/", RecountView.as_view(), name="recount"),
        ]


class _MenuItemIf(AdminMenuItem):
    """A menu item shown when `shown(request)` says so."""

    def __init__(self, *args, shown: Callable[..., bool], **kwargs):
        super().__init__(*args, **kwargs)
        self.shown = shown

    def is_shown(self, request) -> bool:
        return self.shown(request)


def _bureau(request) -> bool:
    return selectors.sees_every_event(user=request.user)


def statistics_menu(clients: StatisticsClientViewSet) -> SubmenuMenuItem:
    return SubmenuMenuItem(
        gettext_lazy("Statistics"),
        Menu(
            items=[
                _MenuItemIf(
                    gettext_lazy("Events"),
                    reverse("statistics:index"),
                    icon_name="table",
                    order=100,
                    shown=may_use_statistics,
                ),
                _MenuItemIf(
                    gettext_lazy("Campaign overview"),
                    reverse("statistics:overview"),
                    icon_name="view",
                    order=200,
                    shown=_bureau,
                ),
                _MenuItemIf(
                    gettext_lazy("My exports"),
                    reverse("statistics:exports"),
                    icon_name="download",
                    order=300,
                    shown=may_use_statistics,
                ),
                clients.get_menu_item(),
            ]
        ),
        icon_name="table",
        order=230,
    )
