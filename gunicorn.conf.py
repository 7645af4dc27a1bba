"""gunicorn's settings for Ordinavo Connect: gunicorn reads ./gunicorn.conf.py when started from
the repository root (`gunicorn ordinavo.wsgi`, README and bench/import_throughput.py)."""

import gc

# An import of 500 items allocates hundreds of thousands of objects. With Python's default
# thresholds the cyclic collector ran a dozen times per batch and, every few batches, walked the
# whole heap of Django, DRF and the views: up to a fifth of a batch's CPU
# (bench/import_throughput.py). What start-up loaded (every view included) is frozen out of its
# walks, and it runs only every 50,000 allocations.
GC_THRESHOLDS = (50_000, 20, 100)


def post_worker_init(worker) -> None:
    """Once a worker has loaded the application: import every view, then tune the collector."""
    from django.urls import get_resolver

    get_resolver().url_patterns  # noqa: B018 (imports every view now, before the freeze)
    gc.freeze()
    gc.set_threshold(*GC_THRESHOLDS)
