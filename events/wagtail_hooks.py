from urllib.parse import urlencode

from django.contrib.auth.models import Permission
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from events.admin_views import CancelRegistrationView, RestoreRegistrationView
from events.forms import EventAdminForm
from events.models import (
    Campaign,
    Employer,
    Event,
    JobListing,
    Registration,
    RegistrationStatus,
)


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


class RegistrationIndexView(IndexView):
    """Registrations are changed only through the cancel and restore actions (events.services),
    never through a generic edit form: no add, edit, copy or delete links."""

    def get_queryset(self):
        return super().get_queryset().select_related("event", "worker")

    def get_add_url(self):
        return None

    def get_edit_url(self, instance):
        return None

    def get_copy_url(self, instance):
        return None

    def get_delete_url(self, instance):
        return None

    def get_list_more_buttons(self, instance):
        if not self.user_has_permission("change"):
            return []
        query = urlencode({"next": self.request.get_full_path()})
        if instance.status == RegistrationStatus.CANCELLED:
            name, label, icon = "restore", _("Restore"), "undo"
        else:
            name, label, icon = "cancel", _("Cancel"), "cross"
        url = reverse(f"{RegistrationViewSet.name}:{name}", args=[instance.pk])
        return [MenuItem(label, url=f"{url}?{query}", icon_name=icon, priority=10)]


class RegistrationViewSet(ModelViewSet):
    """Organisers: registrations per event, masked name and phone only (never ID numbers)."""

    model = Registration
    name = "registrations"
    icon = "group"
    menu_label = _("Registrations")
    menu_order = 210
    add_to_admin_menu = True
    index_view_class = RegistrationIndexView
    list_display = [
        Column("event", label=_("event")),
        Column("masked_name", label=_("name"), accessor="worker.masked_name"),
        Column("masked_phone", label=_("mobile number"), accessor="worker.masked_phone"),
        Column("status", label=_("status"), accessor="get_status_display"),
        Column("channel", label=_("registered"), accessor="get_channel_display"),
        "created_at",
    ]
    list_filter = ["event", "status", "channel"]
    search_fields = ["worker__name"]
    ordering = ["-created_at", "-pk"]
    list_export: list[str] = []
    copy_view_enabled = False
    add_to_reference_index = False

    def get_urlpatterns(self):
        action_kwargs = {
            "permission_policy": self.permission_policy,
            "index_url_name": self.get_url_name("index"),
            "header_icon": self.icon,
        }
        return [
            path("", self.index_view, name="index"),
            path("results/", self.index_results_view, name="index_results"),
            path(
                "cancel/<int:pk>/",
                CancelRegistrationView.as_view(**action_kwargs),
                name="cancel",
            ),
            path(
                "restore/<int:pk>/",
                RestoreRegistrationView.as_view(**action_kwargs),
                name="restore",
            ),
        ]

    def get_permissions_to_register(self):
        # Only what the Organisers group uses: seeing registrations and acting on them.
        return Permission.objects.filter(
            content_type__app_label="events",
            codename__in=["view_registration", "change_registration"],
        )


@hooks.register("register_admin_viewset")
def register_registration_viewset():
    return RegistrationViewSet()
