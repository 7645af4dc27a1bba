"""The data move of issue #13: a target's external ID from mapping's Target references onto the
target (inbound 0012), and back when the migrations are reversed."""

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

pytestmark = pytest.mark.django_db(transaction=True)

BEFORE = [
    ("tenants", "0001_initial"),  # the tenant as that state's historical model writes it
    ("inbound", "0011_target_external_id"),
    ("mapping", "0003_tenant_index_in_composites"),
]


def _migrate(targets) -> object:
    """Migrate to `targets`; the apps (historical models) of that state."""
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    executor.loader.build_graph()
    return executor.loader.project_state(targets).apps


def _latest() -> list:
    return MigrationExecutor(connection).loader.graph.leaf_nodes()


def test_target_external_ids_move_onto_the_targets_and_back():
    old = _migrate(BEFORE)
    try:
        tenant = old.get_model("tenants", "Tenant").objects.create(slug="t", name="T")
        client_model = old.get_model("inbound", "IntegrationClient")
        erp = client_model.objects.create(tenant=tenant, name="ERP", source_system="erp")
        crm = client_model.objects.create(tenant=tenant, name="CRM", source_system="crm")
        target_model = old.get_model("inbound", "Target")
        imported, other, by_hand = (
            target_model.objects.create(tenant=tenant, client=client, title=title)
            for client, title in ((erp, "Imported"), (crm, "Same ID, other client"), (erp, "Hand"))
        )
        customer = old.get_model("customers", "Customer").objects.create(
            tenant=tenant, name="Kühl GmbH"
        )
        reference = old.get_model("mapping", "ExternalReference").objects
        # Another source system's reference to the imported target, made later: its own
        # client's reference wins.
        for source, external_id, target in (
            ("erp", "JOB-1", imported),
            ("crm", "JOB-1", other),
            ("crm", "JOB-X", imported),
        ):
            reference.create(
                tenant=tenant,
                source_system=source,
                external_type="Target",
                external_id=external_id,
                target=target,
                origin="Import",
            )
        reference.create(
            tenant=tenant,
            source_system="erp",
            external_type="Customer",
            external_id="C-1",
            customer=customer,
            origin="Import",
        )

        new = _migrate(_latest())
        targets = new.get_model("inbound", "Target").objects
        assert dict(targets.values_list("pk", "external_id")) == {
            imported.pk: "JOB-1",
            other.pk: "JOB-1",
            by_hand.pk: f"Target-{by_hand.pk}",
        }
        references = new.get_model("mapping", "ExternalReference").objects
        assert list(references.values_list("external_type", "external_id", "customer")) == [
            ("Customer", "C-1", customer.pk)
        ]

        old = _migrate(BEFORE)
        references = old.get_model("mapping", "ExternalReference").objects
        assert set(
            references.filter(external_type="Target").values_list(
                "source_system", "external_id", "target"
            )
        ) == {
            ("erp", "JOB-1", imported.pk),
            ("crm", "JOB-1", other.pk),
            ("erp", f"Target-{by_hand.pk}", by_hand.pk),
        }
        assert references.filter(external_type="Customer").count() == 1
    finally:
        _migrate(_latest())


def test_the_tallies_of_jobs_written_before_them_are_counted_from_their_items():
    old = _migrate([("inbound", "0015_importjob_processed_count_importjob_scopes_and_more")])
    try:
        tenant = old.get_model("tenants", "Tenant").objects.create(slug="t", name="T")
        client = old.get_model("inbound", "IntegrationClient").objects.create(
            tenant=tenant, name="ERP", source_system="erp"
        )
        job_model = old.get_model("inbound", "ImportJob")
        jobs = [job_model.objects.create(tenant=tenant, client=client, kind="Batch") for _ in "ab"]
        states = [
            (jobs[0], "Imported", "Mapped", "NotNeeded"),
            (jobs[0], "Imported", "Mapped", "NotNeeded"),
            (jobs[0], "Updated", "Failed", "Open"),
            (jobs[1], "Failed", "Skipped", "NotNeeded"),
        ]
        old.get_model("inbound", "ImportItem").objects.bulk_create(
            old.get_model("inbound", "ImportItem")(
                tenant=tenant,
                job=job,
                position=position,
                import_status=import_status,
                mapping_status=mapping_status,
                review_state=review_state,
            )
            for position, (job, import_status, mapping_status, review_state) in enumerate(states)
        )

        new = _migrate(_latest())

        tallies = new.get_model("inbound", "ImportJobTally").objects
        assert set(
            tallies.values_list("job", "import_status", "mapping_status", "review_state", "count")
        ) == {
            (jobs[0].pk, "Imported", "Mapped", "NotNeeded", 2),
            (jobs[0].pk, "Updated", "Failed", "Open", 1),
            (jobs[1].pk, "Failed", "Skipped", "NotNeeded", 1),
        }
    finally:
        _migrate(_latest())
