#!/usr/bin/env bash
# Make this host a streaming read replica (hot standby) of the primary, with Debian's postgresql.
# Run as root on the replica host, once:
#
#   PRIMARY=db-primary.internal deploy/postgresql/replica-setup.sh
#
# On the primary first (once; see docs/deploy.md):
#   CREATE ROLE replicator WITH REPLICATION LOGIN PASSWORD '…';
#   pg_hba.conf:  hostssl replication replicator <replica address>/32 scram-sha-256
#   postgresql.conf: wal_level = replica (the default), max_wal_senders = 5 (default 10),
#                    wal_keep_size = 1GB (so a replica that was down a while can catch up)
# and a read-only login for the web tier's replica URL:
#   CREATE ROLE commerce_brain_ro LOGIN PASSWORD '…';
#   GRANT CONNECT ON DATABASE commerce_brain TO commerce_brain_ro;
#   GRANT USAGE ON SCHEMA public TO commerce_brain_ro;
#   GRANT SELECT ON ALL TABLES IN SCHEMA public TO commerce_brain_ro;
#   ALTER DEFAULT PRIVILEGES FOR ROLE commerce_brain IN SCHEMA public GRANT SELECT ON TABLES TO commerce_brain_ro;
# (roles and grants are replicated: create them on the primary only).
set -euo pipefail
: "${PRIMARY:?the primary's host name}"
VERSION=${VERSION:-$(ls /usr/lib/postgresql | sort -V | tail -1)}
DATA=/var/lib/postgresql/$VERSION/main
BIN=/usr/lib/postgresql/$VERSION/bin

systemctl stop "postgresql@$VERSION-main"
# The replica starts from a copy of the primary: the old data folder goes.
rm -rf "$DATA"
# -R writes standby.signal and primary_conninfo; -X stream copies the WAL written meanwhile;
# -c fast asks the primary for an immediate checkpoint. The password is asked for (or ~/.pgpass).
runuser -u postgres -- "$BIN/pg_basebackup" -h "$PRIMARY" -U replicator -D "$DATA" -R -X stream -c fast -P
# A hot standby answers read-only queries while it replays; feedback keeps the primary from
# removing rows a long cockpit query on the replica still reads.
cat >>"/etc/postgresql/$VERSION/main/conf.d/replica.conf" <<CONF
hot_standby = on
hot_standby_feedback = on
CONF
systemctl start "postgresql@$VERSION-main"
runuser -u postgres -- psql -Atc "SELECT pg_is_in_recovery(), status, sender_host FROM pg_stat_wal_receiver, pg_is_in_recovery()"
