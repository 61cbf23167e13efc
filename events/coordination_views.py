"""Coordinators in the Wagtail admin: register workers of their villages for an event and print
their tickets. Thin: scope comes from trainees.selectors, rules from events.services."""

from django import forms
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse
from django.shortcuts import get_object_or_404
from django.template.response import TemplateResponse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.generic import FormView

from events import selectors, services, tickets
from events.models import Event, RegistrationChannel
from trainees.selectors import workers_in_scope

PERMISSION = "trainees.change_worker"


class WorkerChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, worker):
        village = worker.hukou_region.name if worker.hukou_region else ""
        return f"{worker.masked_name} · {worker.masked_phone} · {village}"


class RegisterWorkersForm(forms.Form):
    event = forms.ModelChoiceField(label=gettext_lazy("Event"), queryset=Event.objects.none())
    workers = WorkerChoiceField(
        label=gettext_lazy("Workers"), queryset=None, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["event"].queryset = selectors.events_open_for_registration()
        self.fields["workers"].queryset = (
            workers_in_scope(user=user).select_related("hukou_region").order_by("name")
        )


class RegisterWorkersView(FormView):
    """Pick an open event and workers of the coordinator's villages; register them all."""

    template_name = "events/coordination/register.html"
    form_class = RegisterWorkersForm

    def dispatch(self, request, *args, **kwargs):
        if not request.user.has_perm(PERMISSION):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "user": self.request.user}

    def form_valid(self, form):
        event = form.cleaned_data["event"]
        results = services.register_workers(
            event_id=event.pk,
            worker_ids=[worker.pk for worker in form.cleaned_data["workers"]],
            by_user=self.request.user,
            channel=RegistrationChannel.COORDINATOR,
        )
        return TemplateResponse(
            self.request,
            "events/coordination/register_done.html",
            {"event": event, "results": results},
        )


def tickets_pdf(request, event_id: int):
    """Every confirmed ticket of the coordinator's workers for one event, one A6 page each."""
    if not request.user.has_perm(PERMISSION):
        raise PermissionDenied
    event = get_object_or_404(Event, pk=event_id)
    registrations = selectors.confirmed_registrations_of_workers(
        event=event, workers=workers_in_scope(user=request.user)
    )
    if not registrations:
        return HttpResponse(
            _("None of your workers has a confirmed place at this event."), status=404
        )
    response = HttpResponse(tickets.ticket_pdf(registrations), content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="tickets-event-{event.pk}.pdf"'
    response["Cache-Control"] = "private, no-store"
    return response
