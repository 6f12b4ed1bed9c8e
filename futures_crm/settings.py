"""Settings for the futures-brokerage CRM, read from the environment (12-factor).

Unset DATABASE_URL means the project's own PostgreSQL (futures_crm/embedded_db.py, data under
var/pgdata), so the product runs with nothing installed; unset CELERY_BROKER_URL means tasks run
in-process.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DEBUG", default=False)
DEV_SECRET_KEY = "dev-only-insecure-key-change-me"  # noqa: S105 - refused below unless DEBUG
# The placeholder .env.example ships: copying the example must not give production a public key.
EXAMPLE_SECRET_KEY = "change-me-to-a-long-random-string-of-at-least-fifty-characters-0123456789"  # noqa: S105
SECRET_KEY = env("SECRET_KEY", default=DEV_SECRET_KEY if DEBUG else None)
if not DEBUG and (not SECRET_KEY or SECRET_KEY in {DEV_SECRET_KEY, EXAMPLE_SECRET_KEY} or len(SECRET_KEY) < 50):
    # Fail at start-up, not at the first signed cookie: production must bring its own key.
    raise ImproperlyConfigured(
        "SECRET_KEY must be set to your own random value of 50 characters or more when DEBUG is off "
        "(not the example's; see .env.example).")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "axes",
    "futures_crm",
    "clients",
    "segmentation",
    "referrals",
    "service",
    "privacy",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "futures_crm.middleware.MalformedSessionCookieMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "futures_crm.middleware.NoStoreForStaffMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    # Last, as django-axes asks: it turns a locked-out login into the lockout page.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "futures_crm.urls"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "futures_crm.context_processors.navigation",
            ],
        },
    },
]

# Forms: Django's plain widgets written without a template per <input> and <option> (same markup).
FORM_RENDERER = "futures_crm.renderers.FastWidgetRenderer"

WSGI_APPLICATION = "futures_crm.wsgi.application"

if "DATABASE_URL" in env.ENVIRON:
    DATABASES = {"default": env.db("DATABASE_URL")}
else:
    from .embedded_db import ensure_running

    DATABASES = {"default": env.db_url_config(ensure_running())}
DATABASES["default"]["ATOMIC_REQUESTS"] = False
# Persistent connections (CONN_MAX_AGE seconds; docker-compose sets 60): a gunicorn thread keeps its PostgreSQL
# backend between requests instead of starting one per request; each is checked before reuse, so a restarted
# database costs one failed check, not a failed request.
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("CONN_MAX_AGE", default=0))
DATABASES["default"].setdefault("CONN_HEALTH_CHECKS", True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
AUTHENTICATION_BACKENDS = [
    # First: refuses a locked-out account or address before the password is even checked.
    "futures_crm.security.LockoutBackend",
    "django.contrib.auth.backends.ModelBackend",
]
# Password guessing: after LOGIN_FAILURE_LIMIT failures an account, and separately an address, is
# locked until an administrator unlocks it (admin "Access attempts", or `manage.py axes_reset_username`).
AXES_FAILURE_LIMIT = env.int("LOGIN_FAILURE_LIMIT", default=5)
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_COOLOFF_TIME = None
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "futures_crm" / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True
# Dates ISO and amounts grouped the same way in both languages (futures_crm/formats).
FORMAT_MODULE_PATH = ["futures_crm.formats"]

STATIC_URL = "static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"
        if DEBUG
        else "whitenoise.storage.CompressedManifestStaticFilesStorage"
    },
}
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))
IMPORT_DROP_DIR = env.path("IMPORT_DROP_DIR", default=str(VAR_DIR / "import_drop"))
# Who reads a settlement file's lines: "sql" (PostgreSQL's COPY; the fast routes) or "python" (every row
# checked in Python, as JSON rows are). The same outcome either way; the import tests compare the two.
IMPORT_LINE_CHECK = "sql"
# An import file sent through the page or the API: the largest accepted (a clear 413 above it), and how
# long one import may run on a worker (the task's soft time limit; the batch then ends failed). A batch
# that no worker has taken within that time is failed too.
IMPORT_MAX_UPLOAD_MB = env.int("IMPORT_MAX_UPLOAD_MB", default=500)
IMPORT_TIME_LIMIT = env.int("IMPORT_TIME_LIMIT", default=3600)
# Uploaded files over 2.5 MB are streamed to a temporary file, never held in memory; any other request
# body (a form, JSON rows for the import API) may hold up to DATA_UPLOAD_MAX_MB.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MB", default=10) * 1024 * 1024

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.SessionAuthentication",
        "rest_framework.authentication.TokenAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["futures_crm.api.permissions.IsStaffMember"],
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "COERCE_DECIMAL_TO_STRING": True,
    "EXCEPTION_HANDLER": "futures_crm.api.exceptions.exception_handler",
    # Scraping and token guessing: per user once signed in, per address before.
    "DEFAULT_THROTTLE_CLASSES": ["rest_framework.throttling.AnonRateThrottle",
                                 "rest_framework.throttling.UserRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"anon": env("API_THROTTLE_ANON", default="60/minute"),
                               "user": env("API_THROTTLE_USER", default="20000/hour")},
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Futures brokerage CRM API",
    "DESCRIPTION": "Clients, settlement import, relationships, service and segmentation.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    # The schema and its docs describe every endpoint: staff only.
    "SERVE_PERMISSIONS": ["futures_crm.api.permissions.IsStaffMember"],
    "COMPONENT_SPLIT_REQUEST": True,
    # Several models have a `status`; name each choice set so the schema stays stable.
    "ENUM_NAME_OVERRIDES": {
        "IntermediaryStatusEnum": "referrals.choices.IntermediaryStatus",
        "ReferralStatusEnum": "referrals.choices.ReferralStatus",
        "StatementStatusEnum": "referrals.choices.StatementStatus",
        # Batches and quarantined rows share the kind of file; the name it had before the quarantine API.
        "ImportBatchKindEnum": "clients.models.imports.ImportKind",
        "AlertKindEnum": "clients.models.imports.AlertKind",
        "QuarantineStatusEnum": "clients.models.imports.QuarantineStatus",
    },
}

# Celery: JSON only; without a broker, tasks run eagerly in-process.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="")
CELERY_RESULT_BACKEND = env("CELERY_RESULT_BACKEND", default=CELERY_BROKER_URL or None)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
# A worker takes one task at a time: with late acknowledgement (the nightly tasks), a task a killed worker
# held goes back to the queue instead of being lost with its prefetched neighbours. With Redis, a task
# whose worker died without a word is handed out again once it has been unacknowledged this many seconds:
# longer than the longest step (the first night of a 250-day history summarises for ~10 minutes).
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_BROKER_TRANSPORT_OPTIONS = {"visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=1800)}
# A schedule is seconds, or the fields of a crontab: futures_crm.celery makes those crontabs (importing
# celery.schedules here would load Celery and kombu into every process's start, ≈ 0.15 s).
CELERY_BEAT_SCHEDULE = {
    "clients-import-drop-folder": {"task": "clients.import_drop_folder", "schedule": 300.0},
    # Batches whose worker died (no heartbeat for two minutes) are marked failed.
    "clients-import-fail-stale": {"task": "clients.import_fail_stale", "schedule": 60.0},
    # The month partitions of the settlement tables and ClientDay, three months ahead (clients/partitions.py).
    "clients-ensure-partitions": {"task": "clients.ensure_partitions", "schedule": {"hour": 1, "minute": 15}},
}
# The nightly segmentation run: every weekday evening (Asia/Shanghai), after the settlement import.
# On a holiday there is no new day, and the task skips a day that already has a successful run.
NIGHTLY_AT = env("NIGHTLY_AT", default="18:30")
# A run whose heartbeat is older than this is taken for dead and may be taken over by a new start; a step
# at work beats every NIGHTLY_HEARTBEAT_SECONDS, so a live run is never taken for stale.
NIGHTLY_STALE_MINUTES = env.int("NIGHTLY_STALE_MINUTES", default=2)
NIGHTLY_HEARTBEAT_SECONDS = env.int("NIGHTLY_HEARTBEAT_SECONDS", default=20)
# How many shard tasks the per-client steps split into (one per Celery worker process is a good start).
NIGHTLY_SHARDS = env.int("NIGHTLY_SHARDS", default=1)
CELERY_BEAT_SCHEDULE["segmentation-nightly"] = {
    "task": "segmentation.nightly",
    "schedule": {"hour": int(NIGHTLY_AT.split(":")[0]), "minute": int(NIGHTLY_AT.split(":")[1]),
                 "day_of_week": "mon-fri"},
    "kwargs": {"skip_done": True},
}

# Service desk (service app): complaint deadlines count trading time, 09:00–15:00 Asia/Shanghai,
# Monday–Friday, minus the exchange closures listed here (ISO dates).
SERVICE_TRADING_HOURS = ("09:00", "15:00")
SERVICE_CLOSED_DATES = env.list("SERVICE_CLOSED_DATES", default=[])
# SMS/WeChat gateway; the default only writes the message to the log.
SERVICE_MESSAGE_BACKEND = env("SERVICE_MESSAGE_BACKEND", default="service.messaging.LogBackend")
# Activity results: a client invited to an activity counts as converted when, not having traded in this many days
# before it, they trade within this many days from it (service.activity_results).
ACTIVITY_CONVERSION_DAYS = env.int("ACTIVITY_CONVERSION_DAYS", default=30)
# Distinct OpenAPI names for the service app's choice sets (several share field names like `status`).
SPECTACULAR_SETTINGS.setdefault("ENUM_NAME_OVERRIDES", {}).update({
    "TicketStatusEnum": "service.choices.TicketStatus",
    "TaskStatusEnum": "service.choices.TaskStatus",
    "RecipientStatusEnum": "service.choices.RecipientStatus",
    "ProspectGradeEnum": "service.choices.ProspectGrade",
    "MessageChannelEnum": "service.choices.MessageChannel",
    "ContactChannelEnum": "clients.choices.ContactChannel",
    "AccountStatusEnum": "clients.choices.AccountStatus",
})
CELERY_BEAT_SCHEDULE.update({
    "service-escalate-overdue-tickets": {"task": "service.tasks.escalate_overdue_tickets", "schedule": 600.0},
    "service-care-run": {"task": "service.tasks.care_run_today",
                         "schedule": {"hour": 7, "minute": 30}},
})

# Personal information (privacy app): a closed account's personal data is kept this many years from its
# closing date (futures account records: 20), then de-identified by the nightly job below.
PERSONAL_DATA_RETENTION_YEARS = env.int("PERSONAL_DATA_RETENTION_YEARS", default=20)
CELERY_BEAT_SCHEDULE["privacy-deidentify-due"] = {"task": "privacy.tasks.deidentify_due",
                                                  "schedule": {"hour": 2, "minute": 30}}

# Scheduled reports (segmentation.reports): every morning, the dashboards due this week or month are e-mailed.
CELERY_BEAT_SCHEDULE["segmentation-scheduled-reports"] = {"task": "segmentation.send_scheduled_reports",
                                                          "schedule": {"hour": 7, "minute": 0}}

EMAIL_BACKEND = env("EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="crm@localhost")
ADMINS = [tuple(a.split(":", 1)) for a in env.list("ADMINS", default=[])]

# Production hardening: on unless DEBUG, so `check --deploy` passes with the shipped defaults.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31536000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
# Every page loads only its own scripts, styles, images and fonts: nothing inline, nothing outside.
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    },
}

# The API's throttle counts must be shared by every web worker: Redis when
# configured, else this process's memory (one process: `make run`).
CACHE_URL = env("CACHE_URL", default="")
CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": CACHE_URL}
          if CACHE_URL else {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
# Sessions are read from that cache and written through to the database: one query less on every request,
# and a session outlives a cache flush.
SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
}
