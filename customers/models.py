"""Customer master data: customers, their locations and contacts (every field of the seed DTOs)."""

from django.contrib.postgres.indexes import GinIndex, GistIndex, OpClass
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import F, Q
from django.db.models.functions import Upper

from tenants.models import TenantScopedModel

from .choices import ContactMethod, CustomerType, Priority


class Customer(TenantScopedModel):
    """A customer of a tenant. The customer number lives here, never on a target."""

    # NULL, not "", for "no number": the per-tenant unique constraint must ignore absent numbers.
    customer_number = models.CharField(max_length=64, null=True, blank=True)  # noqa: DJ001
    name = models.CharField(max_length=200)
    type = models.CharField(max_length=16, choices=CustomerType.choices, blank=True)
    industry = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    website = models.URLField(max_length=300, blank=True)
    normalized_name = models.CharField(
        max_length=200,
        blank=True,
        editable=False,
        help_text="The name without legal form, case, accents or punctuation (for matching).",
    )
    phone_key = models.CharField(
        max_length=50,
        blank=True,
        editable=False,
        help_text="The phone number as international digits (for matching).",
    )
    family_key = models.CharField(
        max_length=32,
        blank=True,
        editable=False,
        help_text="A private person's family name as it sounds (Kölner Phonetik, for matching).",
    )
    person_words = models.CharField(
        max_length=200,
        blank=True,
        editable=False,
        help_text="A private person's name words as the matcher compares them (for matching).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "customer"
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(
                fields=["tenant", "customer_number"],
                condition=Q(customer_number__isnull=False),
                name="customers_customer_unique_number_per_tenant",
                violation_error_message="Another customer of this tenant has this customer number.",
            ),
            models.CheckConstraint(
                condition=~Q(customer_number=""),
                name="customers_customer_number_not_empty",
                violation_error_message="A customer number is either absent or not empty.",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "name"], name="customers_customer_tenant_name"),
            models.Index(
                fields=["tenant", "normalized_name"], name="customers_customer_tenant_norm"
            ),
            # E-mail addresses compare without case (a customer stored as Info@… is found by
            # info@…): the candidate lookup and Django's `iexact` both compare UPPER(email).
            models.Index(F("tenant"), Upper("email"), name="customers_cust_tenant_email_ci"),
            # The candidate lookup by phone (mapping.sql); most customers have none.
            models.Index(
                fields=["tenant", "phone_key"],
                condition=~Q(phone_key=""),
                name="customers_cust_tenant_phone",
            ),
            # Similar names (pg_trgm) within a tenant: the candidate lookup (mapping.selectors)
            # and the review queue's customer search. Tenant first (btree_gin), like every
            # lookup. No pending list: customers an import creates or renames go straight into
            # the index; with one, every lookup scans it, and from a few pages on the planner
            # drops the index for a scan of the tenant's customers (~30 ms a name, 15-20 s per
            # batch of 500; bench/matching_quality.py).
            GinIndex(
                F("tenant"),
                OpClass(F("normalized_name"), name="gin_trgm_ops"),
                name="customers_customer_name_trgm",
                fastupdate=False,
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.customer_number})" if self.customer_number else self.name


class Location(TenantScopedModel):
    """A place of a customer where work happens; its planning defaults fill imported targets."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="locations")
    name = models.CharField(max_length=200, blank=True)
    type = models.CharField(max_length=50, blank=True)
    street = models.CharField(max_length=200, blank=True)
    postal_code = models.CharField(max_length=20, blank=True)
    city = models.CharField(max_length=100, blank=True)
    region = models.CharField(max_length=100, blank=True)
    country = models.CharField(max_length=2, blank=True, help_text="ISO 3166-1 alpha-2")
    latitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-90), MaxValueValidator(90)]
    )
    longitude = models.FloatField(
        null=True, blank=True, validators=[MinValueValidator(-180), MaxValueValidator(180)]
    )
    default_estimated_work_minutes = models.PositiveIntegerField(null=True, blank=True)
    default_priority = models.CharField(max_length=16, choices=Priority.choices, blank=True)
    access_notes = models.CharField(max_length=2000, blank=True)
    parking_notes = models.CharField(max_length=2000, blank=True)
    street_key = models.CharField(
        max_length=200,
        blank=True,
        editable=False,
        help_text="The street name normalized (Straße / Str. / strasse alike), for matching.",
    )
    house_number = models.CharField(
        max_length=20,
        blank=True,
        editable=False,
        help_text="The house number from the street, normalized (12a, 249-253), for matching.",
    )
    # The street as the matcher compares it, split once when it is written: the candidates of a
    # batch come out of the candidate search ready to compare (mapping.selectors).
    street_name = models.CharField(
        max_length=200,
        blank=True,
        editable=False,
        help_text="The street name normalized, with its words (hache str), for matching.",
    )
    street_written = models.CharField(
        max_length=200,
        blank=True,
        editable=False,
        help_text="The street name folded as written, without house number and spaces, for "
        "matching.",
    )
    # The customer's family key, here too: a person is looked up by the sound of the family name
    # within a postal code in one index (customers_location_family).
    family_key = models.CharField(
        max_length=32,
        blank=True,
        editable=False,
        help_text="The customer's family key (a copy kept by customers.services), for matching.",
    )
    # And its normalized name: a company sent without a type is looked up by a similar name
    # within its postal code in one index (customers_location_name_trgm).
    normalized_name = models.CharField(
        max_length=200,
        blank=True,
        editable=False,
        help_text="The customer's normalized name (a copy kept by customers.services), for "
        "matching.",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "location"
        ordering = ["customer_id", "name", "id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(latitude__isnull=True) | Q(latitude__gte=-90, latitude__lte=90),
                name="customers_location_latitude_range",
            ),
            models.CheckConstraint(
                condition=Q(longitude__isnull=True) | Q(longitude__gte=-180, longitude__lte=180),
                name="customers_location_longitude_range",
            ),
        ]
        indexes = [
            models.Index(fields=["tenant", "customer"], name="customers_location_tenant_cust"),
            # The candidate lookups at an address and by a family name's sound (mapping.sql)
            # read only the index: the house number and the customer come with the keys
            # (INCLUDE), so the 30-odd locations of a street are not each read from the table
            # to compare their house numbers (a seventh of the statement at 100,000 customers).
            models.Index(
                fields=["tenant", "postal_code", "street_key"],
                include=["house_number", "customer"],
                name="customers_location_address",
            ),
            models.Index(
                fields=["tenant", "postal_code", "family_key"],
                include=["customer"],
                condition=~Q(family_key=""),
                name="customers_location_family",
            ),
            # Similar names (pg_trgm) within a postal code: the candidate lookup of a party
            # that may be a company (mapping.sql). Without the copy of the name here, that
            # lookup read every customer at the postal code and compared its name (a quarter of
            # a batch's time at 100,000 customers, bench/matching_speed.py). GiST, not GIN: its
            # leaves keep each name's trigrams, so a lookup compares those of the postal code's
            # names without computing them (GIN read the posting lists of every trigram of the
            # name; 4x slower here).
            GistIndex(
                F("tenant"),
                F("postal_code"),
                OpClass(F("normalized_name"), name="gist_trgm_ops"),
                name="customers_location_name_trgm",
            ),
        ]

    def __str__(self) -> str:
        return self.name or ", ".join(p for p in (self.street, self.city) if p) or f"#{self.pk}"

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


class Contact(TenantScopedModel):
    """A person at a customer whom dispatchers and mobile employees may reach."""

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="contacts")
    first_name = models.CharField(max_length=100, blank=True)
    last_name = models.CharField(max_length=100, blank=True)
    display_name = models.CharField(max_length=200, blank=True)
    role = models.CharField(max_length=100, blank=True)
    department = models.CharField(max_length=100, blank=True)
    email = models.EmailField(max_length=254, blank=True)
    phone = models.CharField(max_length=50, blank=True)
    mobile = models.CharField(max_length=50, blank=True)
    preferred_contact_method = models.CharField(
        max_length=16, choices=ContactMethod.choices, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = "contact"
        ordering = ["customer_id", "last_name", "first_name", "id"]
        indexes = [
            models.Index(fields=["tenant", "customer"], name="customers_contact_tenant_cust"),
            # As for customers: the review search finds a contact by e-mail in any case.
            models.Index(F("tenant"), Upper("email"), name="customers_contact_email_ci"),
        ]

    def __str__(self) -> str:
        full = " ".join(p for p in (self.first_name, self.last_name) if p)
        return self.display_name or full or self.email or f"#{self.pk}"
