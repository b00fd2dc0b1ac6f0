from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Platform core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from apps.core import checks, openapi  # noqa: F401 - register the system checks and the API-key scheme

        post_migrate.connect(_roles_after_migrate, dispatch_uid="cdd-roles")  # after every app: permissions exist
        from axes.models import AccessAttempt
        from django.db.models.signals import post_delete, pre_delete

        from apps.core.signin import attempt_deleted, attempt_deleting

        pre_delete.connect(attempt_deleting, sender=AccessAttempt, dispatch_uid="cdd-signin-unlocking")
        post_delete.connect(attempt_deleted, sender=AccessAttempt, dispatch_uid="cdd-signin-unlocked")


def _roles_after_migrate(**kwargs: object) -> None:
    """The role groups and the platform admins' permissions, once the permissions exist."""
    from apps.core.services import roles_ensure

    roles_ensure()


class CddAdminConfig(admin_apps.AdminConfig):
    """Django's admin with the site that adds the domain-data pages."""

    default = False
    default_site = "apps.core.admin_site.CddAdminSite"
