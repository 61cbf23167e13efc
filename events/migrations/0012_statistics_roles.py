"""Statistics roles.

* Bureau statistics (统计人员): reads the statistics of every event and the campaign overview and
  exports the official sheets, with ID numbers masked and without special groups.
* Subsidy officers also read every event's statistics and file subsidy claims; they already see
  full ID numbers and special groups (trainees.0004_roles), so their exports carry them.

Organisers see the statistics of the events they run through their EventStaff role, not through
a permission. Permissions are created here if the post-migrate signal has not made them yet.
"""

from django.db import migrations

ACCESS_ADMIN = ("wagtailadmin", "admin", "access_admin", "Can access Wagtail admin")
VIEW_STATISTICS = (
    "events",
    "event",
    "view_statistics",
    "Can view the statistics of every event and campaign",
)
GROUPS = {
    "Bureau statistics": [ACCESS_ADMIN, VIEW_STATISTICS],
    "Subsidy officers": [
        VIEW_STATISTICS,
        ("events", "subsidyclaim", "add_subsidyclaim", "Can add subsidy claim"),
        ("events", "subsidyclaim", "view_subsidyclaim", "Can view subsidy claim"),
    ],
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
    Group.objects.filter(name="Bureau statistics").delete()
    officers = Group.objects.filter(name="Subsidy officers").first()
    if officers is not None:
        officers.permissions.remove(
            *apps.get_model("auth", "Permission").objects.filter(
                codename__in=["view_statistics", "add_subsidyclaim", "view_subsidyclaim"]
            )
        )


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0011_statistics_exports"),
        ("trainees", "0004_roles"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
