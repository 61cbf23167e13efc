"""Filter forms of the public listings; they turn query strings into selector filters."""

from django import forms
from django.utils.translation import gettext_lazy as _

from events.models import Benefit, EventKind, JobCategory
from events.selectors import EventFilters, JobFilters
from trainees.selectors import county_choices


class EventFilterForm(forms.Form):
    kind = forms.ChoiceField(
        label=_("Kind"), required=False, choices=[("", _("All kinds")), *EventKind.choices]
    )
    county = forms.ChoiceField(label=_("County or district"), required=False)
    date_from = forms.DateField(
        label=_("From"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    date_to = forms.DateField(
        label=_("To"), required=False, widget=forms.DateInput(attrs={"type": "date"})
    )
    open_only = forms.BooleanField(label=_("Open for registration"), required=False)
    q = forms.CharField(label=_("Keyword"), required=False, max_length=50)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = [("", _("All counties")), *county_choices()]

    def clean(self):
        cleaned_data = super().clean()
        date_from, date_to = cleaned_data.get("date_from"), cleaned_data.get("date_to")
        if date_from and date_to and date_to < date_from:
            self.add_error("date_to", _("The end date cannot be before the start date."))
        return cleaned_data

    def to_filters(self) -> EventFilters:
        if not self.is_valid():
            return EventFilters()
        data = self.cleaned_data
        return EventFilters(
            kind=data["kind"],
            county_code=data["county"],
            date_from=data["date_from"],
            date_to=data["date_to"],
            open_only=data["open_only"],
            query=data["q"].strip(),
        )


class JobFilterForm(forms.Form):
    q = forms.CharField(label=_("Keyword"), required=False, max_length=50)
    county = forms.ChoiceField(label=_("County or district"), required=False)
    category = forms.ChoiceField(
        label=_("Category"),
        required=False,
        choices=[("", _("All categories")), *JobCategory.choices],
    )
    salary = forms.IntegerField(label=_("Pay at least (yuan)"), required=False, min_value=0)
    benefits = forms.MultipleChoiceField(
        label=_("Benefits"),
        required=False,
        choices=Benefit.Code.choices,
        widget=forms.CheckboxSelectMultiple,
    )
    expired = forms.BooleanField(label=_("Include expired jobs"), required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["county"].choices = [("", _("All counties")), *county_choices()]

    def to_filters(self) -> JobFilters:
        if not self.is_valid():
            return JobFilters()
        data = self.cleaned_data
        return JobFilters(
            county_code=data["county"],
            category=data["category"],
            salary_at_least=data["salary"],
            benefits=tuple(data["benefits"]),
            query=data["q"].strip(),
            include_expired=data["expired"],
        )
