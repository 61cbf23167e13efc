from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.tables import Column
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from events.forms import EventAdminForm
from events.models import Campaign, Employer, Event, JobListing


class CampaignViewSet(SnippetViewSet):
    model = Campaign
    icon = "date"
    list_display = ["name", "starts_on", "ends_on"]
    search_fields = ["name", "theme"]


class EventViewSet(SnippetViewSet):
    model = Event
    icon = "calendar"
    menu_order = 100
    list_display = [
        "title",
        "kind",
        "region",
        "starts_at",
        "capacity",
        Column("status", label=_("status")),
    ]
    list_filter = ["kind", "status", "region", "campaign", "live"]
    search_fields = ["title", "venue", "trade"]
    ordering = ["-starts_at"]
    edit_handler = ObjectList(
        [
            MultiFieldPanel(
                [
                    FieldPanel("kind"),
                    FieldPanel("title"),
                    FieldPanel("campaign"),
                    FieldPanel("summary"),
                    FieldPanel("status"),
                    FieldPanel("organiser"),
                ],
                heading=_("Basics"),
            ),
            MultiFieldPanel(
                [
                    FieldPanel("venue"),
                    FieldPanel("address"),
                    FieldPanel("region"),
                    FieldPanel("map_url"),
                ],
                heading=_("Place"),
            ),
            MultiFieldPanel(
                [
                    FieldRowPanel([FieldPanel("starts_at"), FieldPanel("ends_at")]),
                    FieldRowPanel([FieldPanel("capacity"), FieldPanel("waiting_list_enabled")]),
                    FieldRowPanel(
                        [FieldPanel("registration_opens_at"), FieldPanel("registration_closes_at")]
                    ),
                ],
                heading=_("Dates and seats"),
            ),
            InlinePanel("sessions", label=_("Sessions"), min_num=1, heading=_("Sessions")),
            MultiFieldPanel([FieldPanel("fair_type")], heading=_("Job fair details")),
            InlinePanel("booths", label=_("Booths"), heading=_("Employers and booths")),
            MultiFieldPanel(
                [
                    FieldPanel("trade"),
                    FieldPanel("skill_level"),
                    FieldPanel("hours"),
                    FieldPanel("institution"),
                    FieldPanel("eligibility"),
                    FieldRowPanel([FieldPanel("min_age"), FieldPanel("max_age")]),
                    FieldPanel("eligible_region"),
                    FieldPanel("required_special_group"),
                ],
                heading=_("Training programme details"),
            ),
            FieldPanel("image"),
            FieldPanel("body"),
        ],
        base_form_class=EventAdminForm,
    )


class EmployerViewSet(SnippetViewSet):
    model = Employer
    icon = "site"
    list_display = ["name", "credit_code", "industry", "size", "region"]
    list_filter = ["industry", "size", "region"]
    search_fields = ["name", "credit_code"]


class JobListingViewSet(SnippetViewSet):
    model = JobListing
    icon = "clipboard-list"
    list_display = ["title", "employer", "headcount", "valid_until", "region"]
    list_filter = ["category", "employment_type", "region", "live"]
    search_fields = ["title", "work_content"]
    panels = [
        MultiFieldPanel(
            [
                FieldPanel("employer"),
                FieldPanel("title"),
                FieldPanel("category"),
                FieldPanel("headcount"),
                FieldPanel("employment_type"),
            ],
            heading=_("Job"),
        ),
        MultiFieldPanel(
            [
                FieldRowPanel(
                    [FieldPanel("salary_min"), FieldPanel("salary_max"), FieldPanel("salary_unit")]
                ),
                FieldPanel("benefits"),
            ],
            heading=_("Pay and benefits"),
        ),
        FieldPanel("requirements"),
        FieldPanel("work_content"),
        MultiFieldPanel(
            [FieldPanel("region"), FieldPanel("work_address")], heading=_("Place of work")
        ),
        MultiFieldPanel(
            [
                FieldRowPanel([FieldPanel("valid_from"), FieldPanel("valid_until")]),
                FieldPanel("contact_name"),
                FieldPanel("contact_phone"),
                FieldPanel("source"),
            ],
            heading=_("Validity and contact"),
        ),
        FieldPanel("fairs"),
    ]


class EventsGroup(SnippetViewSetGroup):
    menu_label = _("Fairs and training")
    menu_icon = "calendar"
    menu_order = 200
    items = (EventViewSet, JobListingViewSet, EmployerViewSet, CampaignViewSet)


register_snippet(EventsGroup)
