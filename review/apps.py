from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Review queue"

    def ready(self) -> None:
        # After this app's permissions exist (auth creates them on the same signal, connected
        # earlier): the Dispatcher group gets review.work_queue, so dispatchers keep the queue.
        post_migrate.connect(_sync_dispatcher_group, sender=self)


def _sync_dispatcher_group(sender, **kwargs) -> None:
    from tenants.services import dispatcher_group_sync

    dispatcher_group_sync()
