#!/usr/bin/env bash
# A PostgreSQL server for the relayer's storage tests (idempotent; run as root, Debian).
# Installs PostgreSQL if it is missing, starts a cluster, creates the role and database the
# tests use, and prints the DSN on stdout (the last line), e.g.
#   export CROSSBOOK_TEST_POSTGRES_DSN="$(.ci/postgres.sh | tail -n1)"
set -euo pipefail

PG_USER=${CROSSBOOK_PG_USER:-crossbook}
PG_PASSWORD=${CROSSBOOK_PG_PASSWORD:-crossbook}
PG_DB=${CROSSBOOK_PG_DB:-crossbook_test}

if ! ls /usr/lib/postgresql/*/bin/postgres >/dev/null 2>&1; then
    echo "installing PostgreSQL (apt)" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >&2
    apt-get install -y -qq postgresql >&2
fi

version=$(ls /usr/lib/postgresql | sort -V | tail -n1)
if ! pg_lsclusters -h | awk '{print $1, $2}' | grep -qx "$version main"; then
    pg_createcluster "$version" main >&2
fi
if ! pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $4}' | grep -qx online; then
    pg_ctlcluster "$version" main start >&2
fi
port=$(pg_lsclusters -h | awk -v v="$version" '$1 == v && $2 == "main" {print $3}')

as_postgres() { runuser -u postgres -- "$@"; }
for _ in $(seq 1 50); do
    as_postgres pg_isready -q -p "$port" && break
    sleep 0.2
done
as_postgres psql -p "$port" -qtAc "SELECT 1 FROM pg_roles WHERE rolname = '$PG_USER'" | grep -q 1 \
    || as_postgres psql -p "$port" -qc "CREATE ROLE $PG_USER LOGIN PASSWORD '$PG_PASSWORD'" >&2
as_postgres psql -p "$port" -qtAc "SELECT 1 FROM pg_database WHERE datname = '$PG_DB'" | grep -q 1 \
    || as_postgres createdb -p "$port" -O "$PG_USER" "$PG_DB" >&2

echo "postgresql://$PG_USER:$PG_PASSWORD@127.0.0.1:$port/$PG_DB"
