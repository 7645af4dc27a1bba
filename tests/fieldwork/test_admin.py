"""Visit reports and billing documents added in the admin go through fieldwork.services, for a
target of the user's tenants; afterwards they are read-only.

fieldwork.services is built by the outbox work of issue #14 (stubs until then): these tests
stand in for it with recorders that save the row, and check the admin's wiring."""

from datetime import UTC, datetime
from decimal import Decimal

import pytest
from django.contrib.auth.models import Permission
from django.urls import reverse

from fieldwork import admin as fieldwork_admin
from fieldwork.models import BillingDocument, VisitReport
from tests.factories import TargetFactory, TenantMembershipFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def service_calls(monkeypatch) -> list[tuple[str, dict]]:
    calls = []

    def visit_report_submit(**kwargs):
        calls.append(("visit_report_submit", kwargs))
        return VisitReport.objects.create(tenant_id=kwargs["target"].tenant_id, **kwargs)

    def billing_document_create(**kwargs):
        calls.append(("billing_document_create", kwargs))
        return BillingDocument.objects.create(tenant_id=kwargs["target"].tenant_id, **kwargs)

    monkeypatch.setattr(fieldwork_admin, "visit_report_submit", visit_report_submit)
    monkeypatch.setattr(fieldwork_admin, "billing_document_create", billing_document_create)
    return calls


@pytest.fixture
def admin_of_one_tenant(client):
    """A staff user of one tenant who may add visit reports and billing documents."""
    target = TargetFactory()
    membership = TenantMembershipFactory(tenant=target.tenant)
    membership.user.user_permissions.add(
        *Permission.objects.filter(
            codename__in=[
                "add_visitreport",
                "view_visitreport",
                "add_billingdocument",
                "view_billingdocument",
                "view_target",
            ]
        )
    )
    client.force_login(membership.user)
    return client, target


def _visit_report_form(target_id: int) -> dict:
    return {
        "target": target_id,
        "submitted_at_0": "2026-12-01",
        "submitted_at_1": "14:30:00",
        "outcome": "Completed",
        "summary": "Filters replaced.",
    }


def _billing_form(target_id: int, **changes) -> dict:
    data = {
        "target": target_id,
        "number": "INV-1",
        "currency": "EUR",
        "amount": "238.00",
        "lines": '[{"description": "Visit", "quantity": 1, "unitPrice": "238.00"}]',
    }
    return {**data, **changes}


def test_a_visit_report_added_in_the_admin_is_submitted_through_the_service(
    admin_of_one_tenant, service_calls
):
    client, target = admin_of_one_tenant

    form = client.get(reverse("admin:fieldwork_visitreport_add"))
    response = client.post(
        reverse("admin:fieldwork_visitreport_add"), _visit_report_form(target.pk)
    )

    assert form.status_code == 200
    assert response.status_code == 302
    assert service_calls == [
        (
            "visit_report_submit",
            {
                "target": target,
                "outcome": "Completed",
                "summary": "Filters replaced.",
                "submitted_at": datetime(2026, 12, 1, 14, 30, tzinfo=UTC),
            },
        )
    ]
    report = VisitReport.objects.get()
    assert report.tenant_id == target.tenant_id


def test_a_billing_document_added_in_the_admin_is_created_through_the_service(
    admin_of_one_tenant, service_calls
):
    client, target = admin_of_one_tenant

    response = client.post(reverse("admin:fieldwork_billingdocument_add"), _billing_form(target.pk))

    assert response.status_code == 302
    ((name, kwargs),) = service_calls
    assert name == "billing_document_create"
    assert kwargs == {
        "target": target,
        "number": "INV-1",
        "currency": "EUR",
        "amount": Decimal("238.00"),
        "lines": [{"description": "Visit", "quantity": 1, "unitPrice": "238.00"}],
    }
    assert BillingDocument.objects.get().tenant_id == target.tenant_id


def test_another_tenants_target_cannot_be_chosen(admin_of_one_tenant, service_calls):
    client, _target = admin_of_one_tenant
    theirs = TargetFactory()

    report = client.post(reverse("admin:fieldwork_visitreport_add"), _visit_report_form(theirs.pk))
    bill = client.post(reverse("admin:fieldwork_billingdocument_add"), _billing_form(theirs.pk))
    search = client.get(
        reverse("admin:autocomplete"),
        {
            "app_label": "fieldwork",
            "model_name": "visitreport",
            "field_name": "target",
            "term": theirs.external_id,
        },
    )

    for response in (report, bill):
        assert "target" in response.context["adminform"].form.errors
    assert search.status_code == 200
    assert search.json()["results"] == []
    assert service_calls == []


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"currency": "eur"}, "currency"),
        ({"lines": '{"not": "a list"}'}, "lines"),
        ({"number": "INV-TAKEN"}, "number"),
    ],
)
def test_billing_document_errors_are_shown_on_the_form(
    admin_of_one_tenant, service_calls, changes, field
):
    client, target = admin_of_one_tenant
    BillingDocument.objects.create(
        tenant=target.tenant, target=target, number="INV-TAKEN", currency="EUR"
    )

    response = client.post(
        reverse("admin:fieldwork_billingdocument_add"), _billing_form(target.pk, **changes)
    )

    assert field in response.context["adminform"].form.errors
    assert service_calls == []


def test_visit_reports_and_billing_documents_are_read_only_once_saved(client):
    target = TargetFactory()
    report = VisitReport.objects.create(
        tenant=target.tenant, target=target, submitted_at=datetime.now(UTC), outcome="Completed"
    )
    bill = BillingDocument.objects.create(
        tenant=target.tenant, target=target, number="INV-9", currency="EUR"
    )
    client.force_login(UserFactory(username="root", is_superuser=True))

    for model, obj in (("visitreport", report), ("billingdocument", bill)):
        page = client.get(reverse(f"admin:fieldwork_{model}_change", args=[obj.pk]))
        change = client.post(reverse(f"admin:fieldwork_{model}_change", args=[obj.pk]), {})
        delete = client.post(
            reverse(f"admin:fieldwork_{model}_delete", args=[obj.pk]), {"post": "yes"}
        )
        assert page.status_code == 200
        assert target.tenant.name in page.content.decode()
        assert (change.status_code, delete.status_code) == (403, 403)
