"""Check-in roles.

* Scanners: may enter the Wagtail admin and nothing else; what they scan is decided per event by
  EventStaff (role "scanner"), and without view_registration they see no registration listing.
* Organisers: also manage scanner devices and read the scan log and check-ins (per event: the
  screens show only events where the user is an EventStaff organiser).
* Editors: assign staff to events (EventStaff).

Permissions are created here if the post-migrate signal has not made them yet.
"""

from django.db import migrations

ACCESS_ADMIN = ("wagtailadmin", "admin", "access_admin", "Can access Wagtail admin")


def _model_permissions(model: str, actions: list[str]) -> list[tuple[str, str, str, str]]:
    verbose = {"scannerdevice": "scanner device", "scanlog": "scan", "checkin": "check-in"}
    name = verbose.get(model, model)
    if model == "eventstaff":
        name = "event staff"
    return [("events", model, f"{action}_{model}", f"Can {action} {name}") for action in actions]


GROUPS = {
    "Scanners": [ACCESS_ADMIN],
    "Organisers": [
        *_model_permissions("scannerdevice", ["add", "change", "view"]),
        *_model_permissions("scanlog", ["view"]),
        *_model_permissions("checkin", ["view"]),
    ],
    "Editors": _model_permissions("eventstaff", ["add", "change", "delete", "view"]),
}


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")

    for group_name, permissions in GROUPS.items():
        group, _ = Group.objects.get_or_create(name=group_name)
        for app_label, model, codename, name in permissions:
            content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
            permission, _ = Permission.objects.get_or_create(
                content_type=content_type, codename=codename, defaults={"name": name}
            )
            group.permissions.add(permission)


def backwards(apps, schema_editor):
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")
    Group.objects.filter(name="Scanners").delete()
    for group_name in ("Organisers", "Editors"):
        group = Group.objects.filter(name=group_name).first()
        if group is None:
            continue
        codenames = [codename for _app, _model, codename, _name in GROUPS[group_name]]
        group.permissions.remove(
            *Permission.objects.filter(content_type__app_label="events", codename__in=codenames)
        )


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0007_checkin"),
        ("events", "0006_organisers"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
