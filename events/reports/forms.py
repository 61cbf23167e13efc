"""Forms shared by the statistics screens and the statistics API."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from events.models import Campaign
from events.reports import selectors
from trainees.selectors import county_choices


class OverviewForm(forms.Form):
    campaign = forms.ModelChoiceField(
        label=gettext_lazy("Campaign"), queryset=Campaign.objects.all(), required=False
    )
    date_from = forms.DateField(
        label=gettext_lazy("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=gettext_lazy("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    county = forms.ChoiceField(label=gettext_lazy("County or district"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = [("", _("All"))] + county_choices()

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("date_from"), cleaned.get("date_to")
        if start and end and end < start:
            raise ValidationError(_("The end date cannot be before the start date."))
        return cleaned

    def filters(self) -> selectors.OverviewFilters:
        if not self.is_valid():
            return selectors.OverviewFilters()
        data = self.cleaned_data
        return selectors.OverviewFilters(
            campaign=data["campaign"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            county_code=data["county"],
        )
