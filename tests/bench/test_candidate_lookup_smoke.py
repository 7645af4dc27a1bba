"""CI smoke run of the candidate-lookup benchmark's plan investigation (`bench.candidate_lookup`):
the selector's statements as it ran them, explained as the selector sends them."""

import pytest

from bench import app
from bench.candidate_lookup import explain, selector_statements
from tests.factories import TenantFactory
from tests.mapping.test_name_address_rules import _customer

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("postal_code", ["45127", ""])
def test_the_candidate_statement_is_explained_as_the_selector_sends_it(postal_code):
    tenant = TenantFactory()
    _customer(tenant, "Anna Müller", ("Hachestraße 12", "45127", "Essen", "DE"), person=True)
    party = app.Party.of(name="Anna Müller", street="Kantstraße 3", postal_code=postal_code,
                         city="Essen", person=True)  # fmt: skip

    plan = explain(selector_statements(tenant, party))

    assert any("Execution Time" in line for line in plan)
