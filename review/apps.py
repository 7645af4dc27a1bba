from django.apps import AppConfig
from django.db.models.signals import post_migrate


class ReviewConfig(AppConfig):
    name = "review"
    verbose_name = "Review queue"

    def ready(self) -> None:
        from .search_indexes import ensure_search_indexes

        post_migrate.connect(ensure_search_indexes, sender=self)
