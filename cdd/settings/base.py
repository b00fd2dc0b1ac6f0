"""Settings of every service, read from the environment.

``CDD_SERVICE`` picks the URLconf (api, web, admin; ``all`` for local use) and the
process an image runs. Required settings that are missing stop start-up with one
message naming them all (see ``cdd.env``).
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import dj_database_url
from django.utils.csp import CSP

from cdd.env import REQUIRED, check_required, env, local_secret_key, to_bool, to_list

BASE_DIR = Path(__file__).resolve().parent.parent.parent
LOCAL_DIR = Path(env("CDD_LOCAL_DIR", str(BASE_DIR / ".local")))

SERVICES = ("api", "web", "admin", "worker", "beat", "all")
CDD_ENV = env("CDD_ENV", "local")
CDD_SERVICE = env("CDD_SERVICE", "all")
if CDD_SERVICE not in SERVICES:
    from django.core.exceptions import ImproperlyConfigured

    raise ImproperlyConfigured(f"CDD_SERVICE={CDD_SERVICE!r} is not one of {', '.join(SERVICES)}.")

# On a developer's machine (CDD_ENV=local, the default) the platform runs with no configuration:
# the AWS names are the local stack's and the signing key is made once in .local/. Every other
# environment must set them, and start-up stops naming each one that is missing.
IS_LOCAL = CDD_ENV == "local"
SECRET_KEY = env("DJANGO_SECRET_KEY", None if IS_LOCAL else REQUIRED)
if IS_LOCAL and not SECRET_KEY:
    SECRET_KEY = local_secret_key(LOCAL_DIR)
# Rotation without logging everyone out: the previous key(s) still verify sessions and signed cursors.
SECRET_KEY_FALLBACKS = env("DJANGO_SECRET_KEY_FALLBACKS", "", cast=to_list)
DEBUG = env("DJANGO_DEBUG", False, cast=to_bool)
ALLOWED_HOSTS = env("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1", cast=to_list)
CSRF_TRUSTED_ORIGINS = env("DJANGO_CSRF_TRUSTED_ORIGINS", "", cast=to_list)

INSTALLED_APPS = [
    "apps.core.apps.CddAdminConfig",
    "apps.core",  # before auth: its createsuperuser and changepassword (audited) replace Django's
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "apps.audit",
    "apps.customers",
    "apps.screening",
    "apps.documents",
    "apps.reviews",
]

MIDDLEWARE = [
    "apps.core.middleware.HealthCheckMiddleware",
    "apps.core.middleware.RequestIdMiddleware",
    "apps.core.middleware.TraceRefusedMiddleware",
    "apps.core.middleware.AdminAllowListMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last: turns a lockout that django-axes flagged during sign-in into the lockout page (apps/core/signin.py).
    "axes.middleware.AxesMiddleware",
]

_URLCONFS = {
    "api": "cdd.urls.api",
    "web": "cdd.urls.web",
    "admin": "cdd.urls.admin",
    "all": "cdd.urls.all",
    "worker": "cdd.urls.health",
    "beat": "cdd.urls.health",
}
ROOT_URLCONF = _URLCONFS[CDD_SERVICE]
WSGI_APPLICATION = "cdd.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.csp",
                "apps.core.navigation.navigation",
            ],
        },
    },
]

# Identity only (users, roles, API keys, sessions). Domain data lives in DynamoDB.
DATABASES = {
    "default": dj_database_url.parse(
        env("DATABASE_URL", f"sqlite:///{LOCAL_DIR / 'identity.sqlite3'}"), conn_max_age=60
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 12}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
# Axes first: it refuses locked-out accounts and addresses before a password or an API key is checked.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
    "apps.core.auth.ApiKeyBackend",
]
LOGIN_URL = "/login/"
LOGIN_REDIRECT_URL = "/"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env("CDD_SESSION_SECONDS", 8 * 3600, cast=int)
SESSION_COOKIE_SECURE = CDD_ENV not in ("local", "test")
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Content-Security-Policy of every answer (docs/security.md): scripts and style sheets from this origin or carrying
# the response's nonce, nothing inline without it; style="" attributes (the admin pages use them) are allowed, as
# they cannot run code. No frames, plugins, foreign forms or <base>.
SECURE_CSP = {
    "default-src": [CSP.NONE],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.NONCE],
    "style-src-attr": [CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "manifest-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}

# --- Sign-in protection (django-axes; apps/core/signin.py, docs/security.md) -------------------------------
# After CDD_SIGNIN_FAILURE_LIMIT failed sign-ins for one account, or from one address (API keys: from one address),
# sign-in is refused for CDD_SIGNIN_LOCKOUT_MINUTES after the last failure. Attempts during a lockout do not extend
# it. A platform admin unlocks sooner (audited): manage.py signin_unlock --username/--address --reason, or the admin.
CDD_SIGNIN_FAILURE_LIMIT = env("CDD_SIGNIN_FAILURE_LIMIT", 5, cast=int)
CDD_SIGNIN_LOCKOUT_MINUTES = env("CDD_SIGNIN_LOCKOUT_MINUTES", 15, cast=int)
AXES_FAILURE_LIMIT = CDD_SIGNIN_FAILURE_LIMIT
AXES_COOLOFF_TIME = timedelta(minutes=CDD_SIGNIN_LOCKOUT_MINUTES)
AXES_LOCKOUT_PARAMETERS = "apps.core.signin.axes_lockout_parameters"
AXES_USERNAME_CALLABLE = "apps.core.signin.axes_username"
AXES_CLIENT_IP_CALLABLE = "apps.core.middleware.client_ip"  # the trusted-hop address, never a client's header
AXES_LOCKOUT_CALLABLE = "apps.core.signin.lockout_response"
AXES_RESET_ON_SUCCESS = False  # one's own good sign-in must not wipe the failures counted against an address
AXES_RESET_COOL_OFF_ON_FAILURE_DURING_LOCKOUT = False  # the lockout ends when the page says it does
AXES_HTTP_RESPONSE_CODE = 429
if CDD_ENV not in ("local", "test"):
    SECURE_HSTS_SECONDS = 31536000
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_SSL_REDIRECT = False  # the ALB redirects HTTP to HTTPS; health checks reach the task over HTTP
    # HSTS preload binds the bank's whole registrable domain: its owner decides, not this application.
    SECURE_HSTS_PRELOAD = env("CDD_HSTS_PRELOAD", False, cast=to_bool)
    # `check --deploy` names only what is left to decide: W008 is the redirect above (done by the ALB's port-80
    # listener, tests/deploy/test_terraform.py); W021 is the preload choice just made.
    SILENCED_SYSTEM_CHECKS = ["security.W008", *([] if SECURE_HSTS_PRELOAD else ["security.W021"])]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"

# --- AWS ---------------------------------------------------------------------------
# Credentials come from the task role in AWS. Locally (CDD_ENV=local) every AWS client of the
# process goes to the local stack's moto server, whatever the shell has configured: see cdd.local_aws.
AWS_REGION = env("AWS_REGION", "eu-west-1")
CDD_LOCAL_PORT = env("CDD_LOCAL_PORT", 4566, cast=int)
AWS_ENDPOINT_URL = env("AWS_ENDPOINT_URL", f"http://127.0.0.1:{CDD_LOCAL_PORT}" if IS_LOCAL else None)
if IS_LOCAL:
    from cdd.local_aws import confine_to_local_stack

    confine_to_local_stack(AWS_ENDPOINT_URL, env("CDD_LOCAL_AWS_HOSTS", "", cast=to_list))
CDD_TABLE_PREFIX = env("CDD_TABLE_PREFIX", "local" if IS_LOCAL else REQUIRED)
CDD_DOCUMENTS_BUCKET = env("CDD_DOCUMENTS_BUCKET", "local-cdd-documents" if IS_LOCAL else REQUIRED)
CDD_LISTS_BUCKET = env("CDD_LISTS_BUCKET", "local-cdd-lists" if IS_LOCAL else REQUIRED)
CDD_AUDIT_BUCKET = env("CDD_AUDIT_BUCKET", "local-cdd-audit" if IS_LOCAL else REQUIRED)
CDD_EXPORTS_BUCKET = env("CDD_EXPORTS_BUCKET", "local-cdd-exports" if IS_LOCAL else REQUIRED)
CDD_KMS_KEY_ID = env("CDD_KMS_KEY_ID", "alias/cdd-local" if IS_LOCAL else REQUIRED)
CDD_QUEUE_PREFIX = env("CDD_QUEUE_PREFIX", "local-" if IS_LOCAL else REQUIRED)
CDD_QUEUES = ("default", "screening", "documents", "events")

STORAGES = {
    "default": {
        "BACKEND": "storages.backends.s3.S3Storage",
        "OPTIONS": {
            "bucket_name": CDD_DOCUMENTS_BUCKET,
            "region_name": AWS_REGION,
            "endpoint_url": AWS_ENDPOINT_URL,
            "default_acl": None,
            "querystring_auth": True,
            "querystring_expire": env("CDD_PRESIGNED_SECONDS", 300, cast=int),
            "file_overwrite": False,
            "object_parameters": {
                "ServerSideEncryption": "aws:kms",
                "SSEKMSKeyId": CDD_KMS_KEY_ID,
            },
        },
    },
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
}

# --- Celery on SQS -------------------------------------------------------------------
CELERY_BROKER_URL = env("CELERY_BROKER_URL", "sqs://")
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "region": AWS_REGION,
    "queue_name_prefix": CDD_QUEUE_PREFIX,
    "visibility_timeout": 900,
    # kombu waits this long before each receive, also when the last one returned messages: at 1 s a worker
    # took one task a second from a busy queue. Empty receives long-poll (wait_time_seconds), so a short pause
    # does not busy-loop.
    "polling_interval": env("CDD_SQS_POLLING_SECONDS", 0.1, cast=float),
    "wait_time_seconds": env("CDD_SQS_WAIT_SECONDS", 10, cast=int),
    "is_secure": AWS_ENDPOINT_URL is None or AWS_ENDPOINT_URL.startswith("https"),
}
# In AWS the task roles may not list or create queues: name them up front (Terraform sets the base URL).
CDD_SQS_QUEUE_URL_BASE = env("CDD_SQS_QUEUE_URL_BASE", "")
if CDD_SQS_QUEUE_URL_BASE and CDD_QUEUE_PREFIX is not None:
    CELERY_BROKER_TRANSPORT_OPTIONS["predefined_queues"] = {
        f"{CDD_QUEUE_PREFIX}{name}": {"url": f"{CDD_SQS_QUEUE_URL_BASE.rstrip('/')}/{CDD_QUEUE_PREFIX}{name}"}
        for name in CDD_QUEUES
    }
CELERY_TASK_DEFAULT_QUEUE = "default"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_RESULT_BACKEND = None
CELERY_TASK_ALWAYS_EAGER = env("CELERY_TASK_ALWAYS_EAGER", False, cast=to_bool)
CELERY_BEAT_SCHEDULE: dict[str, dict[str, object]] = {}
CELERY_BEAT_SCHEDULE["documents.expire_daily"] = {  # documents: mark expired, open triggers
    "task": "documents.expire", "schedule": 24 * 3600.0, "options": {"queue": "documents"}}
CELERY_BEAT_SCHEDULE["documents.request_reminders_daily"] = {  # documents: reminders before due dates
    "task": "documents.request_reminders", "schedule": 24 * 3600.0, "options": {"queue": "documents"}}
CELERY_BEAT_SCHEDULE["audit.daily_digest"] = {  # audit: anchor finished days in the WORM bucket (idempotent)
    "task": "audit.daily_digest", "schedule": 3600.0, "options": {"queue": "default"}}
CELERY_BEAT_SCHEDULE["reviews.periodic_daily"] = {  # reviews: open due periodic reviews, remind, escalate
    "task": "reviews.periodic", "schedule": 6 * 3600.0, "options": {"queue": "default"}}
CELERY_BEAT_SCHEDULE["screening.book_index_snapshot_hourly"] = {  # screening: persist the customer-side index
    "task": "screening.book_index_snapshot", "schedule": 3600.0, "options": {"queue": "screening"}}
CELERY_BEAT_SCHEDULE["screening.config_check_hourly"] = {  # screening: a changed configuration re-screens the book
    "task": "screening.config_check", "schedule": 3600.0, "options": {"queue": "screening"}}
CELERY_BEAT_SCHEDULE["core.outbox_sweep"] = {  # outbox: re-send follow-up work left pending
    "task": "core.outbox_sweep", "schedule": env("CDD_OUTBOX_SWEEP_SECONDS", 60.0, cast=float),
    "options": {"queue": "default"}}
CELERY_WORKER_HIJACK_ROOT_LOGGER = False

# --- Outbox: follow-up work of a write (apps/core/outbox.py) ---------------------------------
# Each topic's handler, declared here (a system check imports each at start-up), and its queue.
CDD_OUTBOX_HANDLERS = {
    "screening.subject": "apps.screening.services.subjects.screening_subject_process",
    "reviews.onboarding_case": "apps.reviews.services.case_open_onboarding_process",
    "screening.list_delta": "apps.screening.services.delta.list_delta_process",
    "reviews.risk_assess": "apps.reviews.risk.services.risk_assess_process",
    "reviews.trigger_case": "apps.reviews.pkyc.trigger_case_process",
    "reviews.risk_rerate_book": "apps.reviews.risk.services.risk_rerate_shard_process",
    "reviews.risk_whatif": "apps.reviews.risk.services.risk_model_whatif_process",
    "screening.rescreen_book": "apps.screening.services.rescreen.rescreen_job_process",
    "customers.name_index": "apps.customers.name_index.name_index_subject_process",
}
CDD_OUTBOX_QUEUES = {"screening.subject": "screening", "reviews.onboarding_case": "default",
                     "screening.list_delta": "screening", "reviews.risk_assess": "default",
                     "reviews.trigger_case": "default", "reviews.risk_rerate_book": "default",
                     "reviews.risk_whatif": "default", "screening.rescreen_book": "screening",
                     "customers.name_index": "default"}
# A list change re-screens the subjects that its changed entries match at this much below the threshold
# (candidates only: the subject's own screening then decides, with the false-positive memory).
CDD_DELTA_CANDIDATE_MARGIN = env("CDD_DELTA_CANDIDATE_MARGIN", 0.1, cast=float)
# Domain events (apps/core/events.py): committed with their audit events, then counted (MI) and delivered (webhooks).
CDD_OUTBOX_HANDLERS["events.publish"] = "apps.core.events.events_publish_process"
# Their own queue, with the webhook deliveries: a backlog of events never delays screening, cases or documents.
CDD_OUTBOX_QUEUES["events.publish"] = "events"
# --- webhooks (apps/core/webhooks, docs/webhooks.md) -------------------------------------------------------
INSTALLED_APPS.append("apps.core.webhooks")  # its tables, tasks and admin templates
# Targets on private, loopback or link-local addresses (and plain http) only where the receiver is on this machine;
# the system check cdd.E010 refuses True in any other environment. Cloud metadata addresses are refused always.
CDD_WEBHOOKS_ALLOW_PRIVATE_TARGETS = env("CDD_WEBHOOKS_ALLOW_PRIVATE_TARGETS", CDD_ENV in ("local", "test"),
                                         cast=to_bool)
CDD_WEBHOOKS_MAX_ATTEMPTS = env("CDD_WEBHOOKS_MAX_ATTEMPTS", 12, cast=int)  # then the delivery is dead
CDD_WEBHOOKS_BACKOFF_BASE_SECONDS = env("CDD_WEBHOOKS_BACKOFF_BASE_SECONDS", 30.0, cast=float)
CDD_WEBHOOKS_BACKOFF_MAX_SECONDS = env("CDD_WEBHOOKS_BACKOFF_MAX_SECONDS", 6 * 3600.0, cast=float)
CDD_WEBHOOKS_COUNTDOWN_MAX_SECONDS = env("CDD_WEBHOOKS_COUNTDOWN_MAX_SECONDS", 300.0, cast=float)  # longer: the sweep
CDD_WEBHOOKS_CONNECT_TIMEOUT_SECONDS = env("CDD_WEBHOOKS_CONNECT_TIMEOUT_SECONDS", 5.0, cast=float)
CDD_WEBHOOKS_READ_TIMEOUT_SECONDS = env("CDD_WEBHOOKS_READ_TIMEOUT_SECONDS", 10.0, cast=float)
CDD_WEBHOOKS_LEASE_SECONDS = env("CDD_WEBHOOKS_LEASE_SECONDS", 60, cast=int)
CDD_WEBHOOKS_REQUEUE_SECONDS = env("CDD_WEBHOOKS_REQUEUE_SECONDS", 120, cast=int)
CDD_WEBHOOKS_ROTATION_OVERLAP_HOURS = env("CDD_WEBHOOKS_ROTATION_OVERLAP_HOURS", 24, cast=int)
CDD_WEBHOOKS_KEEP_DAYS = env("CDD_WEBHOOKS_KEEP_DAYS", 30, cast=int)  # delivered deliveries expire after this
CELERY_BEAT_SCHEDULE["webhooks.sweep"] = {  # webhooks: send deliveries whose next attempt is due (lost or long delays)
    "task": "webhooks.sweep", "schedule": env("CDD_WEBHOOKS_SWEEP_SECONDS", 60.0, cast=float),
    "options": {"queue": "events"}}
# --- end of the webhooks block --------------------------------------------------------------------------------
# --- management information (apps/core/mi, docs/mi.md) -----------------------------------------------------
INSTALLED_APPS.append("apps.core.mi")  # its table, page template and mi_rebuild command
# Calendar days an alert may stay open (open, proposed or needs information) before it breaches its service level.
CDD_ALERT_SLA_DAYS = env("CDD_ALERT_SLA_DAYS", 5, cast=int)
CDD_MI_MAX_PERIOD_DAYS = env("CDD_MI_MAX_PERIOD_DAYS", 366, cast=int)  # the longest period the page and exports show
CDD_MI_DEFAULT_PERIOD_DAYS = env("CDD_MI_DEFAULT_PERIOD_DAYS", 30, cast=int)  # the period shown without from/to
# An applied event's marker (idempotency) is kept this long: longer than an outbox item can stay pending.
CDD_MI_EVENT_MARKER_DAYS = env("CDD_MI_EVENT_MARKER_DAYS", 35, cast=int)
CDD_MI_APPLY_ATTEMPTS = env("CDD_MI_APPLY_ATTEMPTS", 8, cast=int)  # conflicts on a busy counter, then the outbox retries
# --- end of the management information block ---------------------------------------------------------------
CDD_OUTBOX_REQUEUE_SECONDS = env("CDD_OUTBOX_REQUEUE_SECONDS", 120, cast=int)
CDD_OUTBOX_KEEP_DAYS = env("CDD_OUTBOX_KEEP_DAYS", 30, cast=int)

# --- API --------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "apps.core.auth.ApiKeyAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["apps.core.auth.RoleScopePermission",
                                   "apps.core.integrations.IntegrationScopePermission"],
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": [
        "apps.core.parsers.JSONParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_SCHEMA_CLASS": "apps.core.openapi.CddAutoSchema",
    "EXCEPTION_HANDLER": "apps.core.errors.api_exception_handler",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "CDD platform API",
    "DESCRIPTION": "Customer due diligence: customers, screening, documents, reviews and audit.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
}

# --- Domain settings ------------------------------------------------------------------
CDD_SCREENING_THRESHOLD = env("CDD_SCREENING_THRESHOLD", 0.8, cast=float)
# Screening (apps/screening/index_provider.py): which lists the matcher indexes. "snapshot" = the bundled
# snapshot (no AWS needed); "active" = the active list versions in DynamoDB/S3 (set this in AWS).
CDD_SCREENING_LIST_SOURCE = env("CDD_SCREENING_LIST_SOURCE", "snapshot")
CDD_SCREENING_HEADS_RECHECK_SECONDS = env("CDD_SCREENING_HEADS_RECHECK_SECONDS", 60.0, cast=float)
# Built snapshot index cached as a pickle keyed by snapshot checksum + matcher version/code; "" disables.
CDD_SCREENING_INDEX_CACHE_DIR = env("CDD_SCREENING_INDEX_CACHE_DIR", str(LOCAL_DIR / "cache"))
CDD_UBO_THRESHOLD = env("CDD_UBO_THRESHOLD", 25.0, cast=float)
# Ownership of a legal entity not traced to individuals above this % is a risk factor (ownership API).
CDD_UBO_UNIDENTIFIED_MAX = env("CDD_UBO_UNIDENTIFIED_MAX", 25.0, cast=float)
# Risk model and periodic reviews (apps/reviews/risk, apps/reviews/pkyc.py, docs/risk.md).
CDD_RISK_COUNTRY_TABLE = env("CDD_RISK_COUNTRY_TABLE", str(BASE_DIR / "apps" / "reviews" / "data" / "country_risk.json"))
CDD_RISK_SHIPPED_MODEL = BASE_DIR / "apps" / "reviews" / "data" / "risk_model_v1.json"
CDD_RISK_PEP_LISTS = env("CDD_RISK_PEP_LISTS", "", cast=to_list)  # list keys whose confirmed matches mean "PEP"
CDD_RISK_OVERRIDE_MAX_DAYS = env("CDD_RISK_OVERRIDE_MAX_DAYS", 365, cast=int)  # a manual rating expires by then
CDD_REVIEW_LEAD_DAYS = env("CDD_REVIEW_LEAD_DAYS", 30, cast=int)  # open a periodic review this long before it is due
CDD_REVIEW_REMINDER_DAYS = env("CDD_REVIEW_REMINDER_DAYS", "14,3", cast=to_list)  # reminders, days before due
CDD_REVIEW_ESCALATE_AFTER_DAYS = env("CDD_REVIEW_ESCALATE_AFTER_DAYS", 0, cast=int)  # overdue this long: escalate
# Case service levels: {kind: {rating: calendar days}} laid over the defaults of apps/reviews/sla.py (docs/cases.md).
from apps.reviews.sla import sla_days_setting  # noqa: E402  (light, no Django)

CDD_CASE_SLA_DAYS = env("CDD_CASE_SLA_DAYS", "", cast=sla_days_setting)
CDD_ADMIN_ALLOWED_CIDRS = env("CDD_ADMIN_ALLOWED_CIDRS", "", cast=to_list)
# Where the web and admin services are reached, for links from one to the other (the admin's case links open
# the reviewer UI; the web's navigation leads analysts to the admin). Empty: the same host (CDD_SERVICE=all).
CDD_WEB_URL = env("CDD_WEB_URL", "").rstrip("/")
CDD_ADMIN_URL = env("CDD_ADMIN_URL", "").rstrip("/")
# Roles that may sign in to the Django admin (apps/core/admin_site.py); a user with none of them is refused even
# with the staff flag. Plain reviewers are not among them: their work is in the web service.
CDD_ADMIN_ROLES = env("CDD_ADMIN_ROLES", "analyst,platform_admin,senior_reviewer,auditor", cast=to_list)
# Proxies in front of the HTTP services whose X-Forwarded-For entries are believed, counted from the right:
# 1 behind the ALB (xff_header_processing_mode "append"); 0 locally, where the peer is the client. The admin
# allow-list, the audit trail's source IP and sign-in lockouts by address all read it (apps.core.middleware).
CDD_TRUSTED_PROXY_HOPS = env("CDD_TRUSTED_PROXY_HOPS",
                             0 if IS_LOCAL or CDD_ENV == "test" or CDD_SERVICE not in ("api", "web", "admin")
                             else REQUIRED, cast=int)
# Audit (apps/audit): Object Lock (COMPLIANCE) retention of the daily digests; exports' link lifetime.
CDD_AUDIT_ANCHOR_RETENTION_DAYS = env("CDD_AUDIT_ANCHOR_RETENTION_DAYS", 3653, cast=int)  # 10 years
CDD_AUDIT_EXPORT_URL_SECONDS = env("CDD_AUDIT_EXPORT_URL_SECONDS", 300, cast=int)
# --- Audit trail: keyed chain and frequent anchors (apps/audit, docs/audit.md; issue 14 item 7) ---
# The HMAC key in KMS that MACs every audit event and checkpoint (HMAC_256, GENERATE_VERIFY_MAC).
CDD_AUDIT_MAC_KEY_ID = env("CDD_AUDIT_MAC_KEY_ID", "alias/cdd-audit-mac" if CDD_ENV in ("local", "test") else REQUIRED)
# Every this many minutes beat anchors every chain in the Object Lock bucket and verifies what changed since.
CDD_AUDIT_ANCHOR_MINUTES = env("CDD_AUDIT_ANCHOR_MINUTES", 5, cast=int)
# The first checkpoint of a trail finds its chains through the by-day index over this many days back.
CDD_AUDIT_ANCHOR_BOOTSTRAP_DAYS = env("CDD_AUDIT_ANCHOR_BOOTSTRAP_DAYS", 3653, cast=int)
# Chains of the checkpoint whose tail the beat check re-reads per run, in rotation (all, over a cycle).
CDD_AUDIT_VERIFY_CHAINS_PER_RUN = env("CDD_AUDIT_VERIFY_CHAINS_PER_RUN", 2000, cast=int)
CELERY_BEAT_SCHEDULE["audit.anchor_checkpoint"] = {  # audit: anchor every chain (idempotent within the interval)
    "task": "audit.anchor_checkpoint", "schedule": 60.0 * CDD_AUDIT_ANCHOR_MINUTES, "options": {"queue": "default"}}
CELERY_BEAT_SCHEDULE["audit.verify_recent"] = {  # audit: verify recent events and the latest anchors; alarm
    "task": "audit.verify_recent", "schedule": 60.0 * CDD_AUDIT_ANCHOR_MINUTES, "options": {"queue": "default"}}
# --- end of the audit trail block ---
# Documents (apps/documents): upload limits, accepted types, link lifetime, malware scanner.
CDD_DOCUMENTS_MAX_UPLOAD_BYTES = env("CDD_DOCUMENTS_MAX_UPLOAD_BYTES", 10 * 1024 * 1024, cast=int)  # API multipart
CDD_DOCUMENTS_MAX_PRESIGNED_BYTES = env("CDD_DOCUMENTS_MAX_PRESIGNED_BYTES", 100 * 1024 * 1024, cast=int)
CDD_DOCUMENTS_ALLOWED_TYPES = env(
    "CDD_DOCUMENTS_ALLOWED_TYPES", "application/pdf,image/jpeg,image/png,image/tiff", cast=to_list)
CDD_DOCUMENTS_URL_SECONDS = env("CDD_DOCUMENTS_URL_SECONDS", 300, cast=int)  # presigned download/upload lifetime
CDD_DOCUMENTS_CLAMD_URL = env("CDD_DOCUMENTS_CLAMD_URL", "")  # tcp://host:3310 or unix:///path; empty: no scan
CDD_DOCUMENTS_REMINDER_DAYS = env("CDD_DOCUMENTS_REMINDER_DAYS", "7,1", cast=to_list)  # days before the due date
CDD_DOCUMENTS_EXPIRING_DAYS = env("CDD_DOCUMENTS_EXPIRING_DAYS", 30, cast=int)  # checklist: "expires in N days"
# --- Documents: the malware scanner (apps/documents/scanning.py, docs/documents.md) -----------------------
# guardduty in AWS (GuardDuty Malware Protection for S3 tags each stored file; the worker reads the tag),
# fake locally (a stand-in that finds the EICAR test string and writes the same tag), none by default in the
# test settings (documents say "not scanned for malware"), clamd with CDD_DOCUMENTS_CLAMD_URL. Required in AWS.
CDD_DOCUMENT_SCANNER = env("CDD_DOCUMENT_SCANNER", ("clamd" if CDD_DOCUMENTS_CLAMD_URL else "fake") if IS_LOCAL
                           else "none" if CDD_ENV == "test" else REQUIRED)
CDD_DOCUMENTS_SCAN_TIMEOUT_SECONDS = env("CDD_DOCUMENTS_SCAN_TIMEOUT_SECONDS", 24 * 3600, cast=int)  # then refused
CDD_OUTBOX_HANDLERS["documents.scan_result"] = "apps.documents.services.document_scan_result_process"
CDD_OUTBOX_QUEUES["documents.scan_result"] = "documents"
# --- end of the documents' malware scanner block ------------------------------------------------------------
# Sanctions lists (apps/screening/lists, docs/lists.md): load checks, download limits, extra lists, schedule.
from apps.screening.list_schedule import beat_entries, json_object  # noqa: E402  (light, no Django)

CDD_LISTS_MIN_RATIO = env("CDD_LISTS_MIN_RATIO", 0.5, cast=float)  # refuse a version below this share of the last
# Hold (for a senior reviewer's activation) a version that lost more than this share of the active one's entries.
CDD_LISTS_MAX_SHRINK = env("CDD_LISTS_MAX_SHRINK", 0.05, cast=float)
# Refuse a version whose secondary files name entries its primary file lacks: more than the active version's
# share of such orphan ids plus this, or more than the ceiling when there is no active version.
CDD_LISTS_MAX_ORPHAN_RISE = env("CDD_LISTS_MAX_ORPHAN_RISE", 0.05, cast=float)
CDD_LISTS_MAX_ORPHAN_SHARE = env("CDD_LISTS_MAX_ORPHAN_SHARE", 0.25, cast=float)
CDD_LISTS_FETCH_TIMEOUT = env("CDD_LISTS_FETCH_TIMEOUT", 60.0, cast=float)  # seconds per request
CDD_LISTS_FETCH_MAX_BYTES = env("CDD_LISTS_FETCH_MAX_BYTES", 200 * 1024 * 1024, cast=int)  # per file
CDD_LISTS_UPLOAD_MAX_BYTES = env("CDD_LISTS_UPLOAD_MAX_BYTES", 100 * 1024 * 1024, cast=int)  # per file, in the admin
# {"bank_watch": {"format": "internal"|"ftm", "url": "...", "title": "...", "refresh_cron": "0 3 * * *"}}
CDD_LISTS_EXTRA = env("CDD_LISTS_EXTRA", "", cast=json_object)
CDD_LISTS_URLS = env("CDD_LISTS_URLS", "", cast=json_object)  # {"ofac_sdn": {"sdn.csv": "https://mirror/..."}}
CDD_LISTS_REFRESH_ENABLED = env("CDD_LISTS_REFRESH_ENABLED", False, cast=to_bool)  # off locally and in tests
CDD_LISTS_REFRESH_LISTS = env("CDD_LISTS_REFRESH_LISTS", "ofac_sdn,ofac_cons,un_sc,uk_ofsi", cast=to_list)
CDD_LISTS_REFRESH_CRON = env("CDD_LISTS_REFRESH_CRON", "", cast=json_object)  # {"ofac_sdn": "20 */2 * * *"}
if CDD_LISTS_REFRESH_ENABLED:
    CELERY_BEAT_SCHEDULE.update(
        beat_entries(lists=CDD_LISTS_REFRESH_LISTS, cron_overrides=CDD_LISTS_REFRESH_CRON, extra=CDD_LISTS_EXTRA)
    )

# --- Logs: JSON lines on stdout, one request id per line -----------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"request_id": {"()": "apps.core.logging.RequestIdFilter"}},
    "formatters": {"json": {"()": "apps.core.logging.JsonFormatter"}},
    "handlers": {
        "stdout": {
            "class": "logging.StreamHandler",
            # Services log to stdout (CloudWatch); manage.py sets stderr, since commands such as
            # screen_file write their data to stdout.
            "stream": f"ext://sys.{env('CDD_LOG_STREAM', 'stdout')}",
            "formatter": "json",
            "filters": ["request_id"],
        }
    },
    "root": {"handlers": ["stdout"], "level": env("CDD_LOG_LEVEL", "INFO")},
    "loggers": {
        "django.server": {"level": "WARNING"},
        "botocore": {"level": "WARNING"},
        "pynamodb": {"level": "WARNING"},
        # Only its start-up banner ("AXES: BEGIN version ...", before every manage.py command); the
        # lockouts are logged by axes.handlers and apps.core.signin, which keep their levels.
        "axes.apps": {"level": "WARNING"},
    },
}

check_required()
