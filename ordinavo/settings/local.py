"""`make run` on a laptop: debug on, an embedded SQLite database under var/."""

import os

# Defaults for a first look only; every one can still be overridden from the environment.
os.environ.setdefault("DEBUG", "true")
os.environ.setdefault("ALLOWED_HOSTS", "127.0.0.1,localhost")
os.environ.setdefault("DATABASE_URL", "sqlite:///var/ordinavo.sqlite3")

from .base import *  # noqa: F403
