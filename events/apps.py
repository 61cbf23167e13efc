from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Fairs, training and jobs")

    def ready(self):
        # A worker's data download (trainees) includes their registrations; trainees cannot
        # import events, so events plugs its section in.
        from events.selectors import registrations_for_data_export
        from trainees.services.profile import register_export_section

        register_export_section("registrations", registrations_for_data_export)
