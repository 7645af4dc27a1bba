"""What the matcher compares: a customer's identity and one of its addresses, normalized once."""

import dataclasses
import functools
from dataclasses import dataclass
from typing import NamedTuple

from customers.normalization import (
    fold,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_postal_code,
    person_name_words,
    plain_vowels,
    street_parts,
    strip_site,
)

# Mail domains many unrelated customers share: they say nothing about who a customer is.
FREEMAIL_DOMAINS = frozenset(
    {
        "web.de",
        "gmx.de",
        "gmx.net",
        "gmail.com",
        "googlemail.com",
        "t-online.de",
        "outlook.de",
        "outlook.com",
        "hotmail.com",
        "hotmail.de",
        "yahoo.de",
        "yahoo.com",
        "icloud.com",
        "me.com",
        "freenet.de",
        "posteo.de",
        "mail.de",
        "aol.com",
        "online.de",
        "arcor.de",
        "vodafone.de",
        "ewetel.net",
        "kabelmail.de",
    }
)


# Mobile numbers (in normalize_phone's form) belong to one person; a landline to a household.
# Germany 015x-017x, Austria 06xx, Switzerland 075-079, Netherlands 06, UK 07, France 06/07.
_MOBILE_PREFIXES = (
    "4915", "4916", "4917", "436", "4175", "4176", "4177", "4178", "4179", "316", "447", "336",
    "337",
)  # fmt: skip


def mobile(phone: str) -> bool:
    return phone.startswith(_MOBILE_PREFIXES)


# The lengths of the stored keys' columns (customers.models; the matcher imports no model, and
# tests/mapping/test_candidate_speed.py holds these to the fields): a key this long may have been
# cut.
STORED_LENGTH = 200
STORED_NUMBER_LENGTH = 20
STORED_PHONE_LENGTH = 50


def stored_street_parts(
    street: str, street_name: str, number: str, written: str
) -> tuple[str, str, str]:
    """`street_parts` of a stored location's street: the parts customers.services stored with
    it, or computed anew where one is as long as its column (it may have been cut)."""
    if (
        len(street_name) >= STORED_LENGTH
        or len(written) >= STORED_LENGTH
        or len(number) >= STORED_NUMBER_LENGTH
    ):
        return street_parts(street)
    return street_name, number, written


class StoredCustomer(NamedTuple):
    """What `Party.stored` takes of a stored customer: its fields and stored keys, and its name
    folded into words (`fold`, made once per customer). `person_words`: a private person's
    stored person words (`customers.normalization.person_words_key`), split; () where none are
    stored (a company, or a name a site may follow)."""

    name: str
    normalized_name: str
    written: tuple[str, ...]
    email: str
    phone: str
    phone_key: str
    person: bool
    person_words: tuple[str, ...] = ()


# (street, postal code, city, country, street name, house number, street as written) of a
# stored location: its fields and the street parts customers.services stored.
StoredAddress = tuple[str, str, str, str, str, str, str]


@dataclass(frozen=True)
class Party:
    """What is compared: a customer's identity and one of its addresses, normalized."""

    name: str = ""
    street: str = ""
    house_number: str = ""
    # The street name as written, folded, without spaces: compared for one typo.
    street_written: str = ""
    postal_code: str = ""
    city: str = ""
    email: str = ""
    phone: str = ""
    # A private person: the address corroborates only the exact name (see `score`).
    person: bool = False
    # The name's words as written (folded, without a site): where its legal form stands.
    written: tuple[str, ...] = ()

    @classmethod
    def _made(cls, fields: dict) -> "Party":
        """The party of these values (field name -> value), every field given: a frozen
        dataclass's `__init__` sets each field through `object.__setattr__`, a fifth of building
        a batch's candidates."""
        if fields.keys() != _PARTY_FIELDS:
            raise TypeError(f"Party fields: {sorted(_PARTY_FIELDS)}, not {sorted(fields)}")
        party = object.__new__(cls)
        party.__dict__.update(fields)
        return party

    @classmethod
    def of(
        cls,
        *,
        name=None,
        street=None,
        postal_code=None,
        city=None,
        email=None,
        phone=None,
        person: bool = False,
        country: str | None = None,
    ) -> "Party":
        street_name, number, written_street = street_parts(street)
        without_site = strip_site(name, city)
        return cls._made(
            {
                "name": normalize_name(without_site),
                "written": tuple(fold(without_site).split()),
                "street": street_name,
                "house_number": number,
                "street_written": written_street if street_name else "",
                "postal_code": normalize_postal_code(postal_code, country),
                "city": fold(city),
                "email": normalize_email(email),
                "phone": normalize_phone(phone),
                "person": person,
            }
        )

    @classmethod
    def stored(
        cls,
        customer: "StoredCustomer",
        address: "StoredAddress | None",
        places: dict[tuple[str, str, str], tuple[str, str]] | None = None,
    ) -> "Party":
        """`Party.of` a stored customer at one of its addresses (or none), made from the keys
        customers.services stored with them (the normalized name, phone and street parts)
        instead of normalizing anew: the same party. A key cut to its column's length, or a name
        with a site in the address's city, is computed from the fields. `places`: the postal
        codes and cities normalized so far (the caller's, for one batch: they repeat)."""
        street, postal_code, city, country, street_name, number, written_street = address or (
            ("",) * 7
        )
        name = customer.name
        street_name, number, written_street = stored_street_parts(
            street, street_name, number, written_street
        )
        # Stored person words say no site can follow the name at any address.
        without_site = name if customer.person_words else strip_site(name, city)
        if without_site == name and len(customer.normalized_name) < STORED_LENGTH:
            normalized, written = customer.normalized_name, customer.written
        else:
            normalized, written = normalize_name(without_site), tuple(fold(without_site).split())
        place = places.get((postal_code, city, country)) if places is not None else None
        if place is None:
            place = normalize_postal_code(postal_code, country), fold(city)
            if places is not None:
                places[(postal_code, city, country)] = place
        party = cls._made(
            {
                "name": normalized,
                "written": written,
                "street": street_name,
                "house_number": number,
                "street_written": written_street if street_name else "",
                "postal_code": place[0],
                "city": place[1],
                "email": normalize_email(customer.email),
                "phone": customer.phone_key
                if len(customer.phone_key) < STORED_PHONE_LENGTH
                else normalize_phone(customer.phone),
                "person": customer.person,
            }
        )
        if customer.person_words:
            party.__dict__["person_words"] = customer.person_words  # the cached property's
        return party

    # Derived from the fields when first read: only scoring reads them, and most candidates of a
    # batch are left unscored (`decision._unscored`), so made for nothing otherwise.

    @functools.cached_property
    def name_key(self) -> str:
        """The name with its words sorted and umlauts as plain vowels: "Weber, Anna" = "Anna
        Weber"."""
        return " ".join(sorted(plain_vowels(self.name).split()))

    @functools.cached_property
    def name_numbers(self) -> tuple[str, ...]:
        return tuple(sorted(t for t in self.name.split() if t.isdigit()))

    @functools.cached_property
    def email_domain(self) -> str:
        """The e-mail's domain unless it is a freemail one: the same company domain is
        evidence."""
        domain = self.email.rsplit("@", 1)[-1] if "@" in self.email else ""
        return "" if domain in FREEMAIL_DOMAINS else domain

    @functools.cached_property
    def person_words(self) -> tuple[str, ...]:
        """The name's words without salutation or title, as written (single letters kept: an
        initial); what the person matcher compares (`evidence`), made once per party."""
        return person_name_words(self.written)

    @property
    def has_address(self) -> bool:
        return bool(self.street and self.postal_code)

    @property
    def has_place(self) -> bool:
        """A postal code or a city: where the street is."""
        return bool(self.postal_code or self.city)


_PARTY_FIELDS = frozenset(field.name for field in dataclasses.fields(Party))
