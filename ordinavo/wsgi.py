"""WSGI entry point; production serves it with gunicorn."""

import gc
import os

from django.core.wsgi import get_wsgi_application
from django.urls import get_resolver

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordinavo.settings.production")

application = get_wsgi_application()

# An import of 500 items allocates hundreds of thousands of objects. With Python's default
# thresholds the cyclic collector ran a dozen times per batch and, every few batches, walked the
# whole heap of Django, DRF and the views: up to a fifth of a batch's CPU
# (bench/import_throughput.py). What start-up loaded (every view included) is frozen out of its
# walks, and it runs only every 50,000 allocations.
GC_THRESHOLDS = (50_000, 20, 100)
get_resolver().url_patterns  # noqa: B018 (imports every view now, before the freeze)
gc.freeze()
gc.set_threshold(*GC_THRESHOLDS)
