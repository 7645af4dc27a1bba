"""What the matcher compares: a customer's identity and one of its addresses, normalized once."""

from dataclasses import dataclass

from customers.normalization import (
    fold,
    normalize_email,
    normalize_name,
    normalize_phone,
    normalize_postal_code,
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
    # The name with its words sorted and umlauts as plain vowels: "Weber, Anna" = "Anna Weber".
    name_key: str = ""
    name_numbers: tuple[str, ...] = ()
    # The e-mail's domain unless it is a freemail one: the same company domain is evidence.
    email_domain: str = ""
    # The name's words as written (folded, without a site): where its legal form stands.
    written: tuple[str, ...] = ()

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
        normalized = normalize_name(without_site)
        key = plain_vowels(normalized)
        email = normalize_email(email)
        domain = email.rsplit("@", 1)[-1] if "@" in email else ""
        return cls(
            name=normalized,
            street=street_name,
            house_number=number,
            street_written=written_street if street_name else "",
            postal_code=normalize_postal_code(postal_code, country),
            city=fold(city),
            email=email,
            phone=normalize_phone(phone),
            person=person,
            name_key=" ".join(sorted(key.split())),
            name_numbers=tuple(sorted(t for t in normalized.split() if t.isdigit())),
            email_domain="" if domain in FREEMAIL_DOMAINS else domain,
            written=tuple(fold(without_site).split()),
        )

    @property
    def has_address(self) -> bool:
        return bool(self.street and self.postal_code)

    @property
    def has_place(self) -> bool:
        """A postal code or a city: where the street is."""
        return bool(self.postal_code or self.city)
