"""Replace Wagtail's placeholder page with the site's home page and its three index pages."""

from django.db import migrations


def create_tree(apps, schema_editor):
    ContentType = apps.get_model("contenttypes", "ContentType")
    Page = apps.get_model("wagtailcore", "Page")
    Site = apps.get_model("wagtailcore", "Site")
    Locale = apps.get_model("wagtailcore", "Locale")
    HomePage = apps.get_model("cms", "HomePage")

    if HomePage.objects.exists():
        return
    locale = Locale.objects.order_by("pk").first()
    Page.objects.filter(depth=2, slug="home").delete()

    def content_type(model):
        return ContentType.objects.get_or_create(app_label="cms", model=model)[0]

    home = HomePage.objects.create(
        title="春风行动",
        draft_title="春风行动",
        slug="home",
        content_type=content_type("homepage"),
        path="00010001",
        depth=2,
        numchild=3,
        url_path="/home/",
        locale=locale,
        intro="就业暖心·春风送岗：招聘会、技能培训、岗位信息一站查询。",
    )
    children = [
        ("EventIndexPage", "eventindexpage", "招聘会与培训", "events"),
        ("JobIndexPage", "jobindexpage", "岗位信息", "jobs"),
        ("ArticleIndexPage", "articleindexpage", "新闻政策", "news"),
    ]
    for position, (class_name, model, title, slug) in enumerate(children, start=1):
        apps.get_model("cms", class_name).objects.create(
            title=title,
            draft_title=title,
            slug=slug,
            content_type=content_type(model),
            path=f"00010001{position:04d}",
            depth=3,
            numchild=0,
            url_path=f"/home/{slug}/",
            locale=locale,
        )
    Site.objects.update_or_create(
        is_default_site=True,
        defaults={"hostname": "localhost", "port": 80, "root_page_id": home.pk, "site_name": "春风行动"},
    )


class Migration(migrations.Migration):
    dependencies = [
        ("cms", "0002_initial"),
        ("wagtailcore", "0094_alter_page_locale"),
    ]
    operations = [migrations.RunPython(create_tree, migrations.RunPython.noop)]
