"""Tenant scoping in the schema."""

from django.apps import apps
from django.db import models

from tenants.models import TenantScopedModel


def _leading_fields(model: type[models.Model]) -> list[str]:
    meta = model._meta
    firsts = [index.fields[0] for index in meta.indexes if index.fields]
    firsts += [
        constraint.fields[0]
        for constraint in meta.constraints
        if isinstance(constraint, models.UniqueConstraint) and constraint.fields
    ]
    return firsts


def test_every_tenant_scoped_model_has_an_index_that_leads_with_the_tenant():
    """The tenant foreign key has no index of its own: each model's tenant reads, and the
    deletion of a tenant, use one of these."""
    scoped = [m for m in apps.get_models() if issubclass(m, TenantScopedModel)]

    assert len(scoped) >= 9
    for model in scoped:
        assert "tenant" in _leading_fields(model), model.__name__
        assert not model._meta.get_field("tenant").db_index, model.__name__
