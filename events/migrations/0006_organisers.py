"""The Organisers group: sees registrations in the admin and cancels or restores them.

Editors and Moderators are left as they are. Permissions are created here if the post-migrate
signal has not made them yet (a fresh database migrates before it runs).
"""

from django.db import migrations

GROUP = "Organisers"
PERMISSIONS = [
    ("events", "registration", "view_registration", "Can view registration"),
    ("events", "registration", "change_registration", "Can change registration"),
    ("wagtailadmin", "admin", "access_admin", "Can access Wagtail admin"),
]


def forwards(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")

    group, _ = Group.objects.get_or_create(name=GROUP)
    for app_label, model, codename, name in PERMISSIONS:
        content_type, _ = ContentType.objects.get_or_create(app_label=app_label, model=model)
        permission, _ = Permission.objects.get_or_create(
            content_type=content_type, codename=codename, defaults={"name": name}
        )
        group.permissions.add(permission)


def backwards(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(name=GROUP).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0005_registrations"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
        # After Wagtail's own data migrations, which give every admin group "choose document".
        ("wagtaildocs", "0014_alter_document_file_size"),
    ]
    operations = [migrations.RunPython(forwards, backwards)]
