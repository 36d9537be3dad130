#!/usr/bin/env bash
# The whole deployment of docs/deploy.md on one machine, for the load test and for trying it out:
# a PostgreSQL primary, a streaming read replica of it (pg_basebackup -R), N stateless web
# workers (`commerce-brain serve`, one process each) and nginx balancing over them.
#
#   deploy/local-cluster.sh up DIR [WORKERS] [PORT]   # start everything in DIR (default 2 workers, port 8080)
#   deploy/local-cluster.sh scale DIR WORKERS         # restart the workers and nginx with WORKERS workers
#   deploy/local-cluster.sh down DIR                  # stop what `up` started (by its pid files) and keep DIR
#
# FIRST_WORKER_PORT (default 8101) moves the workers' ports. After `up`, DIR/cluster.env holds
# PRIMARY_URL, REPLICA_URL, PORT and FIRST_WORKER_PORT (sourceable). Everything listens on
# 127.0.0.1 or on Unix sockets in DIR/run; PostgreSQL trusts local connections (a throwaway cluster: the systemd path in docs/deploy.md sets passwords and TLS). Needs Debian's
# postgresql and nginx; as root the PostgreSQL servers run as the `postgres` user.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(dirname "$HERE")
CB=${COMMERCE_BRAIN_BIN:-$(command -v commerce-brain || echo "$ROOT/.venv/bin/commerce-brain")}
PGBIN=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
PRIMARY_PORT=5441
REPLICA_PORT=5442
FIRST_WORKER_PORT=${FIRST_WORKER_PORT:-8101}  # the workers listen on this port and the next ones

as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
die() { echo "local-cluster: $*" >&2; exit 1; }

start_postgres() {  # DIR: a primary, then its replica from a base backup
  local dir=$1 run=$1/run
  [ -x "$PGBIN/initdb" ] || die "PostgreSQL's initdb not found under /usr/lib/postgresql (apt-get install postgresql)"
  mkdir -p "$run" "$dir/logs"
  if [ "$(id -u)" = 0 ]; then chown postgres "$dir" "$run" "$dir/logs"; fi
  as_pg "$PGBIN/initdb" -D "$dir/primary" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >/dev/null
  # Streaming replication needs wal_level=replica and WAL senders (PostgreSQL's defaults, stated
  # here so the file says what the replica relies on); connections: 4 workers × 2 pools × 15.
  cat >>"$dir/primary/postgresql.conf" <<EOF
listen_addresses = ''
unix_socket_directories = '$run'
max_connections = 200
wal_level = replica
max_wal_senders = 5
hot_standby = on
hot_standby_feedback = on
EOF
  as_pg "$PGBIN/pg_ctl" -D "$dir/primary" -o "-p $PRIMARY_PORT" -w -l "$dir/logs/primary.log" start >/dev/null
  as_pg "$PGBIN/createdb" -h "$run" -p "$PRIMARY_PORT" -U postgres commerce_brain
  # -R writes standby.signal and primary_conninfo: the copy starts as a hot standby that
  # streams the primary's WAL from where the backup ended.
  as_pg "$PGBIN/pg_basebackup" -h "$run" -p "$PRIMARY_PORT" -U postgres -D "$dir/replica" -R -X stream -c fast
  as_pg "$PGBIN/pg_ctl" -D "$dir/replica" -o "-p $REPLICA_PORT" -w -l "$dir/logs/replica.log" start >/dev/null
  cat >"$dir/cluster.env" <<EOF
PRIMARY_URL='postgresql+psycopg://postgres@/commerce_brain?host=$run&port=$PRIMARY_PORT'
REPLICA_URL='postgresql+psycopg://postgres@/commerce_brain?host=$run&port=$REPLICA_PORT'
EOF
}

start_workers() {  # DIR N: N web workers, one process each, on consecutive ports
  local dir=$1 n=$2 i port
  # shellcheck disable=SC1091
  . "$dir/cluster.env"
  for i in $(seq 1 "$n"); do
    port=$((FIRST_WORKER_PORT + i - 1))
    COMMERCE_BRAIN_DATABASE_URL=$PRIMARY_URL COMMERCE_BRAIN_REPLICA_URL=$REPLICA_URL COMMERCE_BRAIN_DATA_DIR=$dir/data \
      setsid "$CB" serve --host 127.0.0.1 --port "$port" --trust-proxy >"$dir/logs/worker-$i.log" 2>&1 &
    echo $! >"$dir/run/worker-$i.pid"
  done
  for i in $(seq 1 "$n"); do
    wait_for "http://127.0.0.1:$((FIRST_WORKER_PORT + i - 1))/login" "worker $i (see $dir/logs/worker-$i.log)"
  done
}

start_nginx() {  # DIR N PORT: the balancer over the N workers
  local dir=$1 n=$2 port=$3 i
  mkdir -p "$dir/nginx/temp"
  for i in $(seq 1 "$n"); do echo "server 127.0.0.1:$((FIRST_WORKER_PORT + i - 1)) max_fails=3 fail_timeout=5s;"; done \
    >"$dir/nginx/workers.conf"
  sed -e "s|@PORT@|$port|g" -e "s|@DIR@|$dir|g" -e "s|@DEPLOY@|$HERE|g" "$HERE/nginx/local-cluster.conf.in" >"$dir/nginx/nginx.conf"
  nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf"
  wait_for "http://127.0.0.1:$port/login" "nginx (see $dir/logs/nginx-error.log)"
}

wait_for() {  # URL WHAT: until http://127.0.0.1:PORT/PATH answers 200 (60 s); bash alone, no curl
  local i rest=${1#http://127.0.0.1:} status
  for i in $(seq 1 300); do
    status=$( { exec 3<>"/dev/tcp/127.0.0.1/${rest%%/*}" && printf 'GET /%s HTTP/1.0\r\n\r\n' "${rest#*/}" >&3 \
                && head -c 12 <&3; } 2>/dev/null || true)
    if [ "$status" = "HTTP/1.1 200" ]; then return 0; fi
    sleep 0.2
  done
  die "$2 did not answer on $1"
}

stop_workers() {
  local dir=$1 f
  for f in "$dir"/run/worker-*.pid; do
    [ -e "$f" ] || continue
    kill "$(cat "$f")" 2>/dev/null || true
    # uvicorn finishes the requests in flight, then exits
    for _ in $(seq 1 100); do kill -0 "$(cat "$f")" 2>/dev/null || break; sleep 0.1; done
    rm -f "$f"
  done
}

stop_nginx() {
  local dir=$1
  if [ -e "$dir/run/nginx.pid" ]; then
    nginx -p "$dir/nginx" -c "$dir/nginx/nginx.conf" -s quit 2>/dev/null || true
    for _ in $(seq 1 50); do [ -e "$dir/run/nginx.pid" ] || break; sleep 0.1; done
  fi
}

command=${1:-}
dir=${2:-}
[ -n "$command" ] && [ -n "$dir" ] || { sed -n '2,14p' "$0"; exit 2; }
case "$command" in
  up)
    workers=${3:-2}; port=${4:-8080}
    [ ! -e "$dir/primary" ] || die "$dir already holds a cluster: down it and remove the folder first"
    mkdir -p "$dir" && dir=$(cd "$dir" && pwd)
    start_postgres "$dir"
    printf 'PORT=%s\nFIRST_WORKER_PORT=%s\n' "$port" "$FIRST_WORKER_PORT" >>"$dir/cluster.env"
    # shellcheck disable=SC1091
    . "$dir/cluster.env"
    # The schema once, before the workers (each would otherwise race to migrate an empty database).
    COMMERCE_BRAIN_DATABASE_URL=$PRIMARY_URL "$CB" db upgrade >/dev/null
    start_workers "$dir" "$workers"
    start_nginx "$dir" "$workers" "$port"
    echo "up: http://127.0.0.1:$port/ — $workers workers, primary and replica in $dir (see $dir/cluster.env)"
    ;;
  scale)
    dir=$(cd "$dir" && pwd); workers=${3:?WORKERS}
    # shellcheck disable=SC1091
    . "$dir/cluster.env"
    stop_nginx "$dir"; stop_workers "$dir"
    start_workers "$dir" "$workers"
    start_nginx "$dir" "$workers" "$PORT"
    echo "scaled: $workers workers behind http://127.0.0.1:$PORT/"
    ;;
  down)
    dir=$(cd "$dir" && pwd)
    stop_nginx "$dir"; stop_workers "$dir"
    for server in replica primary; do
      [ -e "$dir/$server/postmaster.pid" ] && as_pg "$PGBIN/pg_ctl" -D "$dir/$server" -m fast -w stop >/dev/null || true
    done
    echo "down: $dir (remove the folder to drop the data)"
    ;;
  *) die "unknown command $command (up, scale, down)" ;;
esac
