from django.utils.translation import gettext_lazy as _
from wagtail.admin.forms import WagtailAdminModelForm


class EventAdminForm(WagtailAdminModelForm):
    """Cross-row checks the model cannot make alone: sessions must fall inside the event."""

    def clean(self):
        cleaned_data = super().clean()
        starts_at, ends_at = cleaned_data.get("starts_at"), cleaned_data.get("ends_at")
        sessions = self.formsets.get("sessions")
        if sessions is None or starts_at is None or ends_at is None:
            return cleaned_data
        kept = 0
        for form in sessions.forms:
            # The parent form is cleaned before its formsets, so validate each row here first.
            if not form.is_valid() or form.cleaned_data.get("DELETE"):
                continue
            session_start, session_end = (
                form.cleaned_data.get("starts_at"),
                form.cleaned_data.get("ends_at"),
            )
            if session_start is None or session_end is None:
                continue
            kept += 1
            if session_end <= session_start:
                form.add_error("ends_at", _("A session must end after it starts."))
            elif session_start < starts_at or session_end > ends_at:
                form.add_error(
                    "starts_at",
                    _("The session must lie between the start and the end of the event."),
                )
        if kept == 0:
            self.add_error(None, _("Add at least one session."))
        return cleaned_data
