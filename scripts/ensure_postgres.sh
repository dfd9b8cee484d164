#!/usr/bin/env bash
# Make sure a PostgreSQL server answers on $PGHOST:$PGPORT (default 127.0.0.1:5432) with the
# role and database the `postgres` target of profiles.yml uses. Idempotent: every step checks
# first and prints one line saying what it found or did.
#
#   bash scripts/ensure_postgres.sh
#
# On a fresh Debian / Ubuntu machine (run as root) it installs PostgreSQL with apt-get, starts
# the packaged cluster (listening on loopback only) or, when there is none, a private cluster
# under $BEHAVIORAL_SEGMENTS_PGDATA, and creates the role and database. Environment:
#   PGHOST, PGPORT                 where the server must answer (127.0.0.1, 5432)
#   BEHAVIORAL_SEGMENTS_PG_ROLE    role and database name (behavioral_segments)
#   BEHAVIORAL_SEGMENTS_PG_PASSWORD  its password (behavioral_segments; a local test default)
#   BEHAVIORAL_SEGMENTS_PGDATA     data folder of the private cluster, when one is needed
set -euo pipefail

host="${PGHOST:-127.0.0.1}"
port="${PGPORT:-5432}"
role="${BEHAVIORAL_SEGMENTS_PG_ROLE:-behavioral_segments}"
password="${BEHAVIORAL_SEGMENTS_PG_PASSWORD:-behavioral_segments}"
private_data="${BEHAVIORAL_SEGMENTS_PGDATA:-/var/lib/postgresql/behavioral_segments}"

step() { printf 'ensure_postgres: %s\n' "$*"; }
fail() { printf 'ensure_postgres: ERROR: %s\n' "$*" >&2; exit 1; }

case "$host" in
    127.0.0.1|localhost|::1) ;;
    *) step "PGHOST=$host is not this machine: only checking that it answers" ;;
esac

# The newest installed server's bin folder (Debian keeps them under /usr/lib/postgresql/N/bin).
server_bin() {
    local dir
    dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
    if [[ -n "$dir" && -x "$dir/postgres" ]]; then
        printf '%s\n' "$dir"
    fi
}

answers() { pg_isready -q -h "$host" -p "$port" >/dev/null 2>&1; }

wait_until_up() {
    local i
    for i in $(seq 1 60); do
        if answers; then return 0; fi
        sleep 0.5
    done
    return 1
}

as_postgres() {
    # run a command as the postgres OS user (peer authentication over the local socket)
    if [[ "$(id -un)" == "postgres" ]]; then
        "$@"
    elif command -v runuser >/dev/null 2>&1; then
        runuser -u postgres -- "$@"
    else
        su postgres -s /bin/sh -c "$(printf '%q ' "$@")"
    fi
}

# Socket folder of the cluster we may administer as the postgres OS user.
socket_dir="/var/run/postgresql"

# ---------- 1. client tools
if ! command -v pg_isready >/dev/null 2>&1 || [[ -z "$(server_bin)" ]]; then
    if ! answers 2>/dev/null; then
        [[ "$(id -u)" == "0" ]] || fail "PostgreSQL is not installed and this is not root: install it (apt-get install postgresql) or set PGHOST/PGPORT"
        command -v apt-get >/dev/null 2>&1 || fail "PostgreSQL is not installed and apt-get is missing: install PostgreSQL 15+ by hand"
        step "installing PostgreSQL with apt-get (apt-get update; apt-get install postgresql)"
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -qq >/dev/null
        apt-get install -y -qq postgresql postgresql-client >/dev/null
        step "installed $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)"
    fi
else
    step "PostgreSQL binaries present ($(server_bin))"
fi

# ---------- 2. a server on host:port
if answers; then
    step "server answers on $host:$port"
    # a private cluster started by an earlier run keeps its socket in its data folder
    if [[ -S "$private_data/.s.PGSQL.$port" ]]; then socket_dir="$private_data"; fi
else
    case "$host" in
        127.0.0.1|localhost|::1) ;;
        *) fail "no server answers on $host:$port" ;;
    esac
    started=false
    if command -v pg_lsclusters >/dev/null 2>&1; then
        # a packaged cluster on our port: start it (Debian's default listen_addresses is localhost)
        cluster="$(pg_lsclusters -h 2>/dev/null | awk -v p="$port" '$3 == p {print $1 " " $2; exit}')"
        if [[ -z "$cluster" && -z "$(pg_lsclusters -h 2>/dev/null)" && "$(id -u)" == "0" ]]; then
            version="$(basename "$(dirname "$(server_bin)")")"
            step "creating cluster $version/main on port $port"
            pg_createcluster --port "$port" "$version" main -- --auth-local=peer --auth-host=scram-sha-256 >/dev/null
            cluster="$version main"
        fi
        if [[ -n "$cluster" ]]; then
            read -r version name <<<"$cluster"
            listen="$(grep -E "^[[:space:]]*listen_addresses" "/etc/postgresql/$version/$name/postgresql.conf" 2>/dev/null | tail -n 1 || true)"
            if [[ -n "$listen" && ! "$listen" =~ \'(localhost|127\.0\.0\.1|::1)(,[[:space:]]*(localhost|127\.0\.0\.1|::1))*\' ]]; then
                step "cluster $version/$name sets $listen: not loopback only, using a private cluster instead"
            else
                step "starting cluster $version/$name (pg_ctlcluster $version $name start)"
                if pg_ctlcluster "$version" "$name" start && wait_until_up; then
                    started=true
                else
                    step "pg_ctlcluster could not start $version/$name: using a private cluster instead"
                fi
            fi
        fi
    fi
    if [[ "$started" == false ]]; then
        bin="$(server_bin)"
        [[ -n "$bin" ]] || fail "no PostgreSQL server binaries found under /usr/lib/postgresql"
        socket_dir="$private_data"
        if [[ ! -s "$private_data/PG_VERSION" ]]; then
            step "initialising a private cluster in $private_data"
            mkdir -p "$private_data"
            chown postgres:postgres "$private_data"
            chmod 700 "$private_data"
            as_postgres "$bin/initdb" -D "$private_data" -U postgres --auth-local=peer \
                --auth-host=scram-sha-256 -E UTF8 --locale=C.UTF-8 >/dev/null
        fi
        step "starting the private cluster in $private_data on 127.0.0.1:$port"
        as_postgres "$bin/pg_ctl" -D "$private_data" -l "$private_data/server.log" -w start \
            -o "-c listen_addresses=127.0.0.1 -c port=$port -c unix_socket_directories=$private_data" >/dev/null
        wait_until_up || fail "the private cluster did not come up; see $private_data/server.log"
    fi
    step "server answers on $host:$port"
fi

# ---------- 3. role and database
if PGPASSWORD="$password" psql -X -q -h "$host" -p "$port" -U "$role" -d "$role" -tAc 'select 1' >/dev/null 2>&1; then
    step "role and database $role exist and accept the password"
    exit 0
fi
[[ -S "$socket_dir/.s.PGSQL.$port" ]] || fail "cannot log in as $role and no local socket in $socket_dir to create it as the postgres user"
admin=(psql -X -q -v ON_ERROR_STOP=1 -h "$socket_dir" -p "$port" -U postgres -d postgres)
sql_literal() { printf "'%s'" "${1//\'/\'\'}"; }
sql_ident() { printf '"%s"' "${1//\"/\"\"}"; }
if [[ "$(as_postgres "${admin[@]}" -tAc "select 1 from pg_roles where rolname = $(sql_literal "$role")")" == "1" ]]; then
    step "role $role exists: setting its password"
    as_postgres "${admin[@]}" -c "alter role $(sql_ident "$role") with login password $(sql_literal "$password")"
else
    step "creating role $role"
    as_postgres "${admin[@]}" -c "create role $(sql_ident "$role") with login password $(sql_literal "$password")"
fi
if [[ "$(as_postgres "${admin[@]}" -tAc "select 1 from pg_database where datname = $(sql_literal "$role")")" == "1" ]]; then
    step "database $role exists"
else
    step "creating database $role owned by $role"
    as_postgres "${admin[@]}" -c "create database $(sql_ident "$role") owner $(sql_ident "$role") encoding 'UTF8' template template0"
fi
PGPASSWORD="$password" psql -X -q -h "$host" -p "$port" -U "$role" -d "$role" -tAc 'select 1' >/dev/null \
    || fail "created $role but cannot log in with its password over $host:$port (check pg_hba.conf)"
step "role and database $role ready"
