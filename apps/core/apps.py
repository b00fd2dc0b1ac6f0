from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Platform core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.core import checks, openapi  # noqa: F401 - register the system checks and the API-key scheme


class CddAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the site that adds the domain-data pages."""

    default = False
    default_site = "apps.core.admin_site.CddAdminSite"
