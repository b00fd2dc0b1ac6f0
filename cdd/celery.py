"""The Celery app: SQS broker, tasks discovered in every app's tasks module."""

from __future__ import annotations

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cdd.settings.base")

app = Celery("cdd")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
