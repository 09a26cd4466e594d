"""gunicorn settings for production: `gunicorn -c deploy/gunicorn.conf.py config.wsgi`.

Every value can be changed from the environment (the systemd unit reads
/etc/civic/civic.env). Threads absorb requests waiting on PostgreSQL or
Stripe; processes use the cores. Two processes per core by default: the
threads of one process share one interpreter lock, so with one process per
core the cores sat partly idle while requests queued (bench/README.md,
"Pledges served as production serves them": pledge POSTs 137 -> 180 req/s on
2 cores, the machine 87% -> 98% busy). Each thread holds at most one
database connection: workers x threads per machine must stay under
PostgreSQL's max_connections (or use DB_POOL_MAX_SIZE / PgBouncer).
"""

import json
import multiprocessing
import os

bind = os.environ.get("GUNICORN_BIND", "127.0.0.1:8000")
workers = int(os.environ.get("WEB_CONCURRENCY") or 2 * multiprocessing.cpu_count())
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))
# A request taking longer than this is killed (the browser gets a 502 from the
# proxy): long work belongs in Celery tasks.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "30"))
graceful_timeout = 30
keepalive = 5
# Recycle processes now and then (a slow leak cannot grow for ever).
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "5000"))
max_requests_jitter = max_requests // 10
# The TLS proxy on the same machine sets X-Forwarded-Proto / -For.
forwarded_allow_ips = os.environ.get("FORWARDED_ALLOW_IPS", "127.0.0.1,::1")

# Access log: one JSON object per request on standard output, joined to the
# application's log lines by the request id our middleware sends back.
accesslog = "-"
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")
access_log_format = json.dumps(
    {
        "time": "%(t)s",
        "logger": "gunicorn.access",
        "remote": "%(h)s",
        "method": "%(m)s",
        "path": "%(U)s",
        "status": "%(s)s",
        "bytes": "%(B)s",
        "ms": "%(M)s",
        "request_id": "%({x-request-id}o)s",
        "user_agent": "%(a)s",
    }
)
