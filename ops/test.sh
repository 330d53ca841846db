#!/usr/bin/env bash
# The whole test suite on real PostgreSQL and Redis (started here when they are not running),
# SQLite for the data layer, and Debian's Chromium for the browser tests.
PORTAL_EXTRAS=test
source "$(dirname "$0")/bootstrap.sh"

if [ ! -x /usr/bin/chromium ]; then
  echo "test: installing Debian's chromium for the browser tests" >&2
  apt_install chromium
fi

# The request's one transaction is tested behind PgBouncer in transaction mode too.
if ! command -v pgbouncer >/dev/null; then
  echo "test: installing pgbouncer for the pooler tests" >&2
  apt_install pgbouncer
fi

if ! pg_isready -q -h 127.0.0.1 -p 5432 2>/dev/null; then
  echo "test: starting PostgreSQL" >&2
  if ! command -v pg_ctlcluster >/dev/null; then apt_install postgresql; fi
  as_root pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | sort -V | tail -1)" main start || true
  for _ in $(seq 1 30); do pg_isready -q -h 127.0.0.1 -p 5432 && break; sleep 1; done
  pg_isready -q -h 127.0.0.1 -p 5432 || { echo "test: FAILED: PostgreSQL is not reachable on 127.0.0.1:5432" >&2; exit 1; }
fi

if ! redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1; then
  echo "test: starting Redis" >&2
  if ! command -v redis-server >/dev/null; then apt_install redis-server; fi
  redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save "" --appendonly no
  for _ in $(seq 1 20); do redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 && break; sleep 0.5; done
  redis-cli -h 127.0.0.1 -p 6379 ping >/dev/null 2>&1 || { echo "test: FAILED: Redis is not reachable on 127.0.0.1:6379" >&2; exit 1; }
fi

exec python -m pytest "$@"
