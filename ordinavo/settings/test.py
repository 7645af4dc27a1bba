"""pytest, on DATABASE_URL's PostgreSQL (`make test` starts an embedded one when it is unset)."""

import os

os.environ.setdefault("SECRET_KEY", "test-only-not-a-secret")
os.environ.setdefault("ALLOWED_HOSTS", "testserver,127.0.0.1,localhost")

from .base import *  # noqa: F403

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
DATABASES["default"]["CONN_MAX_AGE"] = 0  # noqa: F405

# Tests deliver to receivers on loopback over plain HTTP.
WEBHOOK_ALLOW_HTTP = True
WEBHOOK_ALLOWED_NETWORKS = ["127.0.0.0/8", "::1/128"]
