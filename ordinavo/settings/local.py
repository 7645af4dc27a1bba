"""`make run` on a laptop: debug on, DATABASE_URL (make: an embedded PostgreSQL under var/)."""

import os

# Defaults for a first look only; every one can still be overridden from the environment.
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
# The demo webhook endpoint is the local inbox (http://127.0.0.1:8000/dev/webhook-inbox/): plain
# HTTP to loopback, which the SSRF guard refuses everywhere else.
os.environ.setdefault("WEBHOOK_ALLOW_HTTP", "true")
os.environ.setdefault("WEBHOOK_ALLOWED_NETWORKS", "127.0.0.1/32,::1/128")

from .base import *  # noqa: F403
