from django.apps import AppConfig


class MiConfig(AppConfig):
    """Management information: its aggregates table, its page and the rebuild command (no ORM models)."""

    name = "apps.core.mi"
    label = "mi"
    verbose_name = "Management information"
    default_auto_field = "django.db.models.BigAutoField"
