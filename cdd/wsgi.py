"""WSGI entry of the api, web and admin services (CDD_SERVICE picks the URLconf)."""

import os

from django.core.wsgi import get_wsgi_application

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "cdd.settings.base")
application = get_wsgi_application()
