from django.apps import AppConfig


class WebhooksConfig(AppConfig):
    """Webhook endpoints and deliveries: their tables, tasks and admin pages (no ORM models)."""

    name = "apps.core.webhooks"
    label = "webhooks"
    verbose_name = "Webhooks"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from apps.core.webhooks import checks  # noqa: F401 - registers the private-targets check
