#!/usr/bin/env bash
# Install everything the tests need, start the services they use, and run them.
#
# The tests start the servers they use themselves (mlflow server, a PostgreSQL cluster on
# loopback through netyard server); this installs PostgreSQL's programs. Qt runs offscreen.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
. .venv/bin/activate
export QT_QPA_PLATFORM=offscreen MPLBACKEND=Agg
# PostgreSQL's server programs, for the team-server tests: `netyard server --postgres-dir`
# starts its own cluster from them. Installed with apt-get when missing (needs root); without
# them those tests are skipped, which CI does not accept.
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
  if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
    echo "postgres: installing Debian's postgresql package"
    DEBIAN_FRONTEND=noninteractive apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >/dev/null
  elif [ "${CI:-}" = true ]; then
    echo "postgres: not installed and not root: sudo apt-get install -y postgresql" >&2
    exit 1
  else
    echo "postgres: not installed (sudo apt-get install -y postgresql); its tests are skipped"
  fi
fi
ruff check .
ruff format --check .
lint-imports
# Two test processes (NETYARD_TEST_PROCESSES to change it): the tests spend most of their time
# waiting on servers and workers, and the suite takes about half as long as in one.
python -m pytest -q -p no:cacheprovider -n "${NETYARD_TEST_PROCESSES:-2}" --durations=20 "$@"
