"""Forms for the worker's own pages: sign-in and profile. Rules live in the services."""

from typing import Any

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from trainees import id_numbers
from trainees.models import ConsentKind, Education, EmploymentStatus, Region, SpecialGroup, Worker
from trainees.phones import normalise_mobile
from trainees.selectors import region_children, region_path
from trainees.services.profile import (
    OwnProfileSubmission,
    ProfileDetails,
    seal_id_number,
    unseal_id_number,
)
from trainees.services.signin import CODE_LENGTH


class PhoneForm(forms.Form):
    phone = forms.CharField(
        label=_("Mobile number"),
        max_length=20,
        widget=forms.TextInput(
            attrs={
                "type": "tel",
                "inputmode": "numeric",
                "autocomplete": "tel-national",
                "placeholder": "138 0000 0000",
            }
        ),
    )

    def clean_phone(self) -> str:
        return normalise_mobile(self.cleaned_data["phone"])


class CodeForm(forms.Form):
    code = forms.CharField(
        label=_("Code from the SMS"),
        max_length=12,
        widget=forms.TextInput(
            attrs={
                "inputmode": "numeric",
                "autocomplete": "one-time-code",
                "pattern": "[0-9 ]*",
                "class": "code-input",
            }
        ),
    )

    def clean_code(self) -> str:
        digits = "".join(
            character for character in self.cleaned_data["code"] if character.isdigit()
        )
        if len(digits) != CODE_LENGTH:
            raise ValidationError(_("Enter the 6 digits from the SMS."), code="code_format")
        return digits


def _blank(label: str) -> list[tuple[str, str]]:
    return [("", label)]


class ProfileForm(forms.Form):
    """The worker's profile. A valid ID number is never sent back in clear: after a failed
    submit it rides along sealed in `id_number_token` and shows masked."""

    name = forms.CharField(label=_("Name"), max_length=50)
    id_number = forms.CharField(
        label=_("ID number"),
        max_length=24,
        required=False,
        help_text=_(
            "The 18 characters on your ID card. Needed to sign up for subsidised training; "
            "your date of birth and sex are read from it."
        ),
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "characters"}
        ),
    )
    id_number_token = forms.CharField(required=False, widget=forms.HiddenInput)
    county = forms.ChoiceField(label=_("County or district"), required=False)
    township = forms.ChoiceField(
        label=_("Township or street"),
        required=False,
        error_messages={
            "invalid_choice": _("This township is not in the county you chose. Choose it again.")
        },
    )
    village = forms.ChoiceField(
        label=_("Village or community"),
        required=False,
        error_messages={
            "invalid_choice": _("This village is not in the township you chose. Choose it again.")
        },
    )
    residence = forms.CharField(
        label=_("Where you live now"),
        max_length=200,
        required=False,
        help_text=_("For example: 南宁市兴宁区民生街道"),
    )
    education = forms.ChoiceField(
        label=_("Education"), required=False, choices=_blank(_("Choose")) + Education.choices
    )
    employment_status = forms.ChoiceField(
        label=_("Work now"),
        required=False,
        choices=_blank(_("Choose")) + EmploymentStatus.choices,
    )
    skills = forms.CharField(
        label=_("Skills"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: welding, driving, cooking"),
    )
    certificates = forms.CharField(
        label=_("Certificates"),
        required=False,
        max_length=1000,
        widget=forms.Textarea(attrs={"rows": 2}),
        help_text=_("For example: electric welder, level 4"),
    )
    intended_trade = forms.CharField(label=_("Job you want"), max_length=100, required=False)
    intended_place = forms.CharField(
        label=_("Where you want to work"), max_length=100, required=False
    )
    expected_pay = forms.IntegerField(
        label=_("Pay you expect per month (yuan)"),
        required=False,
        min_value=0,
        max_value=1_000_000,
        widget=forms.NumberInput(attrs={"inputmode": "numeric"}),
    )
    privacy_consent = forms.BooleanField(
        label=_("I have read the privacy notice and agree that my information is used as it says."),
        error_messages={
            "required": _(
                "Tick the box to agree to the privacy notice. Without it we cannot save your details."
            )
        },
    )
    special_groups_consent = forms.BooleanField(
        label=_(
            "I agree that the bureau keeps the groups I tick below, to offer me the support "
            "meant for them."
        ),
        required=False,
    )
    special_groups = forms.MultipleChoiceField(
        label=_("Groups you belong to"),
        required=False,
        choices=SpecialGroup.choices,
        widget=forms.CheckboxSelectMultiple,
    )

    def __init__(
        self,
        *args: Any,
        user_id: int,
        worker: Worker | None = None,
        needs_privacy_consent: bool = True,
        **kwargs: Any,
    ):
        super().__init__(*args, **kwargs)
        self.user_id = user_id
        self.worker = worker
        # Shown instead of a full number: what is stored, or what was typed and carried along.
        self.carried_id_masked = ""
        if not needs_privacy_consent:
            del self.fields["privacy_consent"]
        if worker is not None and worker.id_number_masked:
            self.fields["id_number"].help_text = _(
                "Saved: %(masked)s. Type the number again only to correct it."
            ) % {"masked": worker.id_number_masked}
        county = self._value("county")
        township = self._value("township")
        self.fields["county"].choices = _blank(_("Choose")) + _pairs(region_children())
        self.fields["township"].choices = _blank(_("Choose")) + (
            _pairs(region_children(parent_code=county)) if county else []
        )
        self.fields["village"].choices = _blank(_("Choose")) + (
            _pairs(region_children(parent_code=township)) if township else []
        )

    def _value(self, name: str) -> str:
        if self.is_bound:
            return self.data.get(self.add_prefix(name), "") or ""
        return self.initial.get(name, "") or ""

    @classmethod
    def initial_for(cls, worker: Worker | None) -> dict[str, Any]:
        if worker is None:
            return {}
        path = {region.level: region.code for region in region_path(region=worker.hukou_region)}
        return {
            "name": worker.name,
            "county": path.get("county", ""),
            "township": path.get("township", ""),
            "village": path.get("village", ""),
            "residence": worker.residence,
            "education": worker.education,
            "employment_status": worker.employment_status,
            "skills": worker.skills,
            "certificates": worker.certificates,
            "intended_trade": worker.intended_trade,
            "intended_place": worker.intended_place,
            "expected_pay": worker.expected_pay,
            "special_groups_consent": worker.consents.filter(
                kind=ConsentKind.SPECIAL_GROUPS, withdrawn_at__isnull=True
            ).exists(),
            "special_groups": list(worker.special_groups.values_list("group", flat=True)),
        }

    def clean_name(self) -> str:
        name = self.cleaned_data["name"].strip()
        if not name:
            raise ValidationError(_("Enter your name."), code="required")
        return name

    def clean_id_number(self) -> str:
        # Spaces and dashes are how people copy the number off the card; id_numbers.normalise
        # keeps inner ones, so they go here.
        raw = "".join(self.cleaned_data.get("id_number", "").replace("-", " ").split())
        typed = id_numbers.normalise(raw)
        if typed:
            return id_numbers.parse(typed).number
        token = self.data.get(self.add_prefix("id_number_token"), "")
        if not token:
            return ""
        number = unseal_id_number(token=token, user_id=self.user_id)
        if not number:
            raise ValidationError(_("Type your ID number again, please."), code="id_number_again")
        return number

    def clean(self) -> dict[str, Any]:
        cleaned = super().clean()
        code = cleaned.get("village") or cleaned.get("township") or cleaned.get("county")
        cleaned["hukou_region"] = Region.objects.filter(code=code).first() if code else None
        if cleaned.get("special_groups") and not cleaned.get("special_groups_consent"):
            self.add_error(
                "special_groups",
                ValidationError(
                    _(
                        "Tick the box that allows us to keep this information, or untick the groups."
                    ),
                    code="special_groups_consent_required",
                ),
            )
        return cleaned

    def full_clean(self) -> None:
        super().full_clean()
        number = getattr(self, "cleaned_data", {}).get("id_number", "")
        if self.is_bound and number and "id_number" not in self.errors:
            # Re-rendered forms carry the number sealed and show it masked, never in clear.
            data = self.data.copy()
            data[self.add_prefix("id_number")] = ""
            data[self.add_prefix("id_number_token")] = seal_id_number(
                number=number, user_id=self.user_id
            )
            self.data = data
            self.carried_id_masked = id_numbers.mask(number)

    def forget_carried_id(self) -> None:
        """Drop a carried number that cannot be used (another worker has it), so the worker
        can save without it or type another."""
        data = self.data.copy()
        data[self.add_prefix("id_number_token")] = ""
        self.data = data
        self.carried_id_masked = ""

    def submission(self) -> OwnProfileSubmission:
        data = self.cleaned_data
        return OwnProfileSubmission(
            details=ProfileDetails(
                name=data["name"],
                hukou_region=data["hukou_region"],
                residence=data["residence"],
                education=data["education"],
                skills=data["skills"],
                certificates=data["certificates"],
                intended_trade=data["intended_trade"],
                intended_place=data["intended_place"],
                expected_pay=data["expected_pay"],
                employment_status=data["employment_status"],
            ),
            id_number=data["id_number"],
            privacy_consent=bool(data.get("privacy_consent")),
            special_groups_consent=data["special_groups_consent"],
            special_groups=tuple(data["special_groups"]),
        )


def _pairs(rows: list[dict[str, str]]) -> list[tuple[str, str]]:
    return [(row["code"], row["name"]) for row in rows]
