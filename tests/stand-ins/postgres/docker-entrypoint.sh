#!/bin/sh
# The official postgres image's docker-entrypoint.sh, in short: as root, own the data folder
# and drop to postgres; on an empty PGDATA, initdb with POSTGRES_PASSWORD for the postgres
# superuser (the local socket trusted, as `pg_isready -U postgres` and psql in the container
# use it; passwords, scram-sha-256, from any address), listen on every interface and create
# POSTGRES_DB; then run the server in the foreground.
set -eu
if [ "$1" = postgres ] && [ "$(id -u)" = 0 ]; then
    mkdir -p "$PGDATA"
    chown -R postgres:postgres /var/lib/postgresql
    chmod 700 "$PGDATA"
    exec gosu postgres "$0" "$@"
fi
if [ "$1" = postgres ] && [ ! -s "$PGDATA/PG_VERSION" ]; then
    : "${POSTGRES_PASSWORD:?is required: the official image refuses to start without it}"
    pwfile=$(mktemp)
    printf '%s\n' "$POSTGRES_PASSWORD" > "$pwfile"
    initdb --username=postgres --pwfile="$pwfile" --auth-local=trust --auth-host=scram-sha-256 -D "$PGDATA"
    rm "$pwfile"
    echo "listen_addresses = '*'" >> "$PGDATA/postgresql.conf"
    echo "host all all all scram-sha-256" >> "$PGDATA/pg_hba.conf"
    database=${POSTGRES_DB:-postgres}
    if [ "$database" != postgres ]; then
        # Single-user mode: the database exists before the server first listens.
        echo "CREATE DATABASE \"$database\";" | postgres --single -j -D "$PGDATA" postgres >/dev/null
    fi
fi
exec "$@"
