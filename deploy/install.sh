#!/usr/bin/env bash
# Install or upgrade the civic marketplace on one Debian 12 machine, as root:
#
#   git clone <repository> /srv/civic/app
#   bash /srv/civic/app/deploy/install.sh civica.example.org
#
# Idempotent: run it again after `git -C /srv/civic/app pull` to upgrade
# (packages, dependencies, migrations, static files, units, restart).
# It creates, once, /etc/civic/civic.env with a fresh SECRET_KEY and the local
# PostgreSQL database and Redis; fill in the Stripe keys and SMTP there, then
# run it again. PostgreSQL and Redis may live elsewhere: set DATABASE_URL,
# CELERY_BROKER_URL and REDIS_URL in civic.env and pass --no-local-services.
set -euo pipefail

DOMAIN="${1:?usage: install.sh <domain> [--no-local-services]}"
LOCAL_SERVICES=1
[ "${2:-}" = "--no-local-services" ] && LOCAL_SERVICES=0

APP=/srv/civic/app
VENV=/srv/civic/venv
ENV_FILE=/etc/civic/civic.env
cd "$APP"

say() { printf '\n== %s\n' "$*"; }

say "Debian packages"
packages=(python3 python3-venv python3-dev build-essential libpq-dev
  libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0 fonts-liberation fonts-dejavu-core
  nginx certbot python3-certbot-nginx curl)
[ "$LOCAL_SERVICES" = 1 ] && packages+=(postgresql redis-server)
apt-get update -q
DEBIAN_FRONTEND=noninteractive apt-get install -y -q "${packages[@]}"

say "user and folders"
id civic > /dev/null 2>&1 || useradd --system --home /srv/civic --shell /usr/sbin/nologin civic
install -d -o civic -g civic /srv/civic/media /srv/civic/var /srv/civic/state
install -d -m 750 -o root -g civic /etc/civic

if [ "$LOCAL_SERVICES" = 1 ]; then
  say "PostgreSQL database and Redis"
  systemctl enable --now postgresql redis-server
  if ! su postgres -c "psql -tAc \"SELECT 1 FROM pg_roles WHERE rolname='civic'\"" | grep -q 1; then
    su postgres -c "createuser civic"
  fi
  if ! su postgres -c "psql -tAc \"SELECT 1 FROM pg_database WHERE datname='civic'\"" | grep -q 1; then
    su postgres -c "createdb --owner civic civic"
  fi
fi

if [ ! -f "$ENV_FILE" ]; then
  say "creating $ENV_FILE (fill in the Stripe keys and SMTP, then run again)"
  secret="$(python3 -c 'import secrets; print(secrets.token_urlsafe(64))')"
  cat > "$ENV_FILE" <<ENV
# Every variable is described in $APP/.env.example.
DJANGO_ENV=production
SECRET_KEY=$secret
ALLOWED_HOSTS=$DOMAIN
CSRF_TRUSTED_ORIGINS=https://$DOMAIN
SITE_URL=https://$DOMAIN
DATABASE_URL=postgres:///civic
CELERY_BROKER_URL=redis://127.0.0.1:6379/0
REDIS_URL=redis://127.0.0.1:6379/1
VAR_DIR=/srv/civic/var
MEDIA_ROOT=/srv/civic/media
STRIPE_SECRET_KEY=
STRIPE_PUBLISHABLE_KEY=
STRIPE_WEBHOOK_SECRET=
EMAIL_HOST=localhost
DEFAULT_FROM_EMAIL=noreply@$DOMAIN
WEB_CONCURRENCY=$(nproc)
CELERY_CONCURRENCY=2
CELERY_PDF_CONCURRENCY=1
CAMPAIGN_CLOSE_PROCESSES=2
# nginx on this machine is the one proxy in front: rate limits count the
# client it names, not nginx's own address
RATE_LIMIT_TRUSTED_PROXIES=1
ENV
  chown root:civic "$ENV_FILE"; chmod 640 "$ENV_FILE"
fi

say "Python environment"
[ -x "$VENV/bin/python" ] || python3 -m venv "$VENV"
"$VENV/bin/pip" install --quiet --upgrade pip
"$VENV/bin/pip" install --quiet "$APP"
chown -R civic:civic "$VENV"

manage() { sudo -u civic bash -c "set -a; . $ENV_FILE; set +a; cd $APP; $VENV/bin/python manage.py $*"; }

say "checks, migrations, static files"
if ! manage check --deploy --fail-level WARNING; then
  echo "Fix $ENV_FILE (the message above says what is missing), then run again."
  exit 1
fi
manage migrate --no-input
manage collectstatic --no-input -v0
manage update_index --remove -v0

say "systemd units and nginx"
install -m 644 deploy/systemd/*.service deploy/systemd/*.timer /etc/systemd/system/
install -d -m 755 /etc/nginx/civic
install -m 644 deploy/nginx/civic-cache.conf deploy/nginx/civic-proxy.conf \
  deploy/nginx/civic-shared.conf deploy/nginx/civic-fragments.conf \
  deploy/nginx/civic-upstream.conf deploy/nginx/civic-locations.conf /etc/nginx/civic/
sed "s/civica.example.org/$DOMAIN/g" deploy/nginx/civic.conf > /etc/nginx/sites-available/civic.conf
ln -sf /etc/nginx/sites-available/civic.conf /etc/nginx/sites-enabled/civic.conf
if [ ! -f "/etc/letsencrypt/live/$DOMAIN/fullchain.pem" ]; then
  echo "No certificate yet: get one with: certbot certonly --nginx -d $DOMAIN"
fi
systemctl daemon-reload
systemctl enable civic-web civic-worker civic-worker-pdf civic-beat civic-search-index.timer
systemctl restart civic-web civic-worker civic-worker-pdf civic-beat
systemctl start civic-search-index.timer
nginx -t && systemctl reload nginx

say "smoke check"
for _ in $(seq 1 30); do curl -fs http://127.0.0.1:8000/health/ > /dev/null && break; sleep 2; done
python3 bin/smoke_check.py http://127.0.0.1:8000 --host "$DOMAIN" --forwarded-proto https
