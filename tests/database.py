"""The database the tests run on, for a process of their own (manage.py, gunicorn)."""

from urllib.parse import quote

from django.db import connection


def current_database_url() -> str:
    """DATABASE_URL of the test database: on a host and port, or on a unix socket (the embedded
    PostgreSQL of `make test`), in the form django-environ reads as socket directory and name."""
    db = connection.settings_dict
    auth = quote(db["USER"], safe="") + (
        ":" + quote(db["PASSWORD"], safe="") if db["PASSWORD"] else ""
    )
    if db["HOST"].startswith("/"):
        return f"postgres://{auth}@/{quote(f'{db["HOST"]}/{db["NAME"]}', safe='')}"
    return f"postgres://{auth}@{db['HOST']}:{db['PORT']}/{db['NAME']}"
