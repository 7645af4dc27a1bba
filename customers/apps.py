from django.apps import AppConfig
from django.db.models.signals import post_migrate


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = "Customer master data"

    def ready(self) -> None:
        from .search_indexes import ensure_search_indexes

        post_migrate.connect(ensure_search_indexes, sender=self)
