"""Settings shared by every environment.

The environment is read here and only here (django-environ). Each variable is documented in the
README; `local.py` gives demo-friendly defaults, `production.py` has none for secrets.
"""

from pathlib import Path

import environ
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()

SECRET_KEY = env("SECRET_KEY", default="")
DEBUG = env.bool("DEBUG", default=False)
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "template_partials",
    "django_htmx",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_celery_beat",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "allauth.headless",
    "accounts",
    "tenants",
    "audit",
    "notifications",
    "billing",
    "payments",
    "statements",
    "settlements",
    "vouchers",
    "catalog",
    "compute",
    "jobs",
    "idempotency",
    "portal",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "csp.middleware.CSPMiddleware",  # Django 6: django.middleware.csp.ContentSecurityPolicyMiddleware
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "audit.middleware.RequestContextMiddleware",
    "tenants.middleware.ActiveTenantMiddleware",
    "tenants.middleware.StaffMfaRequiredMiddleware",
    "portal.middleware.RequestSizeLimitMiddleware",
]

ROOT_URLCONF = "portal.urls"
WSGI_APPLICATION = "portal.wsgi.application"

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
                "portal.context_processors.shell",
            ],
        },
    }
]

DATABASES = {
    "default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'portal.sqlite3'}"),
}
DATABASES["default"]["ATOMIC_REQUESTS"] = False  # services decide where transactions begin
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "dashboard"

# django-allauth: email is the login; verification is mandatory; failed logins are rate limited
# per account (the lockout) and per IP.
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_RATE_LIMITS = {
    "login_failed": env("LOGIN_FAILED_RATE_LIMIT", default="20/m/ip,5/15m/key"),
}
ACCOUNT_ADAPTER = "accounts.adapter.AccountAdapter"
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("TRUSTED_PROXY_COUNT", default=0)  # the client IP the per-IP limits count
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "AI Factory Portal"
# The same accounts for programs (sign up, verify email, log in with MFA) at /_allauth/app/v1/: an
# app gets an X-Session-Token, which our API also accepts. Browsers use the pages, not this.
HEADLESS_CLIENTS = ("app",)
HEADLESS_SERVE_SPECIFICATION = True
HEADLESS_SPECIFICATION_TEMPLATE_NAME = None  # its page loads Redoc from a CDN; /api/v1/docs/accounts/ shows it

LANGUAGE_CODE = "en"
LANGUAGES = [("en", _("English")), ("zh-hans", _("Simplified Chinese"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = VAR_DIR / "staticfiles"
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=str(VAR_DIR / "media"))

CACHES = {"default": env.cache("CACHE_URL", default="locmemcache://")}

EMAIL_CONFIG = env.email("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="AI Factory Portal <noreply@portal.example>")

# Celery: the broker defaults to kombu's filesystem transport under var/, which needs no server.
CELERY_BROKER_URL = env("CELERY_BROKER_URL", default="filesystem://")
CELERY_BROKER_TRANSPORT_OPTIONS = (
    {
        "data_folder_in": str(VAR_DIR / "broker" / "queue"),
        "data_folder_out": str(VAR_DIR / "broker" / "queue"),
        "processed_folder": str(VAR_DIR / "broker" / "processed"),
        "control_folder": str(VAR_DIR / "broker" / "control"),
        "store_processed": False,
    }
    if CELERY_BROKER_URL.startswith("filesystem")
    else {}
)
CELERY_TASK_IGNORE_RESULT = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULER = "django_celery_beat.schedulers:DatabaseScheduler"
JOBS_TICK = env.float("JOBS_TICK_SECONDS", default=5.0)  # how often jobs are reconciled with their engines
BILLING_TICK = env.float("BILLING_TICK_SECONDS", default=30.0)  # how often usage is rated and credit guarded
CELERY_BEAT_SCHEDULE = {
    "notifications-daily-digest": {
        "task": "notifications.tasks.send_daily_digests",
        "schedule": 60 * 60 * 24,
    },
    "tenants-expire-invitations": {
        "task": "tenants.tasks.expire_invitations",
        "schedule": 60 * 60,
    },
    "jobs-reconcile": {"task": "jobs.tasks.reconcile_jobs", "schedule": JOBS_TICK, "options": {"expires": JOBS_TICK}},
    "billing-rate-usage": {
        "task": "billing.tasks.rate_usage",
        "schedule": BILLING_TICK,
        "options": {"expires": BILLING_TICK},
    },
    "billing-credit-guard": {
        "task": "billing.tasks.guard_credit",
        "schedule": BILLING_TICK,
        "options": {"expires": BILLING_TICK},
    },
    "billing-release-stale-holds": {"task": "billing.tasks.release_stale_holds", "schedule": 60 * 60},
    "idempotency-expire-keys": {"task": "idempotency.tasks.expire_idempotency_keys", "schedule": 60 * 60},
    "statements-check-budgets": {
        "task": "statements.tasks.check_budgets",
        "schedule": 10 * 60,
        "options": {"expires": 10 * 60},
    },
    "payments-sync-overdue-topups": {"task": "payments.tasks.sync_overdue_topups", "schedule": 15 * 60},
    "compute-sample-pools": {"task": "compute.tasks.sample_pools", "schedule": 60.0, "options": {"expires": 60}},
    "jobs-remove-old-files": {
        "task": "jobs.tasks.remove_old_files",
        "schedule": 60 * 60,
        "options": {"expires": 60 * 60},
    },
    "vouchers-expire": {"task": "vouchers.tasks.expire_vouchers", "schedule": 10 * 60, "options": {"expires": 10 * 60}},
}

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "tenants.api.authentication.ApiKeyAuthentication",
        "tenants.api.authentication.SessionTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["tenants.api.permissions.IsTenantMember"],
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": ["django_filters.rest_framework.DjangoFilterBackend"],
    "DEFAULT_SCHEMA_CLASS": "portal.schema.PortalAutoSchema",
    "EXCEPTION_HANDLER": "portal.api.exception_handler",
    # Per API key (or signed-in person) and per anonymous IP; over the rate: 429 with Retry-After.
    "DEFAULT_THROTTLE_CLASSES": ["portal.throttling.ApiClientRateThrottle", "portal.throttling.ApiAnonRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {
        "api_client": env("API_RATE_LIMIT", default="600/min"),
        "api_anon": env("API_ANON_RATE_LIMIT", default="60/min"),
    },
    "NUM_PROXIES": env.int("TRUSTED_PROXY_COUNT", default=0),  # else X-Forwarded-For would pick the bucket
}
SPECTACULAR_SETTINGS = {
    "TITLE": "AI Factory Portal API",
    "DESCRIPTION": (
        "Tenant-scoped REST API. Authenticate with `Authorization: Api-Key <key>`, or as a person with "
        "`X-Session-Token` from the accounts API (/_allauth/app/v1/: sign up, verify email, log in with "
        "two-factor; its reference is at /api/v1/docs/accounts/) — which is how a program registers a new "
        "organisation (`POST /api/v1/organisations/`) and makes its first API key. Errors always look like "
        '`{"error": {"code", "message", "fields"}}`. POSTs that launch or retry a job, pay in, or act on '
        "vouchers take an `Idempotency-Key` header: the same key and body again get the first answer "
        "(`Idempotent-Replayed: true`) and nothing is done twice; the same key with another body is a 422."
    ),
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": True,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "TenantKindEnum": "tenants.roles.TenantKind.choices",
        "OfferingKindEnum": "catalog.choices.OfferingKind.choices",
        "OfferingStatusEnum": "catalog.choices.OfferingStatus.choices",
        "CompatStatusEnum": "catalog.choices.CompatStatus.choices",
        "IndustryEnum": "tenants.choices.Industry.choices",
        "VersionStateEnum": "catalog.choices.VersionState.choices",
        "TopUpStateEnum": "payments.models.TopUpState.choices",
        "BankTransferStateEnum": "payments.models.BankTransferState.choices",
        "QuotaRequestStateEnum": "compute.models.RequestState.choices",
        "QuotaLimitSourceEnum": "compute.selectors.LimitSource.choices",
        "SettlementStateEnum": "settlements.choices.SettlementState.choices",
        "ProvinceEnum": "tenants.choices.Province.choices",
        "SizeClassEnum": "tenants.choices.SizeClass.choices",
        "ProgramStatusEnum": "vouchers.models.ProgramStatus.choices",
        "VoucherApplicationStateEnum": "vouchers.models.ApplicationState.choices",
        "VoucherStateEnum": "vouchers.models.VoucherState.choices",
    },
}

# Our own knobs
INVITATION_VALID_DAYS = env.int("INVITATION_VALID_DAYS", default=7)
SITE_NAME = _("AI Factory Portal")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True  # htmx and the API docs take the token from the page, no script reads the cookie
CSRF_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Content-Security-Policy (django-csp; see README "Security"). Plain directive → source lists, the
# shape of Django 6's SECURE_CSP, so moving is `SECURE_CSP = CONTENT_SECURITY_POLICY["DIRECTIVES"]`.
# Every script is a file under static/ (no inline script, no eval, no CDN). Every style is in a style
# sheet under static/ too: no <style> element and no style attribute (bar widths and score colours
# are classes in static/css/portal.css); scripts may still set element.style.
# Forms may post to us, and the top-up form is redirected to Stripe Checkout (or the demo stand-in).
CSP_FORM_ACTION = env.list("CSP_FORM_ACTION", default=["https://checkout.stripe.com"])
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],  # also governs style attributes: none allowed
        "img-src": ["'self'", "data:"],  # Bootstrap's icons are data: SVGs
        "font-src": ["'self'"],
        "connect-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'self'"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'", *CSP_FORM_ACTION],
    }
}

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env("LOG_LEVEL", default="INFO")},
    # WeasyPrint and fontTools write several lines per PDF at INFO.
    "loggers": {"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}},
}
PORTAL_BASE_URL = env("PORTAL_BASE_URL", default="http://127.0.0.1:8000")

# Jobs, metering and money
JOBS_ROOT = Path(env("JOBS_ROOT", default=str(VAR_DIR / "jobs")))
ENGINE_ROOT = Path(env("ENGINE_ROOT", default=str(VAR_DIR / "engine")))
# Retention: a finished job's inputs, log and output files are removed this many days after it
# ended (the job, its timeline, costs and file list stay); engines drop their own records of
# finished jobs sooner; launch uploads left behind by a failed launch go after a day.
JOB_FILES_RETENTION_DAYS = env.int("JOB_FILES_RETENTION_DAYS", default=90)
ENGINE_RECORDS_RETENTION_DAYS = env.int("ENGINE_RECORDS_RETENTION_DAYS", default=7)
STAGING_RETENTION_HOURS = env.int("STAGING_RETENTION_HOURS", default=24)
JOB_UPLOAD_MAX_BYTES = env.int("JOB_UPLOAD_MAX_BYTES", default=20 * 1024 * 1024)  # one input file
MAX_REQUEST_BYTES = env.int("MAX_REQUEST_BYTES", default=64 * 1024 * 1024)  # a whole request, refused unread above
DATA_UPLOAD_MAX_MEMORY_SIZE = 16 * 1024 * 1024  # pasted documents and CSV text in form fields
METERING_INTERVAL_SECONDS = env.int("METERING_INTERVAL_SECONDS", default=60)
JOB_MAX_RUNTIME_FACTOR = 4  # a job may run this many times its template's typical runtime
PLATFORM_FEE_BP = env.int("PLATFORM_FEE_BP", default=1500)  # 15% of each charge
CREDIT_WARN_SECONDS = env.int("CREDIT_WARN_SECONDS", default=15 * 60)  # warn when funds last less than this
CREDIT_GRACE_SECONDS = env.int("CREDIT_GRACE_SECONDS", default=10 * 60)  # stop this long after the warning
HOLD_RELEASE_AFTER_SECONDS = env.int("HOLD_RELEASE_AFTER_SECONDS", default=24 * 3600)
# Slurm pools (partition, GRES) are set per pool by operators; the engine keeps its records here.
COMPUTE_ENGINES = {"local": {"root": ENGINE_ROOT}, "slurm": {"root": ENGINE_ROOT / "slurm"}}
# Extra environment for every job's workload (e.g. WORKLOAD_SLOWDOWN_SECONDS to slow demos and tests).
JOB_EXTRA_ENV = {name: value for name in ("WORKLOAD_SLOWDOWN_SECONDS",) if (value := env.str(name, default=""))}

# Stripe (card, Alipay, WeChat Pay top-ups). The SDK talks to STRIPE_API_BASE: Stripe itself in
# production, the local stand-in (payments/stripe_standin.py) in the demo and the tests.
STRIPE_SECRET_KEY = env("STRIPE_SECRET_KEY", default="")
STRIPE_WEBHOOK_SECRET = env("STRIPE_WEBHOOK_SECRET", default="")
STRIPE_API_BASE = env("STRIPE_API_BASE", default="https://api.stripe.com")
STRIPE_PAYMENT_METHODS = env.list("STRIPE_PAYMENT_METHODS", default=["card"])  # + "alipay", "wechat_pay"
PAYMENTS_BANK_ACCOUNT = {
    "account_name": env("PAYMENTS_BANK_ACCOUNT_NAME", default="AI工厂平台有限公司"),
    "bank_name": env("PAYMENTS_BANK_NAME", default="中国银行成都分行"),
    "account_number": env("PAYMENTS_BANK_ACCOUNT_NUMBER", default=""),
    "swift": env("PAYMENTS_BANK_SWIFT", default=""),
}
