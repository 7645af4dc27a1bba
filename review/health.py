"""Mapping health: per day (UTC) of the last 30, how many items were imported with each mapping
status and warning code and how many needed a person; the open queue's size and age.

Counting every item on each view is too slow at 100,000 items a day (3 million rows for 30
days), so closed time is rolled up into MappingHealthDay by `mapping_health_rollup` (a periodic
task, review.tasks, every 5 minutes; up to ROLLUP_LAG ago, so that an import transaction still
open is not missed) and only the items since the tenant's mark are counted live. The counts are
of the statuses as imported: a later review decision does not move an item to another day or
status (the share that needed a person shows those).
"""

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from inbound.choices import ReviewState
from inbound.models import ImportItem

from .models import MappingHealthDay, MappingHealthMark

DAYS = 30
ROLLUP_LAG = timedelta(minutes=10)

# The three kinds of count for a window of a tenant's items, per client and day; one statement.
# The item's job gives the client (the unique (tenant, job, position) index serves the join).
_COUNTS_SQL = """
WITH items AS (
    SELECT i.created_at, i.mapping_status, i.warnings, i.review_state, j.client_id
    FROM inbound_importitem i JOIN inbound_importjob j ON j.id = i.job_id
    WHERE i.tenant_id = %(tenant)s AND i.created_at >= %(since)s AND i.created_at < %(until)s
      {client_filter}
)
SELECT client_id, (created_at AT TIME ZONE 'UTC')::date AS day, 'status' AS kind,
       mapping_status AS code, count(*) AS n
FROM items GROUP BY 1, 2, 4
UNION ALL
SELECT client_id, (created_at AT TIME ZONE 'UTC')::date, 'warning', w.code, count(*)
FROM items CROSS JOIN LATERAL jsonb_array_elements_text(items.warnings) AS w(code)
WHERE jsonb_typeof(items.warnings) = 'array'
GROUP BY 1, 2, 4
UNION ALL
SELECT client_id, (created_at AT TIME ZONE 'UTC')::date, 'person', 'needed', count(*)
FROM items WHERE review_state <> %(not_needed)s GROUP BY 1, 2
"""

_ROLLUP_SQL = """
INSERT INTO review_mappinghealthday (tenant_id, client_id, day, kind, code, count)
SELECT %(tenant)s, client_id, day, kind, code, n FROM ({counts}) AS counted
ON CONFLICT (tenant_id, day, client_id, kind, code)
DO UPDATE SET count = review_mappinghealthday.count + EXCLUDED.count
"""


def _counts(*, tenant_id: int, since: datetime, until: datetime, client_id: int | None):
    params = {
        "tenant": tenant_id,
        "since": since,
        "until": until,
        "not_needed": ReviewState.NOT_NEEDED,
        "client": client_id,
    }
    sql = _COUNTS_SQL.format(client_filter="AND j.client_id = %(client)s" if client_id else "")
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def _window_start(now: datetime) -> datetime:
    first_day = now.astimezone(UTC).date() - timedelta(days=DAYS - 1)
    return datetime.combine(first_day, datetime.min.time(), tzinfo=UTC)


def mapping_health_rollup(*, tenant_id: int, now: datetime | None = None) -> datetime:
    """Count a tenant's items imported since its mark (at most the last 30 days) up to
    ROLLUP_LAG ago into MappingHealthDay, move the mark, and drop days older than 30; returns
    the new mark. Runs under the tenant's mark row lock, so two runs never count twice."""
    now = now or timezone.now()
    until = now - ROLLUP_LAG
    with transaction.atomic():
        mark, _created = MappingHealthMark.objects.select_for_update().get_or_create(
            tenant_id=tenant_id, defaults={"counted_until": _window_start(now)}
        )
        since = max(mark.counted_until, _window_start(now))
        if since < until:
            sql = _ROLLUP_SQL.format(counts=_COUNTS_SQL.format(client_filter=""))
            with connection.cursor() as cursor:
                cursor.execute(
                    sql,
                    {
                        "tenant": tenant_id,
                        "since": since,
                        "until": until,
                        "not_needed": ReviewState.NOT_NEEDED,
                    },
                )
            mark.counted_until = until
            mark.save(update_fields=["counted_until"])
        MappingHealthDay.objects.for_tenant(tenant_id).filter(
            day__lt=_window_start(now).date() - timedelta(days=1)
        ).delete()
        return mark.counted_until


@dataclass
class Health:
    days: list[date]
    # code -> one count per day, for statuses and warning codes
    statuses: dict[str, list[int]] = field(default_factory=dict)
    warnings: dict[str, list[int]] = field(default_factory=dict)
    needed_person: list[int] = field(default_factory=list)
    open_count: int = 0
    oldest_open: datetime | None = None

    @property
    def total(self) -> int:
        return sum(sum(counts) for counts in self.statuses.values())

    @property
    def per_day(self) -> list[int]:
        return [sum(day) for day in zip(*self.statuses.values(), strict=True)] or [0] * len(
            self.days
        )

    @property
    def needed_person_share(self) -> float | None:
        total = self.total
        return sum(self.needed_person) / total if total else None


def mapping_health(*, tenant_id: int, client_id: int | None = None, now=None) -> Health:
    """The last 30 days of one tenant (or one of its clients): rolled-up days plus the items
    since the mark, counted live; and the open queue now."""
    now = now or timezone.now()
    start = _window_start(now)
    days = [start.date() + timedelta(days=n) for n in range(DAYS)]
    index = {day: n for n, day in enumerate(days)}
    health = Health(days=days, needed_person=[0] * DAYS)
    mark = (
        MappingHealthMark.objects.for_tenant(tenant_id)
        .values_list("counted_until", flat=True)
        .first()
    )
    live_since = max(mark, start) if mark else start
    rolled = MappingHealthDay.objects.for_tenant(tenant_id).filter(day__gte=start.date())
    if client_id:
        rolled = rolled.filter(client_id=client_id)
    rows = list(rolled.values_list("client_id", "day", "kind", "code", "count")) if mark else []
    rows += _counts(tenant_id=tenant_id, since=live_since, until=now, client_id=client_id)
    for _client, day, kind, code, n in rows:
        if day not in index:
            continue
        if kind == MappingHealthDay.Kind.NEEDED_PERSON:
            health.needed_person[index[day]] += n
            continue
        series = health.statuses if kind == MappingHealthDay.Kind.STATUS else health.warnings
        series.setdefault(code, [0] * DAYS)[index[day]] += n
    open_items = ImportItem.objects.for_tenant(tenant_id).filter(review_state=ReviewState.OPEN)
    if client_id:
        open_items = open_items.filter(job__client_id=client_id)
    health.open_count = open_items.order_by().count()
    health.oldest_open = (
        open_items.order_by("created_at", "id").values_list("created_at", flat=True).first()
    )
    return health
