"""WSGI entry point; production serves it with gunicorn (its settings: ../gunicorn.conf.py)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "ordinavo.settings.production")

application = get_wsgi_application()
