from django.core.paginator import Paginator
from django.db import models
from django.http import Http404, HttpResponse
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _
from wagtail.admin.panels import FieldPanel
from wagtail.contrib.routable_page.models import RoutablePageMixin, path
from wagtail.contrib.settings.models import BaseSiteSetting, register_setting
from wagtail.fields import RichTextField, StreamField
from wagtail.models import Page
from wagtail.search import index

from cms.forms import EventFilterForm, JobFilterForm
from cms.ical import event_calendar
from events import selectors as event_selectors
from events.blocks import ContentStreamBlock
from events.models import EventKind

PAGE_SIZE = 20


def paginate(request, items):
    return Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))


class HomePage(Page):
    """The campaign home page: upcoming fairs and classes, latest jobs and news."""

    intro = models.CharField(_("introduction"), max_length=300, blank=True)
    campaign = models.ForeignKey(
        "events.Campaign",
        verbose_name=_("current campaign"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = StreamField(ContentStreamBlock(), verbose_name=_("content"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("intro"),
        FieldPanel("campaign"),
        FieldPanel("body"),
    ]
    parent_page_types = ["wagtailcore.Page"]
    max_count = 1

    class Meta:
        verbose_name = _("home page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        context["fairs"] = event_selectors.upcoming_events(kind=EventKind.JOB_FAIR, limit=6)
        context["trainings"] = event_selectors.upcoming_events(kind=EventKind.TRAINING, limit=6)
        context["jobs"] = event_selectors.latest_job_listings(limit=8)
        context["articles"] = ArticlePage.objects.live().order_by("-date", "-pk")[:4]
        return context


class FilteredIndexPage(RoutablePageMixin, Page):
    """An index page whose root route is a filtered, paginated listing of snippets it serves."""

    intro = models.CharField(_("introduction"), max_length=300, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types: list[str] = []
    max_count = 1
    filter_form_class: type[EventFilterForm] | type[JobFilterForm]
    items_name: str

    class Meta:
        abstract = True

    def filtered_items(self, filters):
        raise NotImplementedError

    @path("")
    def listing(self, request):
        form = self.filter_form_class(request.GET or None)
        items = paginate(request, self.filtered_items(form.to_filters()))
        return self.render(request, context_overrides={"form": form, self.items_name: items})


class EventIndexPage(FilteredIndexPage):
    """Lists fairs and training programmes and serves each one at <index>/<id>/."""

    filter_form_class = EventFilterForm
    items_name = "events"

    class Meta:
        verbose_name = _("event index page")

    def filtered_items(self, filters):
        return event_selectors.filter_events(filters=filters)

    @path("<int:pk>/")
    def detail(self, request, pk):
        event = event_selectors.event_for_public_page(pk=pk)
        if event is None:
            raise Http404
        return TemplateResponse(
            request,
            "events/event_detail.html",
            {
                "page": self,
                "event": event,
                "sessions": event.sessions.all(),
                "booths": event.booths.all(),
                "jobs": event_selectors.jobs_for_event(event=event)
                if event.kind == EventKind.JOB_FAIR
                else [],
            },
        )

    @path("<int:pk>/calendar/", name="calendar")
    def calendar(self, request, pk):
        event = event_selectors.event_for_public_page(pk=pk)
        if event is None:
            raise Http404
        url = request.build_absolute_uri(self.url + self.reverse_subpage("detail", args=[pk]))
        response = HttpResponse(
            event_calendar(event=event, url=url), content_type="text/calendar; charset=utf-8"
        )
        response["Content-Disposition"] = f'attachment; filename="event-{pk}.ics"'
        return response


class JobIndexPage(FilteredIndexPage):
    """Job search and the page of each job listing at <index>/<id>/."""

    filter_form_class = JobFilterForm
    items_name = "jobs"

    class Meta:
        verbose_name = _("job index page")

    def filtered_items(self, filters):
        return event_selectors.filter_job_listings(filters=filters)

    @path("<int:pk>/")
    def detail(self, request, pk):
        job = event_selectors.job_for_public_page(pk=pk)
        if job is None:
            raise Http404
        return TemplateResponse(
            request,
            "events/job_detail.html",
            {"page": self, "job": job, "fairs": job.fairs.all()},
        )


class ArticleIndexPage(Page):
    intro = models.CharField(_("introduction"), max_length=300, blank=True)

    content_panels = [*Page.content_panels, FieldPanel("intro")]
    parent_page_types = ["cms.HomePage"]
    subpage_types = ["cms.ArticlePage"]

    class Meta:
        verbose_name = _("news and policy index page")

    def get_context(self, request, *args, **kwargs):
        context = super().get_context(request, *args, **kwargs)
        articles = ArticlePage.objects.child_of(self).live().order_by("-date", "-pk")
        kind = request.GET.get("kind", "")
        if kind in ArticlePage.Kind.values:
            articles = articles.filter(kind=kind)
        context["kind"] = kind
        context["articles"] = paginate(request, articles)
        return context


class ArticlePage(Page):
    """A news item or a policy explanation."""

    class Kind(models.TextChoices):
        NEWS = "news", _("News")
        POLICY = "policy", _("Policy")

    kind = models.CharField(_("kind"), max_length=10, choices=Kind.choices, default=Kind.NEWS)
    date = models.DateField(_("date"), null=True, blank=True)
    summary = models.CharField(_("summary"), max_length=300, blank=True)
    body = StreamField(ContentStreamBlock(), verbose_name=_("content"), blank=True)

    content_panels = [
        *Page.content_panels,
        FieldPanel("kind"),
        FieldPanel("date"),
        FieldPanel("summary"),
        FieldPanel("body"),
    ]
    search_fields = [*Page.search_fields, index.SearchField("summary"), index.FilterField("kind")]
    parent_page_types = ["cms.ArticleIndexPage"]
    subpage_types: list[str] = []

    class Meta:
        verbose_name = _("news or policy page")


class StandardPage(Page):
    """A plain content page such as 'About' or a service guide."""

    body = RichTextField(_("content"), blank=True)

    content_panels = [*Page.content_panels, FieldPanel("body")]
    parent_page_types = ["cms.HomePage", "cms.StandardPage"]

    class Meta:
        verbose_name = _("standard page")


@register_setting(icon="site")
class SiteSettings(BaseSiteSetting):
    hotline = models.CharField(_("service hotline"), max_length=30, blank=True)
    footer = models.CharField(_("footer text"), max_length=300, blank=True)

    panels = [FieldPanel("hotline"), FieldPanel("footer")]

    class Meta:
        verbose_name = _("site settings")
