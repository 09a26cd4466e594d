"""Settings read from the environment.

With no variable set the project runs as a development demo: SQLite under
``var/``, Celery tasks run eagerly, Stripe calls go to the local emulator.
``DJANGO_ENV=production`` turns on the production profile, which refuses to
start without its secrets. Every variable is listed in ``.env.example``.
"""

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured
from django.utils.translation import gettext_lazy as _
from oscar.defaults import *  # noqa: F403  (Oscar's settings, overridden below)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = Path(os.environ.get("VAR_DIR", BASE_DIR / "var"))

DJANGO_ENV = os.environ.get("DJANGO_ENV", "development")
if DJANGO_ENV not in {"development", "production"}:
    raise ImproperlyConfigured("DJANGO_ENV must be 'development' or 'production'.")
PRODUCTION = DJANGO_ENV == "production"


def env_required(name: str) -> str:
    """Return a variable the production profile cannot run without."""
    value = os.environ.get(name, "").strip()
    if not value:
        raise ImproperlyConfigured(f"{name} must be set when DJANGO_ENV=production.")
    return value


def env_bool(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item]


if PRODUCTION:
    SECRET_KEY = env_required("SECRET_KEY")
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS")
    if not ALLOWED_HOSTS:
        raise ImproperlyConfigured(
            "ALLOWED_HOSTS must be set when DJANGO_ENV=production."
        )
    DEBUG = False
else:
    SECRET_KEY = os.environ.get(
        "SECRET_KEY", "dev-only-not-secret-0f3c9a7e51b24d8c9e6a1b7d2c4f8e03a5b6c7d8"
    )
    ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "127.0.0.1,localhost,testserver")
    DEBUG = env_bool("DEBUG", True)

CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")
# The public address, for links in e-mails (pay links, password resets).
SITE_URL = os.environ.get("SITE_URL", "http://127.0.0.1:8000")

# --- Applications -----------------------------------------------------------

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.sites",
    "django.contrib.flatpages",
    "django.contrib.humanize",
    # ours
    "core.apps.CoreConfig",
    "accounts.apps.AccountsConfig",
    "participation.apps.ParticipationConfig",
    "campaigns.apps.CampaignsConfig",
    "rewards.apps.RewardsConfig",
    "payments.apps.PaymentsConfig",
    "accountability.apps.AccountabilityConfig",
    "opendata.apps.OpendataConfig",
    "documents.apps.DocumentsConfig",
    "marketplace.apps.MarketplaceConfig",
    "demo.apps.DemoConfig",
    # django-oscar, the shop under /shop/
    "oscar.config.Shop",
    "oscar.apps.analytics.apps.AnalyticsConfig",
    "marketplace.checkout.apps.CheckoutConfig",
    "oscar.apps.address.apps.AddressConfig",
    "oscar.apps.shipping.apps.ShippingConfig",
    "oscar.apps.catalogue.apps.CatalogueConfig",
    "oscar.apps.catalogue.reviews.apps.CatalogueReviewsConfig",
    "oscar.apps.communication.apps.CommunicationConfig",
    "marketplace.partner.apps.PartnerConfig",
    "oscar.apps.basket.apps.BasketConfig",
    "oscar.apps.payment.apps.PaymentConfig",
    "oscar.apps.offer.apps.OfferConfig",
    "oscar.apps.order.apps.OrderConfig",
    "oscar.apps.customer.apps.CustomerConfig",
    "oscar.apps.search.apps.SearchConfig",
    "oscar.apps.voucher.apps.VoucherConfig",
    "oscar.apps.wishlists.apps.WishlistsConfig",
    "oscar.apps.dashboard.apps.DashboardConfig",
    "oscar.apps.dashboard.reports.apps.ReportsDashboardConfig",
    "oscar.apps.dashboard.users.apps.UsersDashboardConfig",
    "oscar.apps.dashboard.orders.apps.OrdersDashboardConfig",
    "oscar.apps.dashboard.catalogue.apps.CatalogueDashboardConfig",
    "oscar.apps.dashboard.offers.apps.OffersDashboardConfig",
    "oscar.apps.dashboard.partners.apps.PartnersDashboardConfig",
    "oscar.apps.dashboard.pages.apps.PagesDashboardConfig",
    "oscar.apps.dashboard.ranges.apps.RangesDashboardConfig",
    "oscar.apps.dashboard.reviews.apps.ReviewsDashboardConfig",
    "oscar.apps.dashboard.vouchers.apps.VouchersDashboardConfig",
    "oscar.apps.dashboard.communications.apps.CommunicationsDashboardConfig",
    "oscar.apps.dashboard.shipping.apps.ShippingDashboardConfig",
    "widget_tweaks",
    "haystack",
    "treebeard",
    "sorl.thumbnail",
    "django_tables2",
]

SITE_ID = 1
AUTH_USER_MODEL = "accounts.User"

MIDDLEWARE = [
    "core.logs.RequestIdMiddleware",
    # Probes before the host check, the HTTPS redirect and sessions.
    "core.health.HealthCheckMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "core.middleware.SecurityHeadersMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Outside sessions, CSRF and messages: it sees every cookie they set.
    "core.front_cache.FrontCacheMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "oscar.apps.basket.middleware.BasketMiddleware",
    "django.contrib.flatpages.middleware.FlatpageFallbackMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "oscar.apps.search.context_processors.search_form",
                "oscar.apps.checkout.context_processors.checkout",
                "oscar.apps.communication.notifications.context_processors.notifications",
                "oscar.core.context_processors.metadata",
                "core.context_processors.csp",
            ],
        },
    }
]

# --- Data -------------------------------------------------------------------

DATABASE_URL = os.environ.get("DATABASE_URL", "")
if not DATABASE_URL:
    VAR_DIR.mkdir(parents=True, exist_ok=True)
# Connections: each web thread and worker process keeps one open for
# DB_CONN_MAX_AGE seconds; DB_POOL_MAX_SIZE > 0 uses psycopg's pool instead
# (one pool per process, shared by its threads; PostgreSQL only). Behind
# PgBouncer in transaction mode set DB_DISABLE_SERVER_SIDE_CURSORS=true (the
# open-data exports stream with server-side cursors otherwise).
DB_POOL_MAX_SIZE = int(os.environ.get("DB_POOL_MAX_SIZE", "0"))
DATABASES = {
    "default": dj_database_url.parse(
        DATABASE_URL or f"sqlite:///{VAR_DIR / 'db.sqlite3'}",
        conn_max_age=0
        if DB_POOL_MAX_SIZE
        else int(os.environ.get("DB_CONN_MAX_AGE", "60")),
        conn_health_checks=not DB_POOL_MAX_SIZE,
    )
}
if DATABASES["default"]["ENGINE"].endswith("postgresql"):
    if DB_POOL_MAX_SIZE:
        DATABASES["default"].setdefault("OPTIONS", {})["pool"] = {
            "min_size": int(os.environ.get("DB_POOL_MIN_SIZE", "1")),
            "max_size": DB_POOL_MAX_SIZE,
            "timeout": float(os.environ.get("DB_POOL_TIMEOUT", "10")),
        }
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env_bool(
        "DB_DISABLE_SERVER_SIDE_CURSORS", False
    )
elif DB_POOL_MAX_SIZE:
    raise ImproperlyConfigured("DB_POOL_MAX_SIZE needs PostgreSQL (DATABASE_URL).")
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

REDIS_URL = os.environ.get("REDIS_URL", "")
if REDIS_URL:
    CACHES = {
        "default": {
            # Django's RedisCache, without a new client object per call.
            "BACKEND": "core.cache.ReusedClientRedisCache",
            "LOCATION": REDIS_URL,
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

HAYSTACK_CONNECTIONS = {
    "default": {
        "ENGINE": "haystack.backends.whoosh_backend.WhooshEngine",
        "PATH": str(VAR_DIR / "whoosh_index"),
        "INCLUDE_SPELLING": True,
    }
}

# --- Accounts ---------------------------------------------------------------

AUTHENTICATION_BACKENDS = ["django.contrib.auth.backends.ModelBackend"]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": f"django.contrib.auth.password_validation.{name}"}
    for name in (
        "UserAttributeSimilarityValidator",
        "MinimumLengthValidator",
        "CommonPasswordValidator",
        "NumericPasswordValidator",
    )
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "accounts:dashboard"
LOGOUT_REDIRECT_URL = "site-home"

EMAIL_BACKEND = os.environ.get(
    "EMAIL_BACKEND",
    "django.core.mail.backends.smtp.EmailBackend"
    if PRODUCTION
    else "django.core.mail.backends.console.EmailBackend",
)
EMAIL_HOST = os.environ.get("EMAIL_HOST", "localhost")
EMAIL_PORT = int(os.environ.get("EMAIL_PORT", "25"))
EMAIL_HOST_USER = os.environ.get("EMAIL_HOST_USER", "")
EMAIL_HOST_PASSWORD = os.environ.get("EMAIL_HOST_PASSWORD", "")
EMAIL_USE_TLS = env_bool("EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = os.environ.get("DEFAULT_FROM_EMAIL", "noreply@localhost")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Language, time, money --------------------------------------------------

LANGUAGE_CODE = "it"
LANGUAGES = [("it", _("Italiano")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Europe/Rome"
# "1 dicembre 2026" rather than Django's "01 Dicembre 2026" (see core/dates.py).
FORMAT_MODULE_PATH = ["config.formats"]
USE_I18N = True
USE_TZ = True
DEFAULT_CURRENCY = "EUR"

# --- Static and media -------------------------------------------------------

STATIC_URL = "/static/"
STATIC_ROOT = VAR_DIR / "static"
STATICFILES_DIRS = [BASE_DIR / "static"]
if not PRODUCTION:
    STATIC_ROOT.mkdir(
        parents=True, exist_ok=True
    )  # whitenoise warns when it is missing
MEDIA_URL = "/media/"
MEDIA_ROOT = Path(os.environ.get("MEDIA_ROOT", VAR_DIR / "media"))
# Uploads under these prefixes are public images (core.media); the rest of
# MEDIA_ROOT (receipts) is served only through views that check permission.
PUBLIC_MEDIA_PREFIXES = (
    "campaigns/",
    "proposals/",
    "images/",  # the shop's product images (OSCAR_IMAGE_FOLDER)
    "cache/",  # their thumbnails (sorl-thumbnail)
    "image_not_found.jpg",  # the shop's placeholder (OSCAR_MISSING_IMAGE_URL)
)
# Django serves those itself (development, or no proxy in front); in
# production the proxy does (deploy/nginx/civic.conf).
SERVE_PUBLIC_MEDIA = env_bool("SERVE_PUBLIC_MEDIA", not PRODUCTION)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}

# --- Celery -----------------------------------------------------------------
# No broker configured means tasks run in-process (development, a laptop demo).

CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL)
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_TASK_ACKS_LATE = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_DEFAULT_QUEUE = "default"
# PDFs (WeasyPrint: ~180 ms and tens of MB each) have their own queue, served
# by workers started with --max-tasks-per-child so memory is given back; the
# rest (webhooks, closes, e-mail) is never stuck behind a batch of receipts.
CELERY_PDF_QUEUE = "pdf"
CELERY_TASK_ROUTES = {
    "campaigns.receipt_render": {"queue": CELERY_PDF_QUEUE},
    "marketplace.order_receipt_render": {"queue": CELERY_PDF_QUEUE},
}
# Our LOGGING (JSON in production) applies inside workers too.
CELERY_WORKER_HIJACK_ROOT_LOGGER = False
# Redis redelivers a task not acknowledged within this time (acks_late): it
# must exceed the longest task (the close of a 10,000-pledge campaign takes
# minutes).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "3600"))
}
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {
    "stripe-reconcile": {"task": "payments.reconcile", "schedule": 15 * 60},
    "give-up-action-required": {
        "task": "payments.give_up_action_required",
        "schedule": 60 * 60,
    },
    "remind-action-required": {
        "task": "payments.remind_action_required",
        "schedule": 60 * 60,
    },
    "close-due-campaigns": {"task": "campaigns.close_due", "schedule": 5 * 60},
    "render-pending-receipts": {
        "task": "campaigns.receipts_render_pending",
        "schedule": 10 * 60,
    },
    "render-pending-order-receipts": {
        "task": "marketplace.order_receipts_render_pending",
        "schedule": 10 * 60,
    },
    "expire-stale-pledges": {
        "task": "campaigns.expire_stale_pledges",
        "schedule": 10 * 60,
    },
}
PAYMENT_GRACE_DAYS = int(os.environ.get("PAYMENT_GRACE_DAYS", "7"))
# A receipt still missing this long after it was due is logged as an error
# by the sweeps (campaigns.receipts_render_pending and
# marketplace.order_receipts_render_pending), at every sweep.
RECEIPT_ALERT_AFTER_SECONDS = int(os.environ.get("RECEIPT_ALERT_AFTER_SECONDS", "3600"))
# Worker processes that charge a closing campaign's saved cards side by side
# (each leases its own batches); set it to the number of worker processes.
CAMPAIGN_CLOSE_PROCESSES = int(os.environ.get("CAMPAIGN_CLOSE_PROCESSES", "2"))
if PRODUCTION and not CELERY_BROKER_URL:
    raise ImproperlyConfigured(
        "CELERY_BROKER_URL must be set when DJANGO_ENV=production."
    )

# --- Stripe -----------------------------------------------------------------
# Development talks to the localstripe emulator over HTTP with the real SDK.

if PRODUCTION:
    STRIPE_SECRET_KEY = env_required("STRIPE_SECRET_KEY")
    STRIPE_PUBLISHABLE_KEY = env_required("STRIPE_PUBLISHABLE_KEY")
    STRIPE_WEBHOOK_SECRET = env_required("STRIPE_WEBHOOK_SECRET")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "https://api.stripe.com")
    STRIPE_JS_URL = os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/")
else:
    STRIPE_SECRET_KEY = os.environ.get("STRIPE_SECRET_KEY", "sk_test_localstripe")
    STRIPE_PUBLISHABLE_KEY = os.environ.get(
        "STRIPE_PUBLISHABLE_KEY", "pk_test_localstripe"
    )
    STRIPE_WEBHOOK_SECRET = os.environ.get("STRIPE_WEBHOOK_SECRET", "whsec_localstripe")
    STRIPE_API_BASE = os.environ.get("STRIPE_API_BASE", "http://127.0.0.1:8420")
    STRIPE_JS_URL = os.environ.get(
        "STRIPE_JS_URL", f"{STRIPE_API_BASE}/js.stripe.com/v3/"
    )

# --- Oscar ------------------------------------------------------------------

OSCAR_SHOP_NAME = "Bottega civica"
OSCAR_DEFAULT_CURRENCY = DEFAULT_CURRENCY
OSCAR_FROM_EMAIL = DEFAULT_FROM_EMAIL
OSCAR_HOMEPAGE = "/shop/catalogue/"
# Reviews come from signed-in buyers and are shown once staff approve them
# (Oscar's defaults publish anonymous reviews at once).
OSCAR_ALLOW_ANON_REVIEWS = False
OSCAR_MODERATE_REVIEWS = True
# Whoosh cannot facet: no "refine by" box made of split words.
OSCAR_SEARCH_FACETS = {"fields": {}, "queries": {}}
# Orders are placed unpaid and become paid only when payments says so
# (marketplace.services.order_payment_sync).
OSCAR_INITIAL_ORDER_STATUS = "pending"
OSCAR_INITIAL_LINE_STATUS = "pending"
OSCAR_ORDER_STATUS_PIPELINE = {
    "pending": ("paid", "cancelled"),
    "paid": ("collected", "refunded"),
    "collected": ("refunded",),
    "cancelled": (),
    "refunded": (),
}
OSCAR_LINE_STATUS_PIPELINE = {
    "pending": ("paid", "cancelled"),
    "paid": ("collected", "refunded"),
    "collected": ("refunded",),
    "cancelled": (),
    "refunded": (),
}

# --- Security ---------------------------------------------------------------

SESSION_COOKIE_HTTPONLY = True
CSRF_COOKIE_HTTPONLY = False
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", True)
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    LANGUAGE_COOKIE_SECURE = True
    OSCAR_BASKET_COOKIE_SECURE = True
    OSCAR_RECENTLY_VIEWED_COOKIE_SECURE = True
    SECURE_HSTS_SECONDS = int(os.environ.get("SECURE_HSTS_SECONDS", "31536000"))
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", True)
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"

# Content-Security-Policy, Permissions-Policy (core.middleware): scripts only
# from us (inline ones carry the request's nonce) and from Stripe.js; Stripe's
# frames and API. The Stripe origins come from STRIPE_JS_URL and
# STRIPE_API_BASE (the Stripe section); these add to them.
CSP_EXTRA_SCRIPT_SRC = env_list("CSP_EXTRA_SCRIPT_SRC")
CSP_EXTRA_CONNECT_SRC = env_list("CSP_EXTRA_CONNECT_SRC")
CSP_EXTRA_FRAME_SRC = env_list("CSP_EXTRA_FRAME_SRC")
CSP_EXTRA_IMG_SRC = env_list("CSP_EXTRA_IMG_SRC")
# Where the browser posts CSP violation reports (none when empty).
CSP_REPORT_URI = os.environ.get("CSP_REPORT_URI", "")

# Rate limits (core.ratelimit): "<count>/<unit>" per client IP, per user when
# logged in, and per e-mail typed for login and password reset, in fixed
# windows counted in the cache (Redis when REDIS_URL is set). Only POSTs count,
# except on the pay pages, whose every load asks Stripe for the payment.
# RATE_LIMITS="login=5/m,vote=60/m" overrides some.
RATE_LIMIT_ENABLED = env_bool("RATE_LIMIT_ENABLED", True)
RATE_LIMITS = {
    "login": "10/m",
    "signup": "5/m",
    "password_reset": "5/m",
    "vote": "30/m",
    "proposal": "10/m",
    "support": "30/m",
    "pledge": "10/m",
    "pay": "30/m",
    "checkout": "10/m",
    "purchase_vote": "30/m",
}
# e.g. RATE_LIMITS="login=5/m,vote=60/h"; each rate is checked at start-up
# (core.apps, with core.ratelimit.Rate.parse).
for _item in env_list("RATE_LIMITS"):
    _scope, _, _rate = (part.strip() for part in _item.partition("="))
    if _scope not in RATE_LIMITS:
        raise ImproperlyConfigured(
            f"RATE_LIMITS: {_item!r} names no scope of {', '.join(RATE_LIMITS)}."
        )
    RATE_LIMITS[_scope] = _rate
# Proxies in front of the site that each append to X-Forwarded-For (nginx: 1).
# 0, the default, never believes the header: the client is REMOTE_ADDR.
RATE_LIMIT_TRUSTED_PROXIES = int(os.environ.get("RATE_LIMIT_TRUSTED_PROXIES", "0"))
RATE_LIMIT_CACHE = "default"
RATE_LIMIT_KEY_PREFIX = "rl"

# --- Health -----------------------------------------------------------------
# /health/ and /health/live/ (core.health): seconds to wait for the broker and
# for a worker's answer; a worker's answer is trusted this long.
HEALTH_TIMEOUT_SECONDS = float(os.environ.get("HEALTH_TIMEOUT_SECONDS", "1"))
HEALTH_WORKER_CACHE_SECONDS = int(os.environ.get("HEALTH_WORKER_CACHE_SECONDS", "15"))

# How long nginx in front may serve a public page to anonymous visitors
# without asking again (core.front_cache); 0: never.
FRONT_CACHE_SECONDS = int(os.environ.get("FRONT_CACHE_SECONDS", "1"))
# How long nginx may keep a visitor's own parts of a shared page (their menu,
# a facilitator's link: core.fragments) for that session: a new name or role
# shows within this time.
FRONT_FRAGMENT_SECONDS = int(os.environ.get("FRONT_FRAGMENT_SECONDS", "30"))

# --- Logging ----------------------------------------------------------------
# To standard error, one line per record: JSON (production default) for a log
# collector, or plain text. Every line carries the request id (X-Request-ID)
# or the Celery task it came from.

LOG_FORMAT = os.environ.get("LOG_FORMAT", "json" if PRODUCTION else "plain")
if LOG_FORMAT not in {"json", "plain"}:
    raise ImproperlyConfigured("LOG_FORMAT must be 'json' or 'plain'.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"context": {"()": "core.logs.ContextFilter"}},
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {"()": "core.logs.JsonFormatter"},
    },
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": LOG_FORMAT,
            "filters": ["context"],
        }
    },
    "root": {"handlers": ["console"], "level": os.environ.get("LOG_LEVEL", "INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
        "haystack": {"level": "WARNING"},
        "stripe": {"level": "WARNING"},
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}
