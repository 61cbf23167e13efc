"""The two back-office roles that handle workers' personal data.

- Coordinators (村级协理员) register and correct workers of their own villages; which villages is
  set per person on their Coordinator record (the scope is enforced in the views and services).
- Subsidy officers file training-subsidy claims: they see workers of every region and may reveal
  full ID numbers (each view audited) and special-group flags.

`view_all_workers` is the permission that lifts the village scope. Permissions do not exist yet
on a fresh database (Django creates them after the last migration), hence get_or_create.
"""

from django.db import migrations

WORKER_PERMISSIONS = {
    "add_worker": "Can add worker",
    "change_worker": "Can change worker",
    "view_worker": "Can view worker",
    "view_full_id_number": "Can view full ID numbers",
    "view_special_groups": "Can view special-group flags",
    "view_all_workers": "Can view workers of every region",
}
ROLES = {
    "Coordinators": ["add_worker", "change_worker", "view_worker"],
    "Subsidy officers": [
        "view_worker",
        "view_all_workers",
        "view_full_id_number",
        "view_special_groups",
    ],
}


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")

    admin_type, _ = ContentType.objects.get_or_create(app_label="wagtailadmin", model="admin")
    access_admin, _ = Permission.objects.get_or_create(
        content_type=admin_type,
        codename="access_admin",
        defaults={"name": "Can access Wagtail admin"},
    )
    worker_type, _ = ContentType.objects.get_or_create(app_label="trainees", model="worker")
    for role, codenames in ROLES.items():
        group, _ = Group.objects.get_or_create(name=role)
        permissions = [
            Permission.objects.get_or_create(
                content_type=worker_type,
                codename=codename,
                defaults={"name": WORKER_PERMISSIONS[codename]},
            )[0]
            for codename in codenames
        ]
        group.permissions.add(access_admin, *permissions)


class Migration(migrations.Migration):
    dependencies = [
        ("trainees", "0003_workers_consent_audit_outbox"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        # These give "choose" rights to every group with admin access that exists when they run;
        # running after them keeps the roles to exactly the permissions above.
        ("wagtaildocs", "0011_add_choose_permissions"),
        ("wagtailimages", "0023_add_choose_permissions"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
