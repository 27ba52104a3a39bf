"""Django settings for VShop, read from the environment.

Defaults are safe for a laptop: SQLite and a per-install random secret under ``VSHOP_DATA_DIR``.
With ``DEBUG=False`` a real ``SECRET_KEY`` must be given, or the process refuses to start.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent
PROJECT_DIR = BASE_DIR.parent.parent
DATA_DIR = Path(os.environ.get("VSHOP_DATA_DIR", PROJECT_DIR / "var")).resolve()
DATA_DIR.mkdir(parents=True, exist_ok=True)


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DEBUG = env_bool("DEBUG", True)

_INSECURE_SECRETS = {"", "change-me", "changeme", "secret", "django-insecure"}


def _secret_key() -> str:
    given = os.environ.get("SECRET_KEY", "")
    if given and given not in _INSECURE_SECRETS and len(given) >= 32:
        return given
    if not DEBUG:
        raise ImproperlyConfigured(
            "Refusing to start with DEBUG=False and no real SECRET_KEY: set SECRET_KEY in the "
            "environment to a random string of at least 32 characters "
            "(for example: python -c 'import secrets; print(secrets.token_urlsafe(50))')."
        )
    # A laptop default: random per install, kept on disk so sessions survive restarts.
    key_file = DATA_DIR / "secret_key"
    if not key_file.exists():
        key_file.write_text(secrets.token_urlsafe(50))
        key_file.chmod(0o600)
    return key_file.read_text().strip()


SECRET_KEY = _secret_key()

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("ALLOWED_HOSTS", "127.0.0.1,localhost,[::1],testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "huey.contrib.djhuey",
    "vshop.web",
    "vshop.accounts",
    "vshop.catalog",
    "vshop.inventory",
    "vshop.shops",
    "vshop.fans",
    "vshop.messaging",
    "vshop.orders",
    "vshop.payments",
    "vshop.ledger",
    "vshop.distribution",
    "vshop.payouts",
    "vshop.analytics",
    "vshop.trust",
    "vshop.campaigns",
    "vshop.circle",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "vshop.distribution.visitors.VisitorCookieMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "vshop.web.idempotency.IdempotencyMiddleware",
]

ROOT_URLCONF = "vshop.urls"
WSGI_APPLICATION = "vshop.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "vshop.web.context_processors.site",
                "vshop.messaging.context_processors.inbox",
                "vshop.orders.context_processors.cart",
            ],
        },
    }
]

# --- Database: SQLite by default, PostgreSQL when DATABASE_URL is set ---------------------
DATABASE_URL = os.environ.get("DATABASE_URL", "")
if DATABASE_URL:
    DATABASES = {"default": dj_database_url.parse(DATABASE_URL, conn_max_age=60)}
else:
    DATABASES = {
        "default": {
            "ENGINE": "django.db.backends.sqlite3",
            "NAME": str(DATA_DIR / "vshop.sqlite3"),
            "OPTIONS": {
                # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue
                # instead of failing with "database is locked" half way through.
                "transaction_mode": "IMMEDIATE",
                "timeout": 20,
                "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;",
            },
        }
    }
IS_POSTGRES = DATABASES["default"]["ENGINE"].endswith("postgresql")

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = ["vshop.accounts.backends.EmailOrMobileBackend"]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "web:home"
LOGOUT_REDIRECT_URL = "web:home"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 8},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# --- Redis: cache and Huey when REDIS_URL is set; the database otherwise ----------------
REDIS_URL = os.environ.get("REDIS_URL", "")
CACHES: dict[str, dict[str, object]]
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": os.environ.get("VSHOP_CACHE_PREFIX", "vshop"),
        }
    }
else:
    # The database cache is shared by every process, so rate limits hold across workers.
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.db.DatabaseCache",
            "LOCATION": "vshop_cache",
            # Visit and share-link dedupe keys live 30 minutes each; the default 300 entries
            # would forget them under real traffic and count visits twice.
            "OPTIONS": {"MAX_ENTRIES": 100_000},
        }
    }

HUEY = {
    "name": "vshop",
    "immediate": env_bool("HUEY_IMMEDIATE", False),
    "utc": True,
    "consumer": {"workers": 2, "worker_type": "thread", "periodic": True},
}
if REDIS_URL:
    HUEY.update({"huey_class": "huey.RedisHuey", "url": REDIS_URL})
else:
    HUEY.update({"huey_class": "huey.SqliteHuey", "filename": str(DATA_DIR / "huey.sqlite3")})

# --- Email: the inbox's notifications, sent by the Huey worker -------------------------
# A laptop has no SMTP server: sends there fail, are retried a few times and given up (the inbox
# message is kept), or VSHOP_EMAIL=console prints them to the worker's output instead.
if os.environ.get("VSHOP_EMAIL", "").strip().lower() == "console":
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
else:
    EMAIL_BACKEND = os.environ.get("EMAIL_BACKEND", "django.core.mail.backends.smtp.EmailBackend")
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", 1025))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
EMAIL_USE_SSL = env_bool("EMAIL_USE_SSL", False)  # port 465
EMAIL_TIMEOUT = 10
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "VShop <noreply@vshop.example>")
# Where the site is reached from outside: links in emails are made absolute with it.
VSHOP_SITE_URL = os.environ.get("VSHOP_SITE_URL", "http://127.0.0.1:8000").rstrip("/")

SESSION_ENGINE = "django.contrib.sessions.backends.db"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
SECURE_CONTENT_TYPE_NOSNIFF = True
X_FRAME_OPTIONS = "DENY"
if not DEBUG:
    SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)
    CSRF_COOKIE_SECURE = env_bool("SECURE_COOKIES", True)

# --- I18n and time ------------------------------------------------------------------------
LANGUAGE_CODE = os.environ.get("LANGUAGE_CODE", "zh-hans")
LANGUAGES = [("zh-hans", _("Simplified Chinese")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = os.environ.get("TIME_ZONE", "Asia/Shanghai")
USE_I18N = True
USE_TZ = True

# --- Static and uploaded files, all served by VShop itself (no CDN) -----------------------
STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STATIC_ROOT.mkdir(exist_ok=True)  # WhiteNoise warns on every request when it is missing
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": (
            "django.contrib.staticfiles.storage.StaticFilesStorage"
            if DEBUG
            else "whitenoise.storage.CompressedManifestStaticFilesStorage"
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 12 * 1024 * 1024

# --- VShop policy -------------------------------------------------------------------------
VSHOP_CURRENCY = "CNY"
VSHOP_IMAGE_MAX_BYTES = int(os.environ.get("VSHOP_IMAGE_MAX_BYTES", 5 * 1024 * 1024))
VSHOP_LOGIN_FAILURE_LIMIT = int(os.environ.get("VSHOP_LOGIN_FAILURE_LIMIT", 5))
VSHOP_LOGIN_FAILURE_WINDOW = int(os.environ.get("VSHOP_LOGIN_FAILURE_WINDOW", 15 * 60))
VSHOP_PAGE_CACHE_SECONDS = int(os.environ.get("VSHOP_PAGE_CACHE_SECONDS", 300))
# How long a process trusts the shop content version it read (the page cache key).
VSHOP_PAGE_VERSION_SECONDS = float(os.environ.get("VSHOP_PAGE_VERSION_SECONDS", 1))

# Buying
VSHOP_MAX_UNITS_PER_LINE = int(os.environ.get("VSHOP_MAX_UNITS_PER_LINE", 99))
VSHOP_UNPAID_TIMEOUT_SECONDS = int(os.environ.get("VSHOP_UNPAID_TIMEOUT_SECONDS", 15 * 60))
VSHOP_AUTO_CONFIRM_DAYS = int(os.environ.get("VSHOP_AUTO_CONFIRM_DAYS", 10))
VSHOP_AFTER_SALES_DAYS = int(os.environ.get("VSHOP_AFTER_SALES_DAYS", 7))
# How long a buyer has to take a rejected after-sales request to the platform.
VSHOP_DISPUTE_DAYS = int(os.environ.get("VSHOP_DISPUTE_DAYS", 3))
# The sandbox gateway: on unless switched off; how late and how often twice it notifies.
# Off by default in production (DEBUG=False): nobody should pay there with test money.
VSHOP_SANDBOX_PAYMENTS = env_bool("VSHOP_SANDBOX_PAYMENTS", DEBUG)
VSHOP_SANDBOX_MAX_DELAY_SECONDS = float(os.environ.get("VSHOP_SANDBOX_MAX_DELAY_SECONDS", 3))
VSHOP_SANDBOX_DUPLICATE_RATE = float(os.environ.get("VSHOP_SANDBOX_DUPLICATE_RATE", 0.2))
# How long an Idempotency-Key is remembered.
VSHOP_IDEMPOTENCY_HOURS = int(os.environ.get("VSHOP_IDEMPOTENCY_HOURS", 24))
# Sharing and commission. A share link binds a visitor to its sharer for this many days (a shop
# may choose 1-90). The platform's fee is this share, in basis points, of the shop owner's
# margin after commission: so neither can ever cost her more than the margin.
VSHOP_ATTRIBUTION_DAYS = int(os.environ.get("VSHOP_ATTRIBUTION_DAYS", 7))
VSHOP_PLATFORM_FEE_RATE = int(os.environ.get("VSHOP_PLATFORM_FEE_RATE", 500))
# Withdrawals: the smallest amount (fen) and the fee the platform keeps per payout (fen).
VSHOP_WITHDRAWAL_MINIMUM = int(os.environ.get("VSHOP_WITHDRAWAL_MINIMUM", 1000))
VSHOP_WITHDRAWAL_FEE = int(os.environ.get("VSHOP_WITHDRAWAL_FEE", 0))
VSHOP_PAYOUT_GATEWAY = os.environ.get("VSHOP_PAYOUT_GATEWAY", "sandbox")

# Fans: raw activity events are pruned after this many days, hourly rollups after that many;
# daily rollups are kept.
VSHOP_ACTIVITY_RAW_DAYS = int(os.environ.get("VSHOP_ACTIVITY_RAW_DAYS", 30))
VSHOP_ACTIVITY_HOURLY_DAYS = int(os.environ.get("VSHOP_ACTIVITY_HOURLY_DAYS", 180))

# Shopping circle: posts per shop per day and the fan-out threshold until the operator saves a
# circle policy; how long a fan's timeline is; how long a post can be edited.
VSHOP_CIRCLE_POSTS_PER_DAY = int(os.environ.get("VSHOP_CIRCLE_POSTS_PER_DAY", 3))
VSHOP_CIRCLE_FANOUT_THRESHOLD = int(os.environ.get("VSHOP_CIRCLE_FANOUT_THRESHOLD", 10_000))
VSHOP_CIRCLE_TIMELINE_LENGTH = int(os.environ.get("VSHOP_CIRCLE_TIMELINE_LENGTH", 800))
VSHOP_CIRCLE_EDIT_MINUTES = int(os.environ.get("VSHOP_CIRCLE_EDIT_MINUTES", 15))

# The inbox badge in every page's header asks for the unread count again this often (seconds).
VSHOP_INBOX_POLL_SECONDS = int(os.environ.get("VSHOP_INBOX_POLL_SECONDS", 30))

# Campaigns. Platform frequency caps until the operator saves a messaging policy in the console.
VSHOP_CAP_PER_SHOP_DAY = int(os.environ.get("VSHOP_CAP_PER_SHOP_DAY", 1))
VSHOP_CAP_PER_FAN_DAY = int(os.environ.get("VSHOP_CAP_PER_FAN_DAY", 3))
# The window "each fan's best moment" is chosen in, unless the owner picks another (hours).
VSHOP_SEND_WINDOW_HOURS = int(os.environ.get("VSHOP_SEND_WINDOW_HOURS", 24))
# Share of fans sent at an exploring hour (the bandit), so the model keeps learning.
VSHOP_SEND_EXPLORE = float(os.environ.get("VSHOP_SEND_EXPLORE", 0.1))
# Activity loses half its weight in the send-time profile after this many days.
VSHOP_SEND_HALF_LIFE_DAYS = float(os.environ.get("VSHOP_SEND_HALF_LIFE_DAYS", 21))
# Pseudo-events of the shop's profile added to a fan's (shrinkage for fans with little history).
VSHOP_SEND_PRIOR_WEIGHT = float(os.environ.get("VSHOP_SEND_PRIOR_WEIGHT", 10))
# Orders a recipient places in the shop this long after the message count for the campaign.
VSHOP_CAMPAIGN_ATTRIBUTION_HOURS = int(os.environ.get("VSHOP_CAMPAIGN_ATTRIBUTION_HOURS", 72))
# Email and webhook sends: tries before a message is recorded as failed (backoff doubles).
VSHOP_OUTGOING_TRIES = int(os.environ.get("VSHOP_OUTGOING_TRIES", 5))
VSHOP_OUTGOING_RETRY_SECONDS = int(os.environ.get("VSHOP_OUTGOING_RETRY_SECONDS", 60))
# Shops' webhooks may point at private addresses (127.0.0.1, 10.x) only when this is on.
VSHOP_WEBHOOK_ALLOW_PRIVATE = env_bool("VSHOP_WEBHOOK_ALLOW_PRIVATE", DEBUG)

NINJA_PAGINATION_PER_PAGE = 20
NINJA_MAX_PER_PAGE_SIZE = 100

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {"django.request": {"level": "ERROR"}},
}
