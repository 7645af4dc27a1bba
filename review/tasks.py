"""Periodic work of the review app: mapping health's rollup (review.health)."""

import logging

from procrastinate.contrib.django import app

from tenants.models import Tenant

from .health import mapping_health_rollup

logger = logging.getLogger(__name__)


@app.periodic(cron="*/5 * * * *")
@app.task(name="review.mapping_health_rollup", queue="maintenance", queueing_lock="review.rollup")
def rollup_mapping_health(timestamp: int) -> int:
    tenants = list(Tenant.objects.values_list("id", flat=True))
    for tenant_id in tenants:
        mapping_health_rollup(tenant_id=tenant_id)
    logger.info("Rolled up mapping health of %d tenant(s).", len(tenants))
    return len(tenants)
