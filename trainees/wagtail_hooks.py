from wagtail import hooks
from wagtail.admin.viewsets.model import ModelViewSet

from trainees.models import Region


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
