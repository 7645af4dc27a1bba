"""The mapping app's hand-written SQL, in one place: the batch's reference read, the candidate
search and the advisory locks. Table and column names come from the models' `_meta`, quoted."""

import functools
import re

from django.db import connection

from customers.models import Customer, Location
from customers.normalization import GENERATIONS
from ordinavo.db import quoted_column, quoted_table, select_columns

from .matching.party import STORED_LENGTH, STORED_NUMBER_LENGTH, STORED_PHONE_LENGTH
from .models import ExternalReference


def _quote(name: str) -> str:
    return connection.ops.quote_name(name)


# --- the records of a batch's references ----------------------------------------------------------


def references_column(name: str) -> str:
    """A column of the references (alias `r`)."""
    return f"r.{quoted_column(ExternalReference, name)}"


def record_join(reference_field, alias: str) -> str:
    """The join of the record a reference's foreign key `reference_field` points at, under
    `alias`: LATERAL … OFFSET 0, one probe of its primary key whatever the table sizes were when
    the (prepared) statement was planned."""
    model = reference_field.related_model
    key = _quote(model._meta.pk.column)
    return (
        f"LEFT JOIN LATERAL (SELECT * FROM {quoted_table(model)} "  # noqa: S608 (quoted identifiers)
        f"WHERE {key} = r.{_quote(reference_field.column)} OFFSET 0) {alias} ON TRUE"
    )


def references_sql(select: list[str], joins: list[str]) -> str:
    """The references of one tenant's source system with these (type, ID) pairs, and their
    records (`joins`), selecting `select`. Parameters: the types and the IDs (two arrays, in
    pairs), the tenant, the source system.

    Per wanted ID one probe of the unique (tenant, source, type, ID) index, then one of each
    record's primary key: every join is LATERAL … OFFSET 0, so that is the plan whatever the
    table sizes were when it was made. So the statement can be prepared: a generic plan made
    while the tables were nearly empty otherwise hash-joined whole tables, and planning it anew
    on every run was a third of a single import's database time (bench/import_throughput.py).
    """
    r = {
        name: quoted_column(ExternalReference, name)
        for name in ("tenant", "source_system", "external_type", "external_id")
    }
    return (
        f"SELECT {', '.join(select)} "  # noqa: S608 (quoted identifiers, placeholders)
        "FROM unnest(%s::text[], %s::text[]) AS w(external_type, external_id) "
        f"JOIN LATERAL (SELECT * FROM {quoted_table(ExternalReference)} r "
        f"WHERE r.{r['tenant']} = %s AND r.{r['source_system']} = %s "
        f"AND r.{r['external_type']} = w.external_type "
        f"AND r.{r['external_id']} = w.external_id OFFSET 0) r ON TRUE "
        f"{' '.join(joins)} WHERE TRUE"
    )


# --- name-and-address candidates -----------------------------------------------------------------

# The search for one party (`q`, a row of candidate_records_sql's parties), its customers
# * at its address (same postal code, street key and house number, or a number on one side only)
#   and with its e-mail address, all of them; with its phone number (customers_cust_tenant_phone);
# * for a private person, with its family name's sound (Kölner Phonetik of the last word, or of
#   the first: "Müller, Hans") at a location in its postal code (customers_location_family):
#   Meier is found as Mayer, Schmitt as Schmidt, at any street of the postal code (these two
#   read their indexes only, customers_location_address and _family INCLUDE the house number
#   and the customer; the second then reads each customer found by its key, for its person
#   words), but not a relative or namesake there whose given names cannot agree with
#   the party's (by their initials, `evidence.given_initials`) and that shares no house number,
#   e-mail or phone: the matcher would leave it unscored (`decision._unscored`), and these are
#   the most of a common family name's;
# and by name, each lookup with its own LIMIT:
# * the same normalized name anywhere in the tenant (btree customers_customer_tenant_norm), also
#   with its two or three words in another order ("Weber, Anna" is "Anna Weber"): a customer that
#   moved is found under its name wherever it is now; but not a private person whose name is too
#   common to be worth a look at another address (`search_keys.namesakes_beyond_review`) where
#   every address of its is another street or town, and it shares no house number, e-mail or
#   phone with the party: left unscored too;
# * a company's name without the site after it, in any tenant postal code: "FitWerk Studios,
#   Studio Essen" or "Pflegedienst Lebensfreude Essen" in Essen is found under "fitwerk studios"
#   or "pflegedienst lebensfreude" (a chain's new site; `search_keys.site_bases`, scoring decides);
# * for a company, a similar name (typos, words added or dropped) among the customers with a
#   location at the party's postal code (the trigram GiST customers_location_name_trgm of
#   tenant, postal code and the customer's name copied onto its locations); a person's
#   namesakes there are found by the family name's sound, and a typo in a person's family name
#   at the same address by the address;
# * only for a party without a postal code, and only when no customer has its very name (in any
#   word order): a similar
#   name anywhere in the tenant (the pg_trgm GIN). This is the expensive search (tens of ms at a
#   million customers), so a party with a postal code does not pay it: a customer that moved
#   *and* is written differently is then found only by its e-mail or new address.
# Locations keep the postal code as it was sent ("3014 GK", "M1 1AE"), a party has it normalized
# ("3014GK"): the spellings of the party's code are looked up (`search_keys.postal_code_spellings`).
# The SET LOCAL of the trigram threshold before it (TRIGRAM_THRESHOLD_SET_SQL) makes two
# statements when a party has no postal code.
# `::bigint`: btree_gin's int8 class has no bigint = integer operator, and without the cast the
# GIN cannot use its tenant column.
_CANDIDATES_SQL = """
        (
            SELECT l.{l_customer} AS id FROM {location} l
            WHERE q.street_key <> ''
              AND l.{l_tenant} = %(tenant)s::bigint
              AND l.{l_postal_code} IN (q.postal_code, q.spelling_1, q.spelling_2, q.spelling_3)
              AND l.{l_street_key} = q.street_key
              -- the same number, or an end of the other's range (matching.places)
              AND (q.house_number = '' OR l.{l_house_number} = '' OR {l_meets})
        )
        UNION
        (
            SELECT l.{l_customer} FROM {location} l
            JOIN {customer} c ON c.{c_id} = l.{l_customer} AND c.{c_tenant} = %(tenant)s::bigint
            WHERE q.person AND q.family_keys <> '' AND q.postal_code <> ''
              AND l.{l_tenant} = %(tenant)s::bigint
              AND l.{l_postal_code} IN (q.postal_code, q.spelling_1, q.spelling_2, q.spelling_3)
              AND l.{l_family_key} = ANY(string_to_array(q.family_keys, '|'))
              AND l.{l_family_key} <> ''
              -- Not one whose given names cannot agree (their initials: as written, every word
              -- but the last; with the family name first, every word but the first; see
              -- evidence.given_initials) and that shares no house, e-mail or phone: out of reach.
              AND NOT (
                  q.initials_written <> '' AND c.{c_person_words} LIKE '%% %%'
                  AND NOT string_to_array(c.{c_person_words}, ' ') && {generations}
                  AND NOT string_to_array({initials_written}, NULL)
                      && string_to_array(q.initials_written, NULL)
                  AND NOT string_to_array({initials_swapped}, NULL)
                      && string_to_array(q.initials_swapped, NULL)
                  AND {contact_differs}
                  AND NOT EXISTS (
                      SELECT FROM {location} h
                      WHERE h.{l_tenant} = %(tenant)s::bigint AND h.{l_customer} = c.{c_id}
                        AND {h_may_be_the_house}
                  )
              )
        )
        UNION
        (
            SELECT c.{c_id} FROM {customer} c
            WHERE q.phone <> '' AND c.{c_tenant} = %(tenant)s::bigint
              AND c.{c_phone_key} = q.phone AND c.{c_phone_key} <> ''
            ORDER BY c.{c_id}
            LIMIT %(limit)s
        )
        UNION
        (
            SELECT c.{c_id} FROM {customer} c
            WHERE q.email <> '' AND c.{c_tenant} = %(tenant)s::bigint
              -- any case on both sides: the expression index customers_cust_tenant_email_ci
              AND upper(c.{c_email}) = upper(q.email)
        )
        UNION
        (
            SELECT n.{c_id} FROM (
                SELECT * FROM {customer} c
                WHERE q.name <> ''
                  AND c.{c_tenant} = %(tenant)s::bigint
                  AND c.{c_normalized_name} = ANY(string_to_array(q.word_orders, '|'))
                ORDER BY c.{c_id}
                LIMIT %(limit)s
            ) n
            -- Not a namesake beyond review (q.namesake_words) at every one of its addresses.
            WHERE NOT (
                n.{c_person_words} <> ''
                AND n.{c_person_words} = ANY(string_to_array(q.namesake_words, '|'))
                AND {n_contact_differs}
                AND EXISTS (
                    SELECT FROM {location} l
                    WHERE l.{l_tenant} = %(tenant)s::bigint AND l.{l_customer} = n.{c_id}
                )
                AND NOT EXISTS (
                    SELECT FROM {location} l
                    WHERE l.{l_tenant} = %(tenant)s::bigint AND l.{l_customer} = n.{c_id}
                      AND NOT (
                          l.{l_street_name} <> '' AND l.{l_postal_code} ~ '[[:alnum:]]'
                          AND length(l.{l_street_name}) < {stored_length}
                          AND length(l.{l_street_written}) < {stored_length}
                          AND NOT {l_may_be_the_house}
                      )
                )
            )
        )
        UNION
        (
            SELECT c.{c_id} FROM {customer} c
            WHERE q.site_bases <> ''
              AND c.{c_tenant} = %(tenant)s::bigint
              AND c.{c_normalized_name} = ANY(string_to_array(q.site_bases, '|'))
            ORDER BY c.{c_id}
            LIMIT %(limit)s
        )
        UNION
        (
            -- The customer's name on its locations (a copy) in the pg_trgm GIN of (tenant,
            -- postal code, name): the index intersects the postal code's locations with the
            -- similar names. `%%` at the statement's threshold (TRIGRAM_THRESHOLD_SET_SQL, never
            -- above this one), the similarity itself decides. Only the spellings some location
            -- has (a btree probe each): the GiST is searched once per code, and a code no
            -- location has cost as much as one it holds (a third of the statement's time).
            SELECT l.{l_customer} FROM {location} l
            WHERE q.name <> '' AND q.postal_code <> '' AND NOT q.person
              AND l.{l_tenant} = %(tenant)s::bigint
              AND l.{l_postal_code} = ANY(ARRAY(
                  SELECT s FROM unnest(ARRAY[q.postal_code, q.spelling_1, q.spelling_2,
                                             q.spelling_3]) AS s
                  WHERE EXISTS (
                      SELECT FROM {location} h
                      WHERE h.{l_tenant} = %(tenant)s::bigint AND h.{l_postal_code} = s
                  )
              ))
              AND l.{l_normalized_name} %% q.name
              AND similarity(l.{l_normalized_name}, q.name) >= %(threshold)s
            GROUP BY l.{l_customer}
            ORDER BY max(similarity(l.{l_normalized_name}, q.name)) DESC, l.{l_customer}
            LIMIT %(limit)s
        )
        UNION
        (
            SELECT c.{c_id} FROM {customer} c
            WHERE q.name <> '' AND q.postal_code = ''
              AND c.{c_tenant} = %(tenant)s::bigint AND c.{c_normalized_name} %% q.name
              AND similarity(c.{c_normalized_name}, q.name) >= %(tenant_wide_threshold)s
              AND NOT EXISTS (
                  SELECT FROM {customer} e
                  WHERE e.{c_tenant} = %(tenant)s::bigint
                    AND e.{c_normalized_name} = ANY(string_to_array(q.word_orders, '|'))
              )
            ORDER BY similarity(c.{c_normalized_name}, q.name) DESC, c.{c_id}
            LIMIT %(limit)s
        )
"""


def _house_numbers_meet(column: str) -> str:
    """`search_keys.house_numbers_meet` of the party's number and a location's (`column`), both
    given: maybe the same house."""
    return (
        f"(q.house_number <> '' AND {column} <> '' AND ({column} = q.house_number "
        f"OR q.house_number = ANY(string_to_array({column}, '-')) "
        f"OR {column} = ANY(string_to_array(q.house_number, '-'))))"
    )


def _may_be_the_house(column: str) -> str:
    """The matcher may find a location's number (`column`) the party's: the numbers meet, or
    the stored one is as long as its column (cut: the matcher reads the street's again)."""
    return f"(length({column}) >= {STORED_NUMBER_LENGTH} OR {_house_numbers_meet(column)})"


def _contact_differs(alias: str) -> str:
    """A customer's (`alias`, its own column names) e-mail and phone are not the party's as the
    matcher compares them (`Party`: the e-mail stripped and case-folded, the phone key): told
    only for an e-mail of printable ASCII (its case folding is its lower case) and an uncut
    phone key; otherwise they may be the same."""
    email, phone = (f"{alias}.{quoted_column(Customer, f)}" for f in ("email", "phone_key"))
    return (
        f"(q.email = '' OR {email} = '' OR ({email} COLLATE \"C\" !~ '[^!-~]' "
        f'AND lower({email} COLLATE "C") <> q.email)) '
        f"AND (q.phone = '' OR (length({phone}) < {STORED_PHONE_LENGTH} AND {phone} <> q.phone))"
    )


def _initials(words: str) -> str:
    """The first letters of the words of `words` (an expression of the customer's person words,
    `{}` for the column), as one string."""
    words = words.format(quoted_column(Customer, "person_words"))
    return f"regexp_replace({words}, '([^ ])[^ ]* ?', '\\1', 'g')"


CANDIDATES_SQL = _CANDIDATES_SQL.format(
    customer=quoted_table(Customer),
    location=quoted_table(Location),
    **{
        f"c_{name}": quoted_column(Customer, name)
        for name in ("id", "tenant", "email", "normalized_name", "phone_key", "person_words")
    },
    stored_length=STORED_LENGTH,
    l_meets=_house_numbers_meet(f"l.{quoted_column(Location, 'house_number')}"),
    l_may_be_the_house=_may_be_the_house(f"l.{quoted_column(Location, 'house_number')}"),
    h_may_be_the_house=_may_be_the_house(f"h.{quoted_column(Location, 'house_number')}"),
    contact_differs=_contact_differs("c"),
    n_contact_differs=_contact_differs("n"),
    # The initials of the words of a string (the person words without their last word, or
    # without their first).
    initials_written=_initials("regexp_replace(c.{}, ' [^ ]+$', '')"),
    initials_swapped=_initials("regexp_replace(c.{}, '^[^ ]+ ', '')"),
    generations="'{{{}}}'::text[]".format(",".join(sorted(GENERATIONS))),
    **{
        f"l_{name}": quoted_column(Location, name)
        for name in (
            "customer",
            "tenant",
            "postal_code",
            "street_key",
            "house_number",
            "family_key",
            "normalized_name",
            "street_name",
            "street_written",
        )
    },
)

# The candidates with their records, in the same statement, one party (`q`) after the other: per
# candidate of a party its item index, the customer's columns (`select_columns`, the timestamps
# as text: made datetimes only for the few customers made instances, `RowRecords`) and, one row
# per location in the locations' order, the location's address (street, postal code, city,
# country, and the street's parts as stored: `matching.StoredAddress`; NULL for a customer
# without one; then the location's name and id, for the order); a party's candidates in the
# order of their ids. So a batch reads its candidates in one round trip, not in three with
# thousands of ids in each. Nothing sorts or groups the whole result: PostgreSQL sends a party's
# rows as soon as it has found them, and the client builds them (`selectors`, streamed) while
# the server searches for the next parties' (two processes at work, not one after the other).
# The parties come as one JSON array of objects (`items`, one per party with q's columns):
# psycopg turned fourteen arrays of 500 values into literals in Python, ~4 ms a batch.
_CANDIDATE_RECORDS_SQL = """
    SELECT q.idx, x.*
    FROM json_to_recordset(%(items)s::json) AS q(
        idx int, name text, word_orders text, postal_code text, spelling_1 text, spelling_2 text,
        spelling_3 text, street_key text, house_number text, email text, phone text,
        site_bases text, person bool, family_keys text, namesake_words text,
        initials_written text, initials_swapped text
    )
    CROSS JOIN LATERAL (
        SELECT {customer_columns},
            l.{l_street}, l.{l_postal_code}, l.{l_city}, l.{l_country}, l.{l_street_name},
            l.{l_house_number}, l.{l_street_written}, l.{l_name} AS l_name, l.{l_id} AS l_id
        FROM ({candidates}) AS found
        JOIN LATERAL (
            SELECT * FROM {customer} c
            WHERE c.{c_id} = found.id AND c.{c_tenant} = %(tenant)s::bigint OFFSET 0
        ) c ON TRUE
        LEFT JOIN {location} l ON l.{l_customer} = c.{c_id} AND l.{l_tenant} = %(tenant)s::bigint
        ORDER BY c.{c_id}, l.{l_name}, l.{l_id}
    ) x
"""


def _compact(sql: str) -> str:
    """The statement without its comments and with single spaces (it has no literal holding
    "--" or more than one space): less to send on every batch."""
    return " ".join(re.sub(r"--[^\n]*", "", sql).split())


# The candidate statement's parameters, in the order of its placeholders ($1, $2, ...).
CANDIDATE_PARAMETERS = ("items", "tenant", "limit", "threshold", "tenant_wide_threshold")


def _numbered(sql: str) -> str:
    """The statement with PostgreSQL's placeholders for its named ones (`%(tenant)s` is $2, by
    CANDIDATE_PARAMETERS) and `%%` as `%`: it is sent as it is (`ordinavo.db.stream`)."""
    for number, name in enumerate(CANDIDATE_PARAMETERS, start=1):
        sql = sql.replace(f"%({name})s", f"${number}")
    if "%(" in sql:
        raise ValueError(f"a named placeholder not in CANDIDATE_PARAMETERS: {sql}")
    return sql.replace("%%", "%")


@functools.cache
def candidate_records_sql() -> str:
    """_CANDIDATE_RECORDS_SQL for the models as they are (made on first use: the column list
    needs the apps ready), compacted, its placeholders numbered (CANDIDATE_PARAMETERS)."""
    return _numbered(
        _compact(
            _CANDIDATE_RECORDS_SQL.format(
                candidates=CANDIDATES_SQL,
                customer_columns=select_columns(Customer, "c", datetimes_as_text=True),
                customer=quoted_table(Customer),
                location=quoted_table(Location),
                **{f"c_{name}": quoted_column(Customer, name) for name in ("id", "tenant")},
                **{
                    f"l_{name}": quoted_column(Location, name)
                    for name in (
                        *("id", "name", "customer", "tenant"),
                        *("street", "postal_code", "city", "country"),
                        *("street_name", "house_number", "street_written"),
                    )
                },
            )
        )
    )


# `%` of pg_trgm (the tenant-wide similar-name search) uses this threshold, for the transaction.
TRIGRAM_THRESHOLD_SET_SQL = "SET LOCAL pg_trgm.similarity_threshold = %s"

# Transaction-level advisory locks: the namespace, and the keys as one array.
ADVISORY_LOCKS_SQL = "SELECT pg_advisory_xact_lock(%s, k) FROM unnest(%s::int[]) AS k"
