"""The candidate search's rules written in Python (mapping.search_keys) answer as PostgreSQL's."""

import itertools

import pytest
from django.db import connection

from mapping.search_keys import house_numbers_meet, trigram_similarity

pytestmark = pytest.mark.django_db

NAMES = [
    "nordsee feinkost",
    "nordseefeinkost",
    "nordsee feinkosts",
    "nordsee feinkost handel",
    "fitwerk studios 24",
    "mueller 2 go",
    "a",
    "",
    "weg kaiser wilhelm strasse 12",
    "wohnungseigentuemergemeinschaft kaiser wilhelm strasse 12",
    "smith sons",
    "aaa aa a",
    "de vries jan",
]


def test_trigram_similarity_is_pg_trgms():
    pairs = list(itertools.product(NAMES, repeat=2))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT similarity(a, b) FROM unnest(%s::text[], %s::text[]) AS p(a, b)",
            [[a for a, _ in pairs], [b for _, b in pairs]],
        )
        expected = [row[0] for row in cursor.fetchall()]

    assert [trigram_similarity(a, b) for a, b in pairs] == pytest.approx(expected, abs=1e-6)


HOUSE_NUMBERS = ["", "12", "12a", "249", "251", "253", "249-253", "12-", "-12", "249-251-253"]


def test_house_numbers_meet_as_in_the_candidate_statement():
    """The rule as `mapping.sql`'s statement writes it."""
    pairs = list(itertools.product(HOUSE_NUMBERS, repeat=2))
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (q = '' OR l = '' OR l = q OR q = ANY(string_to_array(l, '-'))"
            " OR l = ANY(string_to_array(q, '-'))) FROM unnest(%s::text[], %s::text[]) AS p(q, l)",
            [[q for q, _ in pairs], [stored for _, stored in pairs]],
        )
        expected = [row[0] for row in cursor.fetchall()]

    assert [house_numbers_meet(q, stored) for q, stored in pairs] == expected
