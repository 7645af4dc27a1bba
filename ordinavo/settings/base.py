"""Settings shared by every environment; values come only from the environment (and `.env`)."""

from datetime import timedelta
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
# Only a debug instance may run on a built-in key; without DEBUG a missing key fails loudly.
SECRET_KEY = env("SECRET_KEY", default="insecure-debug-only-key") if DEBUG else env("SECRET_KEY")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=[])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

if not env("DATABASE_URL", default=""):
    raise ImproperlyConfigured(
        "DATABASE_URL is not set. `make run` and `make test` set it (to an embedded PostgreSQL "
        "under var/ when it is not set); elsewhere set it to a PostgreSQL server, e.g. "
        "DATABASE_URL=postgres://postgres@127.0.0.1:5432/ordinavo"
    )
DATABASES = {"default": env.db("DATABASE_URL")}
if DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
    raise ImproperlyConfigured("DATABASE_URL must name a PostgreSQL database (postgres://...)")
DATABASES["default"]["ATOMIC_REQUESTS"] = False
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
# The import's hot statements run prepared (ordinavo.db.fetch); Django's own statements stay
# bound on the client and are never prepared. Turn off behind a pooler in transaction mode that
# does not support prepared statements.
DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = (
    5 if env.bool("DATABASE_PREPARED_STATEMENTS", default=True) else None
)
# PostgreSQL's JIT compiles a statement once its estimated cost passes jit_above_cost; the
# import's statements cross it as tables grow and then spend most of their time compiling
# (measured: ~90 of ~110 ms per 500-item webhook outbox statement). Our statements are short
# and index-driven, so JIT is off for our connections unless DATABASE_JIT asks for the server's
# choice (a pooler that rejects startup options needs it set on the server instead).
if not env.bool("DATABASE_JIT", default=False):
    _options = DATABASES["default"]["OPTIONS"]
    _options["options"] = f"{_options.get('options', '')} -c jit=off".strip()
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

INSTALLED_APPS = [
    # Django's admin with this project's site (a second factor at sign-in): ordinavo/admin_site.py
    "ordinavo.apps.OrdinavoAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "rest_framework",
    "rest_framework_api_key",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "tenants",
    "customers",
    "mapping",
    "inbound",
    "review",
    "fieldwork",
    "webhooks",
    "demo",
    "procrastinate.contrib.django",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "ordinavo.middleware.RequestSanityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The pages follow the browser's language (or the switch); the API stays English.
    "ordinavo.middleware.PagesLocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # Last, as django-axes asks: turns a refused sign-in of a locked-out user into its page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "ordinavo.urls"
WSGI_APPLICATION = "ordinavo.wsgi.application"

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
            ],
        },
    },
]

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en"
# The dispatcher pages speak German and English (review/locale); API and codes stay English.
LANGUAGES = [("de", "Deutsch"), ("en", "English")]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "var" / "staticfiles"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}

LOGIN_URL = "admin:login"

# The first backend refuses every password while a user name is locked out from an address.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]

# Login protection (django-axes, records in the database, so every worker sees them): after
# LOGIN_FAILURE_LIMIT wrong passwords (or codes) for one user name from one client address, that
# pair is refused for LOGIN_COOLOFF_MINUTES; each further try restarts the wait. Keyed on the
# pair, never on the user name alone or the address alone: a guesser can lock out only
# themselves, neither a user everywhere nor everyone behind a shared address.
AXES_HANDLER = "axes.handlers.database.AxesDatabaseHandler"
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = timedelta(minutes=env.int("LOGIN_COOLOFF_MINUTES", default=15))
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
# No table of every sign-in kept forever (personal data); axes logs each one at INFO instead.
AXES_DISABLE_ACCESS_LOG = True
# Its start-up banner on every process and command is noise in logs; lockouts are still logged.
AXES_VERBOSE = False
AXES_LOCKOUT_CALLABLE = "ordinavo.admin_site.lockout_response"
AXES_CLIENT_IP_CALLABLE = "ordinavo.client_ip.client_ip_address"
# Proxies in front that append the client's address to X-Forwarded-For (0: the header is not
# trusted and the address is the connection's own, which a client cannot forge).
TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)

# Two-factor sign-in (django-otp, TOTP): whoever has a confirmed device signs in with its code;
# superusers must have one when this is on (on in production settings).
OTP_REQUIRED_FOR_SUPERUSERS = env.bool("OTP_REQUIRED_FOR_SUPERUSERS", default=False)
OTP_TOTP_ISSUER = "Ordinavo Connect"
# Each user sets up their own device (/admin/two-factor/); the admin lists and removes devices
# but never shows a device's secret, not even to superusers.
OTP_ADMIN_HIDE_SENSITIVE_DATA = True

# Pages are served from this origin only; the admin and the API docs need nothing else.
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF, CSP.UNSAFE_INLINE],
    "img-src": [CSP.SELF, "data:"],
    "frame-ancestors": [CSP.NONE],
    "form-action": [CSP.SELF],
    "base-uri": [CSP.NONE],
}

SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # procrastinate says at INFO what it registers on every start and each job it runs.
    "loggers": {"procrastinate": {"level": env("WORKER_LOG_LEVEL", default="WARNING")}},
}

# Limits of the inbound API; every one can be set from the environment.
INBOUND_LIMITS = {
    "MAX_BODY_BYTES": env.int("INBOUND_MAX_BODY_BYTES", default=5 * 1024 * 1024),
    "MAX_BATCH_ITEMS": env.int("INBOUND_MAX_BATCH_ITEMS", default=500),
    "CUSTOM_FIELDS_MAX_KEYS": env.int("INBOUND_CUSTOM_FIELDS_MAX_KEYS", default=50),
    "CUSTOM_FIELDS_MAX_KEY_LENGTH": 100,
    "CUSTOM_FIELDS_MAX_VALUE_LENGTH": env.int(
        "INBOUND_CUSTOM_FIELDS_MAX_VALUE_LENGTH", default=1000
    ),
    "THROTTLE_RATE": env("INBOUND_THROTTLE_RATE", default="3000/min"),
    "IDEMPOTENCY_RETENTION_HOURS": env.int("IDEMPOTENCY_RETENTION_HOURS", default=24),
    # How long a request waits for a still-running one with its Idempotency-Key before a 409.
    "IDEMPOTENCY_WAIT_MS": env.int("IDEMPOTENCY_WAIT_MS", default=2000),
    # Asynchronous imports (POST inbound/imports, SPEC §8): their own limits, streamed to the
    # database (never held in memory whole), processed by workers in chunks of ASYNC_CHUNK_ITEMS.
    "MAX_ASYNC_ITEMS": env.int("INBOUND_MAX_ASYNC_ITEMS", default=100_000),
    "MAX_ASYNC_BODY_BYTES": env.int("INBOUND_MAX_ASYNC_BODY_BYTES", default=100 * 1024 * 1024),
    "ASYNC_CHUNK_ITEMS": 500,
    # How many chunks of one job may be queued at once (Procfile's importers run one each at a
    # time): more lanes than importers keep every importer fed between chunks.
    "ASYNC_CHUNK_LANES": env.int("INBOUND_ASYNC_CHUNK_LANES", default=4),
    # The nice value (0 to 19) of a worker thread while it imports a chunk: on a machine shared
    # with the web processes, the synchronous endpoints keep their throughput beside a large
    # import, which takes the CPU they leave (bench/async_import.py). 0: no change. Only the
    # thread's own Python work is lowered, not its PostgreSQL backend's. A thread goes back to
    # its priority after the chunk where the worker may raise priorities (root, CAP_SYS_NICE or
    # RLIMIT_NICE, e.g. `ulimit -e 20`); elsewhere it keeps the lower one for the tasks it runs
    # next (webhook deliveries, which mostly wait on the network).
    "ASYNC_CHUNK_NICE": env.int("INBOUND_ASYNC_CHUNK_NICE", default=19),
    # How long a chunk waits at most, before it starts, while synchronous imports are running
    # (on any worker, for any tenant: they share the database's CPUs), until none was seen for a
    # quarter of a second: requests keep their throughput beside a large import (a nice value
    # does not reach the worker's PostgreSQL backend), and under a steady stream of them each
    # lane still imports a chunk every few seconds. 0: never wait.
    "ASYNC_YIELD_SECONDS": env.float("INBOUND_ASYNC_YIELD_SECONDS", default=5.0),
}
# SPEC §9: an import item's incoming payload (names, e-mail, phone numbers) is kept while the
# item waits for review and this many days after its resolution (or its import, when nobody had
# to review it); `manage.py purge_import_payloads` clears older ones.
IMPORT_PAYLOAD_RETENTION_DAYS = env.int("IMPORT_PAYLOAD_RETENTION_DAYS", default=30)
# Django's own form-data limit; the API enforces INBOUND_LIMITS["MAX_BODY_BYTES"] itself.
DATA_UPLOAD_MAX_MEMORY_SIZE = INBOUND_LIMITS["MAX_BODY_BYTES"]

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["inbound.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": ["ordinavo.api.parsers.LimitedJSONParser"],
    "DEFAULT_RENDERER_CLASSES": ["ordinavo.api.renderers.OrjsonRenderer"],
    "DEFAULT_THROTTLE_CLASSES": ["inbound.api.throttling.IntegrationClientThrottle"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "ordinavo.api.problems.exception_handler",
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": None,
}

SPECTACULAR_SETTINGS = {
    "TITLE": "Ordinavo Connect API",
    "DESCRIPTION": (
        "Import targets (jobs) with their customer, location and contact; Ordinavo maps them to "
        "its customer master data. Authenticate with `Authorization: Bearer <api key>`."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SERVE_PERMISSIONS": ["rest_framework.permissions.AllowAny"],
    "SERVE_AUTHENTICATION": [],
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "POSTPROCESSING_HOOKS": [
        "drf_spectacular.hooks.postprocess_schema_enums",
        "inbound.api.schema.declare_blank_filters",
        "inbound.api.schema.declare_validation_rules",
    ],
    "ENUM_NAME_OVERRIDES": {
        "MappingStatusEnum": "mapping.choices.MappingStatus",
        "MappingWarningEnum": "mapping.choices.MappingWarning",
        "ImportStatusEnum": "inbound.choices.ImportStatus",
        "ImportJobStatusEnum": "inbound.choices.ImportJobStatus",
        # The `status` of an import's answer (sync and async): always Accepted.
        "ImportResponseOutputStatusEnum": [("Accepted", "Accepted")],
        "PriorityEnum": "customers.choices.Priority",
    },
}

# Background work: procrastinate on this database (SPEC §6). Tasks live in each app's tasks.py.
PROCRASTINATE_WORKER_DEFAULTS = {
    "concurrency": env.int("WORKER_CONCURRENCY", default=8),
    # A killed worker's jobs are retried once its heartbeat is this old (webhooks.tasks).
    "stalled_worker_timeout": env.float("WORKER_STALLED_SECONDS", default=30.0),
    "update_heartbeat_interval": env.float("WORKER_HEARTBEAT_SECONDS", default=10.0),
    # NOTIFY wakes a worker for new jobs; due retries and a target's next event (released when
    # the earlier one finishes) are found by polling, so poll every second, not every 5.
    "fetch_job_polling_interval": env.float("WORKER_POLL_SECONDS", default=1.0),
}
# Periodic tasks (the purges): a module of their own, imported by every worker.
PROCRASTINATE_IMPORT_PATHS = ["webhooks.maintenance", "review.tasks"]
# Finished jobs are only the queue's entries (the delivery log keeps every attempt): those that
# ended well are deleted after a day, failed ones after a month (webhooks.maintenance).
JOBS_RETENTION_HOURS = env.int("JOBS_RETENTION_HOURS", default=24)
FAILED_JOBS_RETENTION_DAYS = env.int("FAILED_JOBS_RETENTION_DAYS", default=30)

# Outbound webhooks (SPEC §7).
WEBHOOK_ALLOW_HTTP = env.bool("WEBHOOK_ALLOW_HTTP", default=False)
# CIDRs a webhook URL may resolve into although they are not global (e.g. "10.1.0.0/16").
WEBHOOK_ALLOWED_NETWORKS = env.list("WEBHOOK_ALLOWED_NETWORKS", default=[])
WEBHOOK_TIMEOUT_SECONDS = env.float("WEBHOOK_TIMEOUT_SECONDS", default=15.0)
# Seconds before each retry (±10% jitter): 5 s, 5 min, 30 min, 2 h, 5 h, 10 h, 10 h.
WEBHOOK_RETRY_SCHEDULE = [5, 300, 1800, 7200, 18000, 36000, 36000]
WEBHOOK_DISABLE_AFTER_FAILING_DAYS = env.int("WEBHOOK_DISABLE_AFTER_FAILING_DAYS", default=5)
WEBHOOK_SECRET_GRACE_HOURS = env.int("WEBHOOK_SECRET_GRACE_HOURS", default=24)
WEBHOOK_RESPONSE_RETENTION_DAYS = env.int("WEBHOOK_RESPONSE_RETENTION_DAYS", default=30)
# An endpoint's deliveries go out through this many lanes, each a send run of its own (one
# connection), in parallel on any workers; a target's events all take one lane, in order.
WEBHOOK_LANES_PER_ENDPOINT = env.int("WEBHOOK_LANES_PER_ENDPOINT", default=4)
# Deliveries a send run reads, sends and records at a time.
WEBHOOK_SEND_BATCH_SIZE = env.int("WEBHOOK_SEND_BATCH_SIZE", default=100)
# A send run hands its lane on (to a new job) after this long, so workers share out fairly
# among endpoints and stop promptly.
WEBHOOK_SEND_RUN_SECONDS = env.float("WEBHOOK_SEND_RUN_SECONDS", default=10.0)
