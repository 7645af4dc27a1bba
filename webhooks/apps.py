from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    name = "webhooks"
    verbose_name = "Outbound webhooks"

    def ready(self) -> None:
        from ordinavo.events import domain_events

        from . import receivers

        domain_events.connect(receivers.domain_events_record, dispatch_uid="webhooks.record")
