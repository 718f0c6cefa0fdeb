#!/usr/bin/env bash
# Install everything the tests need, start the services they use, and run them.
#
# Services: a throwaway PostgreSQL cluster on loopback for the multi-machine sweep tests
# (.ci/postgres.sh; needs root for apt-get the first time). Qt runs offscreen.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install.sh
. .venv/bin/activate
export QT_QPA_PLATFORM=offscreen MPLBACKEND=Agg
if [ -f .ci/postgres.sh ] && [ -z "${NETYARD_TEST_POSTGRES_URL:-}" ]; then
  # shellcheck source=/dev/null
  source .ci/postgres.sh
fi
ruff check .
ruff format --check .
lint-imports
python -m pytest -q -p no:cacheprovider "$@"
