#!/usr/bin/env bash
# A throwaway PostgreSQL server for the multi-machine sweep tests.
#
# Source it (". .ci/postgres.sh"): it installs Debian's postgresql package if missing (needs
# root), creates a cluster with initdb in a temp dir, starts it on 127.0.0.1 on a free port,
# creates a database and exports NETYARD_TEST_POSTGRES_URL. Idempotent: a second source
# while the server runs reuses it. The server stops and its folder is removed when the
# sourcing shell exits. Run directly, it prints the URL and leaves the server running
# (stop it with: pg_ctl -D "$NETYARD_TEST_POSTGRES_DIR" stop).
# Failures print why and return non-zero without leaving the sourcing shell.

_netyard_pg_main() {
  if [ -n "${NETYARD_TEST_POSTGRES_DIR:-}" ] && [ -f "$NETYARD_TEST_POSTGRES_DIR/postmaster.pid" ] \
     && [ -n "${NETYARD_TEST_POSTGRES_URL:-}" ]; then
    echo "postgres: already running: $NETYARD_TEST_POSTGRES_URL"
    return 0
  fi
  local bindir
  bindir=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
  if [ -z "$bindir" ] || [ ! -x "$bindir/initdb" ]; then
    if [ "$(id -u)" != 0 ]; then
      echo "postgres: not installed and not root; run: sudo apt-get install -y postgresql" >&2
      return 1
    fi
    echo "postgres: installing Debian's postgresql package"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq \
      && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null \
      || { echo "postgres: apt-get install postgresql failed" >&2; return 1; }
    bindir=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
  fi

  # The server refuses to run as root: as root, the cluster belongs to the postgres user.
  local run_as=()
  if [ "$(id -u)" = 0 ]; then
    id postgres >/dev/null 2>&1 || useradd --system --home /nonexistent postgres
    run_as=(runuser -u postgres --)
  fi
  local dir port python
  dir=$(mktemp -d /tmp/netyard-pg.XXXXXX)
  chmod 700 "$dir"
  [ "$(id -u)" = 0 ] && chown postgres: "$dir"
  python=$(command -v python3 || command -v python)
  port=$("$python" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')

  "${run_as[@]}" "$bindir/initdb" -D "$dir/data" -U netyard --auth=trust -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { echo "postgres: initdb failed (see $dir/initdb.log)" >&2; return 1; }
  "${run_as[@]}" "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=100" start >/dev/null \
    || { echo "postgres: server did not start (see $dir/server.log)" >&2; return 1; }
  "${run_as[@]}" "$bindir/createdb" -h 127.0.0.1 -p "$port" -U netyard netyard_test \
    || { echo "postgres: createdb failed" >&2; return 1; }

  export NETYARD_TEST_POSTGRES_DIR="$dir/data"
  export NETYARD_TEST_POSTGRES_URL="postgresql://netyard@127.0.0.1:$port/netyard_test"
  _NETYARD_PG_STOP="${run_as[*]} $bindir/pg_ctl -D $dir/data -m fast stop >/dev/null 2>&1; rm -rf $dir"
  echo "postgres: $NETYARD_TEST_POSTGRES_URL"
}

if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then
  # Sourced: the server lives as long as the sourcing shell.
  if _netyard_pg_main && [ -n "${_NETYARD_PG_STOP:-}" ]; then
    trap 'eval "$_NETYARD_PG_STOP"' EXIT
  fi
  true
else
  set -euo pipefail
  _netyard_pg_main
fi
