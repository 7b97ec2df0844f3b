"""Django settings for egov.

Every setting that an operator may change comes from an environment variable, read through
``egov.core.config.env``. ``docs/configuration.md`` documents each one; a test checks that the two agree.
Defaults are safe for one machine (SQLite under ``var/``, debug off). ``EGOV_PRODUCTION=1`` turns on the
production checks in ``egov.core.checks``: the process refuses to start with unsafe settings and says which.
"""

from __future__ import annotations

from pathlib import Path

import dj_database_url
from django.utils.translation import gettext_lazy as _

from egov.core.config import env, env_bool, env_int, env_list, load_or_create_secret_key

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
VAR_DIR = Path(env("EGOV_VAR_DIR", str(PROJECT_DIR / "var"))).resolve()

PRODUCTION = env_bool("EGOV_PRODUCTION", False)
DEBUG = env_bool("EGOV_DEBUG", False)
# In production an unset key is not generated: it stays a marked placeholder that check egov.E001 rejects,
# so that the process stops with the list of every unsafe setting instead of a traceback.
SECRET_KEY = env("SECRET_KEY", "") or (
    "django-insecure-unset-secret-key" if PRODUCTION else load_or_create_secret_key(VAR_DIR)
)
ALLOWED_HOSTS = env_list("EGOV_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "[::1]"])
CSRF_TRUSTED_ORIGINS = env_list("EGOV_CSRF_TRUSTED_ORIGINS", [])
SITE_URL = env("EGOV_SITE_URL", "http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "rest_framework",
    "rest_framework.authtoken",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "csp",
    "django_tasks",
    "django_tasks_db",
    "egov.core",
    "egov.audit",
    "egov.directory",
    "egov.documents",
    "egov.signing",
    "egov.exchange",
    "egov.procedures",
    "egov.dossiers",
    "egov.notify",
    "egov.portal",
    "egov.reporting",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "egov.core.middleware.RequestContextMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "egov.core.middleware.VietnameseFirstMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "egov.core.middleware.AuditActorMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "csp.middleware.CSPMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "egov.urls"
WSGI_APPLICATION = "egov.wsgi.application"

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
                "egov.core.context_processors.platform",
                "egov.core.navigation.menu",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------------------
DATABASE_URL = env("DATABASE_URL", f"sqlite:///{VAR_DIR / 'egov.sqlite3'}")
DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=env_int("EGOV_DB_CONN_MAX_AGE", 0))}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web server read while the worker writes; IMMEDIATE transactions take the write lock at
    # BEGIN, so two writers queue up instead of failing half-way with "database is locked".
    DATABASES["default"]["OPTIONS"] = {
        "timeout": 30,
        "transaction_mode": "IMMEDIATE",
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON;",
    }
    if "TEST" not in DATABASES["default"]:
        DATABASES["default"]["TEST"] = {"NAME": str(VAR_DIR / "test-egov.sqlite3")}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Accounts and security ------------------------------------------------------------------------------
AUTH_USER_MODEL = "directory.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 8}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

AXES_FAILURE_LIMIT = env_int("EGOV_LOGIN_FAILURE_LIMIT", 5)
AXES_COOLOFF_TIME = env_int("EGOV_LOGIN_COOLOFF_MINUTES", 15) / 60  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False

OTP_TOTP_ISSUER = env("EGOV_OTP_ISSUER", "egov")

SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_AGE = env_int("EGOV_SESSION_AGE_SECONDS", 8 * 3600)
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
HTTPS = env_bool("EGOV_HTTPS", PRODUCTION)
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
if HTTPS:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_HSTS_SECONDS = env_int("EGOV_HSTS_SECONDS", 31536000)
    SECURE_SSL_REDIRECT = env_bool("EGOV_SSL_REDIRECT", False)

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": ["'self'", "data:"],
        "frame-ancestors": ["'none'"],
        "form-action": ["'self'"],
        "base-uri": ["'self'"],
        "object-src": ["'none'"],
    },
}

# --- Internationalisation: Vietnamese first, English second ---------------------------------------------
LANGUAGE_CODE = "vi"
LANGUAGES = [("vi", _("Tiếng Việt")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env("EGOV_TIME_ZONE", "Asia/Ho_Chi_Minh")
USE_I18N = True
USE_TZ = True

# --- Static and media -----------------------------------------------------------------------------------
STATIC_URL = "static/"
STATIC_ROOT = Path(env("EGOV_STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_ROOT = Path(env("EGOV_MEDIA_ROOT", str(VAR_DIR / "media")))
MEDIA_URL = "media/"
EGOV_MAX_UPLOAD_MB = env_int("EGOV_MAX_UPLOAD_MB", 50)
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

# --- Document exchange (edXML) --------------------------------------------------------------------------
EGOV_EDXML_MAX_PACKET_BYTES = env_int("EGOV_EDXML_MAX_PACKET_BYTES", 64 * 1024 * 1024)
EGOV_EDXML_MAX_ATTACHMENT_BYTES = env_int("EGOV_EDXML_MAX_ATTACHMENT_BYTES", 40 * 1024 * 1024)
EGOV_EXCHANGE_HUB_ID = env("EGOV_EXCHANGE_HUB_ID", "egov-hub")
EGOV_EXCHANGE_PARENT_URL = env("EGOV_EXCHANGE_PARENT_URL", "")
EGOV_EXCHANGE_PARENT_SYSTEM_ID = env("EGOV_EXCHANGE_PARENT_SYSTEM_ID", "")
EGOV_EXCHANGE_PARENT_SECRET = env("EGOV_EXCHANGE_PARENT_SECRET", "")
EGOV_EXCHANGE_TIMEOUT = env_int("EGOV_EXCHANGE_TIMEOUT", 60)
EGOV_EXCHANGE_POLL_SECONDS = env_int("EGOV_EXCHANGE_POLL_SECONDS", 60)
EGOV_EXCHANGE_HUB_URL = env("EGOV_EXCHANGE_HUB_URL", "")
EGOV_EXCHANGE_SYSTEM_ID = env("EGOV_EXCHANGE_SYSTEM_ID", "")
EGOV_EXCHANGE_SECRET = env("EGOV_EXCHANGE_SECRET", "")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- E-mail (real SMTP; the console backend only when explicitly chosen) -------------------------------
EMAIL_BACKEND = env("EGOV_EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = env("EGOV_EMAIL_HOST", "localhost")
EMAIL_PORT = env_int("EGOV_EMAIL_PORT", 25)
EMAIL_HOST_USER = env("EGOV_EMAIL_USER", "")
EMAIL_HOST_PASSWORD = env("EGOV_EMAIL_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EGOV_EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EGOV_EMAIL_USE_SSL", False)
EMAIL_TIMEOUT = env_int("EGOV_EMAIL_TIMEOUT", 20)
DEFAULT_FROM_EMAIL = env("EGOV_EMAIL_FROM", "egov <no-reply@egov.localhost>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Background tasks (Django Tasks API, database backend) ---------------------------------------------
TASKS = {
    "default": {
        "BACKEND": "django_tasks_db.DatabaseBackend",
        "QUEUES": ["default", "notify", "exchange", "reporting", "periodic"],
    }
}
EGOV_WORKER_HEARTBEAT_SECONDS = env_int("EGOV_WORKER_HEARTBEAT_SECONDS", 5)
# A worker silent for this long is presumed dead; the tasks it had claimed are run again.
EGOV_WORKER_DEAD_AFTER_SECONDS = env_int("EGOV_WORKER_DEAD_AFTER_SECONDS", 60)

# --- REST API -------------------------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "rest_framework.authentication.TokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["egov.core.permissions.IsStaffUser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "DEFAULT_PAGINATION_CLASS": "rest_framework.pagination.PageNumberPagination",
    "PAGE_SIZE": 50,
    "EXCEPTION_HANDLER": "egov.core.api.exception_handler",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "egov API",
    "DESCRIPTION": "REST API of the egov e-government platform (chính quyền điện tử).",
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v[0-9]+",
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "ENUM_NAME_OVERRIDES": {
        "OutboundKindEnum": "egov.exchange.models.OutboundPacket.Kind",
        "ExpectedReportStatusEnum": "egov.reporting.models.ExpectedReport.Status",
        "AgencyKindEnum": "egov.directory.models.Agency.Kind",
    },
}

# --- Logging --------------------------------------------------------------------------------------------
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("EGOV_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "WARNING"}},
}

EGOV_DEMO_PROVINCE_CODE = env("EGOV_DEMO_PROVINCE_CODE", "92")  # Cần Thơ (with Sóc Trăng, Hậu Giang)

# --- dossiers -------------------------------------------------------------------------------------------
# Dossier code format: "nd61" (<QCVN 102 code>-<yymmdd>-<nnnn>) or "tt03" (<QĐ20 code>-<yyyymmdd>-<nnnnnnn>).
EGOV_DOSSIER_CODE_FORMAT = env("EGOV_DOSSIER_CODE_FORMAT", "nd61")
# Office hours of the one-stop desks: a dossier received at or after closing counts from the next working day.
EGOV_DOSSIER_OFFICE_CLOSES = env("EGOV_DOSSIER_OFFICE_CLOSES", "17:00")
EGOV_DOSSIER_NOON = env("EGOV_DOSSIER_NOON", "12:00")
# Minutes between two scans flagging dossiers at risk (due within one working day) and overdue.
EGOV_DOSSIER_SCAN_MINUTES = env_int("EGOV_DOSSIER_SCAN_MINUTES", 15)

# --- notify ---------------------------------------------------------------------------------------------
# SMS provider: "console" (log only), "http" (JSON gateway) or "smpp" (SMSC); see docs/notify.md.
EGOV_SMS_PROVIDER = env("EGOV_SMS_PROVIDER", "console")
EGOV_SMS_SENDER = env("EGOV_SMS_SENDER", "EGOV")
EGOV_SMS_HTTP_URL = env("EGOV_SMS_HTTP_URL", "")
EGOV_SMS_HTTP_TOKEN = env("EGOV_SMS_HTTP_TOKEN", "")
EGOV_SMS_HTTP_TIMEOUT = env_int("EGOV_SMS_HTTP_TIMEOUT", 15)
EGOV_SMS_CALLBACK_SECRET = env("EGOV_SMS_CALLBACK_SECRET", "")
EGOV_SMPP_HOST = env("EGOV_SMPP_HOST", "")
EGOV_SMPP_PORT = env_int("EGOV_SMPP_PORT", 2775)
EGOV_SMPP_SYSTEM_ID = env("EGOV_SMPP_SYSTEM_ID", "")
EGOV_SMPP_PASSWORD = env("EGOV_SMPP_PASSWORD", "")
EGOV_SMPP_SYSTEM_TYPE = env("EGOV_SMPP_SYSTEM_TYPE", "")
EGOV_SMPP_CONCAT = env("EGOV_SMPP_CONCAT", "udh")
EGOV_SMPP_TIMEOUT = env_int("EGOV_SMPP_TIMEOUT", 10)
EGOV_SMPP_RECEIPT_WAIT_SECONDS = env_int("EGOV_SMPP_RECEIPT_WAIT_SECONDS", 2)
EGOV_NOTIFY_MAX_ATTEMPTS = env_int("EGOV_NOTIFY_MAX_ATTEMPTS", 8)
EGOV_NOTIFY_RETRY_BASE_SECONDS = env_int("EGOV_NOTIFY_RETRY_BASE_SECONDS", 60)
EGOV_NOTIFY_LEASE_SECONDS = env_int("EGOV_NOTIFY_LEASE_SECONDS", 600)

# --- dossiers API ---------------------------------------------------------------------------------------
# Public dossier status look-ups (tra cứu hồ sơ) allowed per client IP, the API and the portal page counted
# together: "<n>/<period>", period one of second, minute, hour, day (DRF throttle syntax, counted in the
# default cache); empty = no limit.
EGOV_PUBLIC_STATUS_RATE = env("EGOV_PUBLIC_STATUS_RATE", "30/minute")

# --- reporting ------------------------------------------------------------------------------------------
# Refuse to send a report when the reporting agency has no usable certificate (else it is sent unsigned).
EGOV_REPORTING_REQUIRE_SIGNATURE = env_bool("EGOV_REPORTING_REQUIRE_SIGNATURE", False)
# A number that changed by more than this percentage since the previous period is flagged (warning only).
EGOV_REPORTING_JUMP_WARNING_PERCENT = env_int("EGOV_REPORTING_JUMP_WARNING_PERCENT", 50)
# First reminder of an unsent report this many working days before its deadline.
EGOV_REPORTING_REMIND_DAYS_BEFORE = env_int("EGOV_REPORTING_REMIND_DAYS_BEFORE", 2)
# Platform facts: the pending deltas are moved into the daily and monthly facts every this many seconds.
EGOV_REPORTING_COMPACT_SECONDS = env_int("EGOV_REPORTING_COMPACT_SECONDS", 60)

# --- portal ---------------------------------------------------------------------------------------------
# "Quên mật khẩu?" requests of the citizen portal allowed per client IP: "<n>/<second|minute|hour|day>"
# (counted in the default cache); empty = no limit.
EGOV_PASSWORD_RESET_RATE = env("EGOV_PASSWORD_RESET_RATE", "5/hour")
# Seconds a password-reset link stays valid (Django's PASSWORD_RESET_TIMEOUT; staff and citizen links).
PASSWORD_RESET_TIMEOUT = env_int("EGOV_PASSWORD_RESET_TIMEOUT", 86400)
