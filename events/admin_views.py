"""Organiser actions on a registration in the Wagtail admin: a confirmation page (GET), then the
service call (POST). Thin: the rules are in events.services."""

from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import TemplateView
from wagtail.admin import messages
from wagtail.admin.views.generic.base import WagtailAdminTemplateMixin
from wagtail.admin.views.generic.permissions import PermissionCheckedMixin

from events import services
from events.models import Registration, RegistrationStatus


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
