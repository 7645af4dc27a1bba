"""Periodic tasks of the mapping app (procrastinate; imported by every worker through
PROCRASTINATE_IMPORT_PATHS).

| task                              | schedule    | what                                          |
| --------------------------------- | ----------- | --------------------------------------------- |
| mapping.refresh_name_frequencies  | hourly, :47 | recount every tenant's name words, phonetic   |
|                                   |             | keys and postal codes of private customers    |
|                                   |             | (NameFrequency: the person matcher's rarity)  |
"""

import logging

from procrastinate.contrib.django import app

from tenants.models import Tenant

from .services import name_frequencies_refresh

logger = logging.getLogger(__name__)


@app.periodic(cron="47 * * * *")
@app.task(
    name="mapping.refresh_name_frequencies",
    queue="maintenance",
    queueing_lock="mapping.refresh_name_frequencies",
)
def refresh_name_frequencies(timestamp: int) -> int:
    tenants = 0
    for tenant_id in Tenant.objects.order_by("pk").values_list("pk", flat=True):
        name_frequencies_refresh(tenant=tenant_id)
        tenants += 1
    logger.info("Recounted the name frequencies of %d tenant(s).", tenants)
    return tenants
