from urllib.parse import urlencode

from django.contrib.auth.models import Permission
from django.urls import path, reverse
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem as AdminMenuItem
from wagtail.admin.panels import FieldPanel, FieldRowPanel, InlinePanel, MultiFieldPanel, ObjectList
from wagtail.admin.ui.menus import MenuItem
from wagtail.admin.ui.tables import Column
from wagtail.admin.views.generic import IndexView
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet
from wagtail.snippets.models import register_snippet
from wagtail.snippets.views.snippets import SnippetViewSet, SnippetViewSetGroup

from events.admin_views import (
    ActionOnlyViewSet,
    AttendanceIndexView,
    AttendanceView,
    CancelRegistrationView,
    NoGenericEditingMixin,
    RecordExcusalView,
    RestoreRegistrationView,
    RevokeScannerDeviceView,
    ScanLogIndexView,
    ScannerDeviceCreateView,
    ScannerDeviceIndexView,
    WithdrawExcusalView,
    scanned_name,
)
from events.coordination_views import PERMISSION as COORDINATION_PERMISSION
from events.coordination_views import RegisterWorkersView, tickets_pdf
from events.forms import EventAdminForm
from events.models import (
    Campaign,
    Employer,
    Event,
    EventStaff,
    JobListing,
    Registration,
    RegistrationStatus,
    ScanLog,
    ScannerDevice,
)
from events.reports.admin_views import (
    StatisticsClientViewSet,
    StatisticsViewSet,
    organises_any_event,
    statistics_menu,
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
            MultiFieldPanel(
                [
                    FieldRowPanel(
                        [FieldPanel("checkin_opens_minutes"), FieldPanel("checkin_closes_minutes")]
                    ),
                    FieldRowPanel(
                        [FieldPanel("late_after_minutes"), FieldPanel("early_leave_minutes")]
                    ),
                ],
                heading=_("Check-in and attendance"),
                classname="collapsed",
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


class RegistrationIndexView(NoGenericEditingMixin, IndexView):
    """Registrations are changed only through the cancel and restore actions (events.services),
    never through a generic edit form: no add, edit, copy or delete links."""

    def get_queryset(self):
        return super().get_queryset().select_related("event", "worker")

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


class RegistrationViewSet(ActionOnlyViewSet):
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

    def get_action_urlpatterns(self):
        action_kwargs = {
            "permission_policy": self.permission_policy,
            "index_url_name": self.get_url_name("index"),
            "header_icon": self.icon,
        }
        return [
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


# Check-in ----------------------------------------------------------------------------------------
# One "Check-in" menu: attendance, scanner devices and the scan log for the events a user
# organises (EventStaff organiser; superusers all), and event staff for editors and superusers.
# Scanners (the group with admin access only) see none of it: they use the scanner page.


class EventStaffViewSet(ModelViewSet):
    """Who works at which event: organisers run it, scanners only scan its tickets."""

    model = EventStaff
    icon = "user"
    menu_label = _("Event staff")
    form_fields = ["event", "user", "role"]
    list_display = ["event", "user", Column("role", label=_("role"), accessor="get_role_display")]
    list_filter = ["event", "role"]
    search_fields = ["user__username", "user__first_name", "user__last_name"]
    copy_view_enabled = False
    inspect_view_enabled = False
    add_to_reference_index = False

    def get_index_view_kwargs(self, **kwargs):
        queryset = EventStaff.objects.select_related("event", "user")
        return super().get_index_view_kwargs(queryset=queryset, **kwargs)


class ScannerDeviceViewSet(ActionOnlyViewSet):
    model = ScannerDevice
    icon = "mobile-alt"
    menu_label = _("Scanner devices")
    index_view_class = ScannerDeviceIndexView
    list_display = [
        "label",
        Column("event", label=_("event")),
        "created_at",
        "last_used_at",
        "revoked_at",
    ]
    list_filter = ["event"]
    ordering = ["-created_at"]

    def get_action_urlpatterns(self):
        common = {"permission_policy": self.permission_policy, "header_icon": self.icon}
        return [
            path(
                "new/",
                ScannerDeviceCreateView.as_view(
                    index_url_name=self.get_url_name("index"), **common
                ),
                name="add",
            ),
            path(
                "revoke/<int:pk>/",
                RevokeScannerDeviceView.as_view(
                    index_url_name=self.get_url_name("index"), **common
                ),
                name="revoke",
            ),
        ]

    def get_index_view_kwargs(self, **kwargs):
        return super().get_index_view_kwargs(revoke_url_name=self.get_url_name("revoke"), **kwargs)

    def get_permissions_to_register(self):
        return Permission.objects.filter(
            content_type__app_label="events",
            codename__in=["add_scannerdevice", "change_scannerdevice", "view_scannerdevice"],
        )


class ScanLogViewSet(ActionOnlyViewSet):
    model = ScanLog
    icon = "list-ul"
    menu_label = _("Scan log")
    index_view_class = ScanLogIndexView
    list_display = [
        "received_at",
        Column("event", label=_("event")),
        Column("session", label=_("session")),
        Column("result", label=_("result"), accessor="get_result_display"),
        Column("name", label=_("name"), accessor=scanned_name),
        Column("direction", label=_("direction"), accessor="get_direction_display"),
        "gate",
        Column("device", label=_("device")),
        Column("user", label=_("staff")),
    ]
    list_filter = ["event", "result", "gate"]
    ordering = ["-received_at", "-pk"]

    def get_permissions_to_register(self):
        return Permission.objects.filter(
            content_type__app_label="events", codename__in=["view_scanlog", "view_checkin"]
        )


class _OrganiserMenuItem(AdminMenuItem):
    def is_shown(self, request) -> bool:
        return organises_any_event(request)


class AttendanceViewSet(ViewSet):
    icon = "table"
    menu_label = _("Attendance")
    menu_item_class = _OrganiserMenuItem

    def get_urlpatterns(self):
        return [
            path(
                "",
                AttendanceIndexView.as_view(attendance_url_name=self.get_url_name("event")),
                name="index",
            ),
            path(
                "<int:event_id>/",
                AttendanceView.as_view(index_url_name=self.get_url_name("index")),
                name="event",
            ),
            path(
                "<int:event_id>/sessions/<int:session_id>/excusals/",
                RecordExcusalView.as_view(attendance_url_name=self.get_url_name("event")),
                name="record_excusal",
            ),
            path(
                "<int:event_id>/sessions/<int:session_id>/excusals/<int:registration_id>/withdraw/",
                WithdrawExcusalView.as_view(attendance_url_name=self.get_url_name("event")),
                name="withdraw_excusal",
            ),
        ]


class CheckInGroup(ViewSetGroup):
    menu_label = _("Check-in")
    menu_icon = "tick-inverse"
    menu_order = 220
    items = (
        AttendanceViewSet("attendance"),
        ScannerDeviceViewSet("scanner_devices"),
        ScanLogViewSet("scan_log"),
        EventStaffViewSet("event_staff"),
    )


@hooks.register("register_admin_viewset")
def register_checkin_group():
    return CheckInGroup()


# Coordinators: register workers of their villages for an event, print their tickets.
@hooks.register("register_admin_urls")
def register_coordination_urls():
    return [
        path(
            "coordination/register/",
            RegisterWorkersView.as_view(),
            name="events_coordination_register",
        ),
        path(
            "coordination/tickets/<int:event_id>/", tickets_pdf, name="events_coordination_tickets"
        ),
    ]


class CoordinationMenuItem(AdminMenuItem):
    def is_shown(self, request):
        return request.user.has_perm(COORDINATION_PERMISSION)


@hooks.register("register_admin_menu_item")
def register_coordination_menu_item():
    return CoordinationMenuItem(
        _("Register workers for an event"),
        reverse("events_coordination_register"),
        icon_name="group",
        order=250,
    )


# Statistics: per-event statistics and sheets, training attendance, the campaign overview, the
# user's exports and the statistics API's clients (events/reports/).
statistics_clients = StatisticsClientViewSet("statistics_clients")


@hooks.register("register_admin_viewset")
def register_statistics_viewset():
    return StatisticsViewSet("statistics")


@hooks.register("register_admin_viewset")
def register_statistics_clients_viewset():
    return statistics_clients


@hooks.register("register_admin_menu_item")
def register_statistics_menu():
    return statistics_menu(statistics_clients)
