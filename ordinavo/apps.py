from django.contrib.admin.apps import AdminConfig


class OrdinavoAdminConfig(AdminConfig):
    """Django's admin, with `admin.site` being this project's site (a second factor at sign-in)."""

    default_site = "ordinavo.admin_site.OrdinavoAdminSite"
