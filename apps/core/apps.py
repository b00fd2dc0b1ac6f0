from django.apps import AppConfig


class CoreConfig(AppConfig):
    name = "apps.core"
    label = "core"
    verbose_name = "Platform core"
    default_auto_field = "django.db.models.BigAutoField"
