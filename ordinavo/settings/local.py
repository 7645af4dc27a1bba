"""`make run` on a laptop: debug on, DATABASE_URL (make: an embedded PostgreSQL under var/)."""

import os

# Defaults for a first look only; every one can still be overridden from the environment.
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")

from .base import *  # noqa: F403
