from django.apps import AppConfig


class DemoConfig(AppConfig):
    """Demo data for `make run` (seed_demo) and, with DEBUG on, a local webhook inbox. The top
    layer: it may use every app, and no app uses it."""

    name = "demo"
    verbose_name = "Demo"
