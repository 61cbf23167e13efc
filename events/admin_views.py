"""Organiser actions on a registration in the Wagtail admin: a confirmation page (GET), then the
service call (POST). Thin: the rules are in events.services."""

import base64

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView, TemplateView, View
from wagtail.admin import messages
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.views.generic import IndexView
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin
from wagtail.admin.viewsets.model import ModelViewSet

from events import selectors, services, tickets
from events.models import (
    Event,
    Excusal,
    Registration,
    RegistrationStatus,
    ScanLog,
    ScannerDevice,
    Session,
)
from events.reports import charts


class RegistrationActionView(PermissionCheckedMixin, WagtailAdminTemplateMixin, TemplateView):
    permission_policy = None
    permission_required = "change"
    index_url_name = ""
    template_name = "events/registrations/admin_confirm.html"
    header_icon = "group"
    allowed_from: tuple[str, ...] = ()
    button_label = ""
    asks_reason = False

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.registration = get_object_or_404(
            Registration.objects.select_related("event", "worker"), pk=kwargs["pk"]
        )

    def get_page_subtitle(self):
        return str(self.registration)

    def next_url(self) -> str:
        """Back to the listing the organiser came from, filters included."""
        target = self.request.POST.get("next") or self.request.GET.get("next", "")
        if target and url_has_allowed_host_and_scheme(target, {self.request.get_host()}):
            return target
        return reverse(self.index_url_name)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            registration=self.registration,
            worker=self.registration.worker,
            next_url=self.next_url(),
            button_label=self.button_label,
            allowed=self.registration.status in self.allowed_from,
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if self.registration.status in self.allowed_from:
            self.perform()
        return redirect(self.next_url())

    def perform(self) -> None:
        raise NotImplementedError


class CancelRegistrationView(RegistrationActionView):
    page_title = gettext_lazy("Cancel registration")
    button_label = gettext_lazy("Yes, cancel it and tell the worker by SMS")
    allowed_from = (RegistrationStatus.CONFIRMED, RegistrationStatus.WAITLISTED)
    asks_reason = True

    def perform(self) -> None:
        services.cancel_registration(
            registration_id=self.registration.pk,
            by_user=self.request.user,
            reason=self.request.POST.get("reason", "").strip(),
        )
        messages.success(self.request, _("Registration cancelled: %s") % self.registration)


class RestoreRegistrationView(RegistrationActionView):
    page_title = gettext_lazy("Restore registration")
    button_label = gettext_lazy("Yes, restore it")
    allowed_from = (RegistrationStatus.CANCELLED,)

    def perform(self) -> None:
        result = services.restore_registration(
            registration_id=self.registration.pk, by_user=self.request.user
        )
        if result.registration.status == RegistrationStatus.CONFIRMED:
            messages.success(
                self.request, _("Registration confirmed again: %s") % result.registration
            )
        else:
            messages.warning(
                self.request,
                _("The event is full: %(registration)s is number %(position)s on the waiting list.")
                % {"registration": result.registration, "position": result.waitlist_position},
            )


# Check-in ----------------------------------------------------------------------------------------
# Scanner devices (create with a token shown once, revoke), the scan log, and live attendance.
# Each screen stays within the events where the user is an EventStaff organiser (superusers:
# all); an event outside them is a 404, as if absent. Names are masked, nothing is exported.


class _Breadcrumbs:
    """Home › the listing › this page, as Wagtail's generic views show it."""

    index_url_name = ""
    index_label = ""

    def get_breadcrumbs_items(self):
        items = [*self.breadcrumbs_items]
        if self.index_url_name and self.index_label:
            items.append({"url": reverse(self.index_url_name), "label": self.index_label})
        page = {"url": "", "label": self.get_page_title()}
        if subtitle := self.get_page_subtitle():
            page["sublabel"] = subtitle
        return [*items, page]


class ScannerDeviceForm(forms.Form):
    event = forms.ModelChoiceField(label=gettext_lazy("Event"), queryset=Event.objects.none())
    label = forms.CharField(
        label=gettext_lazy("Gate or device name"),
        max_length=60,
        help_text=gettext_lazy("e.g. 东门 1号机: shown in the scan log next to each scan."),
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = selectors.organised_events(user=user).order_by("-starts_at")


class NoGenericEditingMixin:
    """For listings whose rows change only through service actions (cancel, revoke) or never:
    no add, edit, copy, delete or inspect links."""

    def get_add_url(self):
        return None

    def get_edit_url(self, instance):
        return None

    def get_copy_url(self, instance):
        return None

    def get_delete_url(self, instance):
        return None

    def get_inspect_url(self, instance):
        return None


class ActionOnlyViewSet(ModelViewSet):
    """A listing whose rows change only through service actions (cancel, revoke) or never: no
    generic add, edit, copy, delete or inspect views, no spreadsheet export of the listing (the
    audited exports are elsewhere), nothing in the reference index. Subclasses add their
    actions' URLs in get_action_urlpatterns."""

    list_export: list[str] = []
    copy_view_enabled = False
    inspect_view_enabled = False
    add_to_reference_index = False

    def get_urlpatterns(self):
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            *self.get_action_urlpatterns(),
        ]

    def get_action_urlpatterns(self) -> list:
        return []


class RevocableIndexView(NoGenericEditingMixin, IndexView):
    """Token holders (scanner devices, statistics API clients): never edited, copied or deleted,
    only revoked, with a Revoke button on each row still valid for users who may change them."""

    revoke_url_name = ""

    def get_list_more_buttons(self, instance):
        if instance.revoked_at is not None or not self.user_has_permission("change"):
            return []
        url = reverse(self.revoke_url_name, args=[instance.pk])
        return [MenuItem(_("Revoke"), url=url, icon_name="cross", priority=10)]


class RevokeView(_Breadcrumbs, WagtailAdminTemplateMixin, TemplateView):
    """Are you sure? (GET), then revoke (POST) a token holder from a RevocableIndexView's row.
    Subclasses find the object (get_object: 404 when not the user's), list what identifies it
    (details), say what revoking does (consequence) and call the service (revoke)."""

    template_name = "events/admin/revoke.html"
    revoked_message = ""  # "%s": the object

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.object = self.get_object(kwargs["pk"])

    def get_object(self, pk: int):
        raise NotImplementedError

    def details(self) -> list[tuple[str, object]]:
        raise NotImplementedError

    def consequence(self) -> str:
        raise NotImplementedError

    def revoke(self) -> bool:
        raise NotImplementedError

    def get_page_subtitle(self):
        return str(self.object)

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            object=self.object,
            details=self.details(),
            consequence=self.consequence(),
            index_url=reverse(self.index_url_name),
            **kwargs,
        )

    def post(self, request, *args, **kwargs):
        if self.revoke():
            messages.success(request, self.revoked_message % self.object)
        return redirect(self.index_url_name)


class ScannerDeviceIndexView(RevocableIndexView):
    """Devices of the user's events."""

    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .filter(event__in=selectors.organised_events(user=self.request.user))
            .select_related("event")
        )


class ScannerDeviceCreateView(
    _Breadcrumbs, PermissionCheckedMixin, WagtailAdminTemplateMixin, FormView
):
    """The token appears once, in the answer to the POST (never in a URL, never stored): as
    text and as a QR code holding only the token, for the scanner page to read or paste."""

    permission_policy = None
    permission_required = "add"
    index_label = gettext_lazy("Scanner devices")
    header_icon = "mobile-alt"
    page_title = gettext_lazy("New scanner device")
    template_name = "events/admin/device_form.html"
    form_class = ScannerDeviceForm

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def get_context_data(self, **kwargs):
        return super().get_context_data(index_url=reverse(self.index_url_name), **kwargs)

    def form_valid(self, form):
        device, token = services.create_scanner_device(
            event_id=form.cleaned_data["event"].pk,
            label=form.cleaned_data["label"],
            by=self.request.user,
        )
        qr = base64.b64encode(tickets.qr_png(token)).decode("ascii")
        context = self.get_context_data(
            form=form,
            device=device,
            token=token,
            qr_data_uri=f"data:image/png;base64,{qr}",
            pairing_path=f"{reverse('scanner:device')}?event={device.event_id}",
        )
        return TemplateResponse(self.request, "events/admin/device_created.html", context)


class RevokeScannerDeviceView(PermissionCheckedMixin, RevokeView):
    permission_policy = None
    permission_required = "change"
    index_label = gettext_lazy("Scanner devices")
    header_icon = "mobile-alt"
    page_title = gettext_lazy("Revoke scanner device")
    revoked_message = gettext_lazy("Scanner device revoked: %s")

    def get_object(self, pk: int) -> ScannerDevice:
        return get_object_or_404(
            ScannerDevice.objects.filter(
                event__in=selectors.organised_events(user=self.request.user)
            ).select_related("event"),
            pk=pk,
        )

    def details(self):
        return [
            (_("Event"), self.object.event),
            (_("Gate or device name"), self.object.label),
            (_("Last used at"), self.object.last_used_at),
        ]

    def consequence(self) -> str:
        return _("The phone will be refused from its next scan on. Scans it made stay in the log.")

    def revoke(self) -> bool:
        return services.revoke_scanner_device(device_id=self.object.pk)


class ScanLogIndexView(NoGenericEditingMixin, IndexView):
    """Every scan of the user's events, newest first; read-only."""

    def get_base_queryset(self):
        return (
            super()
            .get_base_queryset()
            .filter(event__in=selectors.organised_events(user=self.request.user))
            .select_related("event", "session", "registration__worker", "device", "user")
        )


def scanned_name(scan: ScanLog) -> str:
    return scan.registration.worker.masked_name if scan.registration_id else ""


class AttendanceIndexView(_Breadcrumbs, WagtailAdminTemplateMixin, TemplateView):
    """The events the user organises, newest first, each linking to its attendance."""

    page_title = gettext_lazy("Attendance")
    header_icon = "table"
    template_name = "events/admin/attendance_index.html"
    attendance_url_name = ""
    limit = 100

    def dispatch(self, request, *args, **kwargs):
        if not selectors.organised_events(user=request.user).exists():
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_context_data(self, **kwargs):
        events = list(selectors.organised_events(user=self.request.user).order_by("-starts_at"))
        return super().get_context_data(
            events=[
                (event, reverse(self.attendance_url_name, args=[event.pk]))
                for event in events[: self.limit]
            ],
            **kwargs,
        )


class AttendanceView(_Breadcrumbs, WagtailAdminTemplateMixin, TemplateView):
    """Live attendance of one event: counters and arrivals per 15 minutes for one session (the
    one open now unless ?session= picks another), and for every session the counts of present,
    late, left early, absent and excused. A fixed number of queries whatever the event's size."""

    header_icon = "table"
    template_name = "events/admin/attendance.html"
    index_label = gettext_lazy("Attendance")

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.event = get_object_or_404(
            selectors.organised_events(user=request.user), pk=kwargs["event_id"]
        )

    def get_page_title(self):
        return self.event.title

    def get_context_data(self, **kwargs):
        event = self.event
        now = timezone.now()
        rules = selectors.attendance_rules(event=event)
        sessions = selectors.event_sessions(event_id=event.pk)
        current = selectors.session_at(sessions=sessions, rules=rules, at=now)
        wanted = self.request.GET.get("session", "")
        session = next((s for s in sessions if str(s.pk) == wanted), None) or current
        if session is None and sessions:
            # Before the first or after the last window: the nearest session in time.
            session = min(sessions, key=lambda s: abs(s.starts_at - now))
        counters = selectors.live_counters(
            event_id=event.pk, session_id=session.pk if session else None
        )
        arrivals = (
            selectors.arrivals_per_quarter(session=session, rules=rules, now=now) if session else []
        )
        # Per-session tallies are for classes; a fair's thousands of visitors need only counters.
        tallies = selectors.attendance_matrix(event=event).counts() if event.is_training else []
        excusals = []
        if event.is_training and session:
            excusals = list(
                Excusal.objects.filter(session=session)
                .select_related("registration__worker")
                .order_by("created_at", "pk")
            )
        return super().get_context_data(
            excusal_form=ExcusalForm(event=event) if event.is_training and session else None,
            excusals=excusals,
            event=event,
            session=session,
            current=current,
            sessions=sessions,
            counters=counters,
            chart=charts.arrivals_chart(
                chart_id="arrivals-chart", session=session, quarters=arrivals
            )
            if session
            else None,
            session_counts=tallies,
            statuses=selectors.AttendanceStatus.choices,
            index_url=reverse(self.index_url_name),
            **kwargs,
        )


class ExcusalForm(forms.Form):
    registration = forms.ModelChoiceField(
        queryset=Registration.objects.none(), label=gettext_lazy("Trainee")
    )
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=200)

    def __init__(self, *args, event: Event, **kwargs):
        super().__init__(*args, **kwargs)
        field = self.fields["registration"]
        field.queryset = (
            Registration.objects.filter(event=event, status=RegistrationStatus.CONFIRMED)
            .select_related("worker")
            .order_by("worker__name", "pk")
        )
        # Masked names can repeat; the phone's last four digits tell them apart.
        field.label_from_instance = lambda r: f"{r.worker.masked_name} · {r.worker.phone[-4:]}"


class _ExcusalAction(View):
    """POST only, from the attendance page, for the organisers of the session's event; back to
    the attendance page of that session."""

    attendance_url_name = ""
    http_method_names = ["post"]

    def setup(self, request, *args, **kwargs):
        super().setup(request, *args, **kwargs)
        self.event = get_object_or_404(
            selectors.organised_events(user=request.user), pk=kwargs["event_id"]
        )
        self.session = get_object_or_404(Session, event=self.event, pk=kwargs["session_id"])

    def back(self):
        url = reverse(self.attendance_url_name, args=[self.event.pk])
        return redirect(f"{url}?session={self.session.pk}")


class RecordExcusalView(_ExcusalAction):
    def post(self, request, *args, **kwargs):
        form = ExcusalForm(request.POST, event=self.event)
        if not form.is_valid():
            for errors in form.errors.values():
                messages.error(request, " ".join(errors))
            return self.back()
        registration = form.cleaned_data["registration"]
        try:
            services.excuse_absence(
                registration_id=registration.pk,
                session_id=self.session.pk,
                reason=form.cleaned_data["reason"],
                by=request.user,
            )
        except ValidationError as error:
            messages.error(request, " ".join(error.messages))
        else:
            messages.success(
                request, _("Excused absence recorded: %s") % registration.worker.masked_name
            )
        return self.back()


class WithdrawExcusalView(_ExcusalAction):
    def post(self, request, *args, **kwargs):
        if services.withdraw_excusal(
            registration_id=kwargs["registration_id"], session_id=self.session.pk
        ):
            messages.success(request, _("Excused absence withdrawn."))
        return self.back()
