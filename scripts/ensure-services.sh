#!/usr/bin/env bash
# Makes sure the Postgres and Redis that the tests talk to are answering.
# Starts the machine's own servers when they are installed but down; otherwise
# fails with a message that says how to get them. Honours DATABASE_URL's host
# and port only for the check (the default is 127.0.0.1:5432 and 127.0.0.1:6379).
set -euo pipefail

pg_host=${PGHOST_CHECK:-127.0.0.1}
pg_port=${PGPORT_CHECK:-5432}
redis_host=${REDIS_HOST_CHECK:-127.0.0.1}
redis_port=${REDIS_PORT_CHECK:-6379}

pg_up() { pg_isready -q -h "$pg_host" -p "$pg_port" 2>/dev/null; }
redis_up() {
  if command -v redis-cli >/dev/null; then
    [ "$(redis-cli -h "$redis_host" -p "$redis_port" ping 2>/dev/null)" = "PONG" ]
  else
    (exec 3<>"/dev/tcp/$redis_host/$redis_port") 2>/dev/null
  fi
}
wait_for() { # name, check-function
  for _ in $(seq 1 50); do "$2" && return 0; sleep 0.2; done
  return 1
}

if ! pg_up; then
  if command -v pg_ctlcluster >/dev/null && [ -d /etc/postgresql ] && [ -n "$(ls /etc/postgresql 2>/dev/null)" ]; then
    echo "ensure-services: starting Postgres $(ls /etc/postgresql | head -1)"
    pg_ctlcluster --skip-systemctl-redirect "$(ls /etc/postgresql | head -1)" main start || true
  fi
  if ! wait_for postgres pg_up; then
    echo "ensure-services: Postgres is not answering on $pg_host:$pg_port." >&2
    echo "  Install and start it, e.g.: apt-get install -y postgresql && pg_ctlcluster --skip-systemctl-redirect \$(ls /etc/postgresql) main start" >&2
    echo "  (trust auth for user postgres on 127.0.0.1 is expected; or set DATABASE_URL)" >&2
    exit 1
  fi
fi

if ! redis_up; then
  if command -v redis-server >/dev/null; then
    echo "ensure-services: starting Redis"
    redis-server --daemonize yes --bind 127.0.0.1 --port "$redis_port" --save "" --appendonly no >/dev/null
  fi
  if ! wait_for redis redis_up; then
    echo "ensure-services: Redis is not answering on $redis_host:$redis_port." >&2
    echo "  Install and start it, e.g.: apt-get install -y redis-server && redis-server --daemonize yes --bind 127.0.0.1 --port 6379 --save '' --appendonly no" >&2
    exit 1
  fi
fi
echo "ensure-services: Postgres $pg_host:$pg_port and Redis $redis_host:$redis_port are up"
