"""The database schema comes from the migrations alone: no post-migrate hook adds to it."""

from django.contrib.postgres.indexes import GinIndex
from django.contrib.postgres.operations import BtreeGinExtension, TrigramExtension
from django.db.migrations.loader import MigrationLoader


def _loader() -> MigrationLoader:
    return MigrationLoader(None, ignore_no_migrations=True)


def test_the_trigram_extensions_are_created_by_a_migration():
    operations = [
        type(operation)
        for migration in _loader().disk_migrations.values()
        for operation in migration.operations
    ]

    assert TrigramExtension in operations
    assert BtreeGinExtension in operations


def test_the_trigram_indexes_are_in_the_migrations():
    state = _loader().project_state()
    indexes = {
        index.name: index
        for model in (("customers", "customer"), ("inbound", "importitem"))
        for index in state.models[model].options["indexes"]
    }

    for name in ("customers_customer_name_trgm", "inbound_item_open_search"):
        assert isinstance(indexes.get(name), GinIndex), name
