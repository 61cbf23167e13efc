from django.contrib.auth.models import Permission
from django.contrib.contenttypes.models import ContentType
from django.urls import path
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _
from wagtail import hooks
from wagtail.admin.menu import MenuItem
from wagtail.admin.ui.tables import Column, DateColumn
from wagtail.admin.viewsets.base import ViewSet, ViewSetGroup
from wagtail.admin.viewsets.model import ModelViewSet

from trainees.admin_views import (
    CoordinatorForm,
    CoverageView,
    RevealIdNumberView,
    RosterImportView,
    RosterProblemsView,
    RosterTemplateView,
    WorkerCreateForm,
    WorkerCreateView,
    WorkerDeleteView,
    WorkerEditForm,
    WorkerEditView,
    WorkerHistoryView,
    WorkerIndexView,
    WorkerUsageView,
    worker_permission_policy,
)
from trainees.models import Coordinator, Region, Worker


class RegionViewSet(ModelViewSet):
    model = Region
    icon = "site"
    menu_order = 900
    add_to_admin_menu = True
    list_display = ["name", "code", "level", "parent"]
    list_filter = ["level"]
    search_fields = ["name", "code"]
    form_fields = ["code", "name", "level", "parent"]


@hooks.register("register_admin_viewset")
def register_region_viewset():
    return RegionViewSet("regions")


class WorkerViewSet(ModelViewSet):
    """Workers of the user's villages; names, phones and ID numbers only ever shown masked."""

    model = Worker
    icon = "user"
    menu_label = _("Workers")
    index_view_class = WorkerIndexView
    add_view_class = WorkerCreateView
    edit_view_class = WorkerEditView
    delete_view_class = WorkerDeleteView
    history_view_class = WorkerHistoryView
    usage_view_class = WorkerUsageView
    copy_view_enabled = False
    # Keeps workers out of Wagtail's reference index, so a region's "usage" lists no one.
    add_to_reference_index = False
    list_display = [
        "__str__",
        Column("masked_phone", label=_("Mobile number")),
        Column("id_number_masked", label=_("ID number")),
        Column("hukou_region", label=_("Village")),
        "provenance",
        DateColumn("created_at", label=_("Recorded at"), sort_key="created_at"),
    ]
    list_filter = ["provenance"]
    search_fields = ["name"]  # turns the search box on; WorkerIndexView also matches phone ends
    create_template_name = "trainees/admin/worker_create.html"
    edit_template_name = "trainees/admin/worker_edit.html"

    def get_form_class(self, for_update: bool = False):
        return WorkerEditForm if for_update else WorkerCreateForm

    def get_permissions_to_register(self):
        # All of them, "view" included: it opens the listing (subsidy officers) although there
        # is no inspect view, and the group editor should be able to grant it.
        return Permission.objects.filter(content_type=ContentType.objects.get_for_model(Worker))

    def get_common_view_kwargs(self, **kwargs):
        return super().get_common_view_kwargs(reveal_url_name=self.get_url_name("reveal"), **kwargs)

    def get_urlpatterns(self):
        reveal = RevealIdNumberView.as_view(index_url_name=self.get_url_name("index"))
        return [*super().get_urlpatterns(), path("reveal/<int:pk>/", reveal, name="reveal")]


def _menu_item_for(*actions: str) -> type[MenuItem]:
    """A menu item shown to users with any of these permissions on workers."""

    def is_shown(self, request) -> bool:
        return worker_permission_policy.user_has_any_permission(request.user, actions)

    return type("WorkerPermissionMenuItem", (MenuItem,), {"is_shown": is_shown})


class RosterViewSet(ViewSet):
    icon = "upload"
    menu_label = _("Import roster")
    workers_index_url_name = "workers:index"

    @cached_property
    def menu_item_class(self) -> type[MenuItem]:
        return _menu_item_for("add")

    def get_urlpatterns(self):
        upload = RosterImportView.as_view(
            template_xlsx_url_name=self.get_url_name("template_xlsx"),
            template_csv_url_name=self.get_url_name("template_csv"),
            problems_url_name=self.get_url_name("problems"),
            index_url_name=self.workers_index_url_name,
        )
        return [
            path("", upload, name="import"),
            path(
                "template.xlsx",
                RosterTemplateView.as_view(file_format="xlsx"),
                name="template_xlsx",
            ),
            path(
                "template.csv", RosterTemplateView.as_view(file_format="csv"), name="template_csv"
            ),
            path("problems.csv", RosterProblemsView.as_view(), name="problems"),
        ]


class CoverageViewSet(ViewSet):
    icon = "table"
    menu_label = _("Registration coverage")

    @cached_property
    def menu_item_class(self) -> type[MenuItem]:
        return _menu_item_for(*CoverageView.any_permission_required)

    def get_urlpatterns(self):
        report = CoverageView.as_view(index_url_name=self.get_url_name("report"))
        return [path("", report, name="report")]


def _region_names(coordinator: Coordinator) -> str:
    return "、".join(region.name for region in coordinator.regions.all())


class CoordinatorViewSet(ModelViewSet):
    """Which user coordinates which villages; for superusers (nobody else holds its rights)."""

    model = Coordinator
    icon = "group"
    menu_label = _("Coordinators")
    copy_view_enabled = False
    list_display = [
        "__str__",
        Column("regions", label=_("Villages or townships"), accessor=_region_names),
    ]
    search_fields = ["user__username", "user__first_name", "user__last_name"]

    def get_form_class(self, for_update: bool = False):
        return CoordinatorForm

    def get_index_view_kwargs(self, **kwargs):
        queryset = Coordinator.objects.select_related("user").prefetch_related("regions")
        return super().get_index_view_kwargs(queryset=queryset, **kwargs)


class WorkersGroup(ViewSetGroup):
    menu_label = _("Workers")
    menu_icon = "group"
    menu_order = 300
    items = (
        WorkerViewSet("workers"),
        RosterViewSet("roster"),
        CoverageViewSet("coverage"),
        CoordinatorViewSet("coordinators"),
    )


@hooks.register("register_admin_viewset")
def register_workers_group():
    return WorkersGroup()
