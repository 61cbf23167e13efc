"""Reference rows and roles every installation needs.

- the benefit tags job listings can carry;
- job listings go through the "Moderators approval" workflow Wagtail creates in
  wagtailcore.0048, so an editor submits and a moderator publishes;
- editors may create and publish events and employers, but only moderators publish job listings.
"""

from django.db import migrations

BENEFIT_CODES = ["meals", "housing", "insurance", "shuttle", "overtime", "bonus", "leave", "training"]

EDITOR_PERMISSIONS = {
    "event": ["add", "change", "delete", "publish", "lock", "unlock"],
    "campaign": ["add", "change", "delete"],
    "employer": ["add", "change", "delete"],
    "joblisting": ["add", "change", "lock", "unlock"],
}
MODERATOR_EXTRA = {"joblisting": ["publish", "delete"]}


def forwards(apps, schema_editor):
    Benefit = apps.get_model("events", "Benefit")
    for code in BENEFIT_CODES:
        Benefit.objects.get_or_create(code=code)

    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    Workflow = apps.get_model("wagtailcore", "Workflow")
    WorkflowContentType = apps.get_model("wagtailcore", "WorkflowContentType")

    def permissions(spec):
        for model, actions in spec.items():
            content_type, _ = ContentType.objects.get_or_create(app_label="events", model=model)
            for action in actions:
                permission, _ = Permission.objects.get_or_create(
                    content_type=content_type,
                    codename=f"{action}_{model}",
                    defaults={"name": f"Can {action} {model}"},
                )
                yield permission

    editors = Group.objects.filter(name="Editors").first()
    moderators = Group.objects.filter(name="Moderators").first()
    if editors:
        editors.permissions.add(*permissions(EDITOR_PERMISSIONS))
    if moderators:
        moderators.permissions.add(*permissions(EDITOR_PERMISSIONS), *permissions(MODERATOR_EXTRA))

    workflow = Workflow.objects.filter(name="Moderators approval").first()
    if workflow:
        job_type, _ = ContentType.objects.get_or_create(app_label="events", model="joblisting")
        WorkflowContentType.objects.get_or_create(content_type=job_type, defaults={"workflow": workflow})


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0001_initial"),
        ("wagtailcore", "0048_add_default_workflows"),
        ("wagtailadmin", "0001_create_admin_access_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]
    operations = [migrations.RunPython(forwards, migrations.RunPython.noop)]
